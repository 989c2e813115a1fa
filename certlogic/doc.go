// Package certlogic evaluates CertLogic expressions and EU DCC business rules.
//
// CertLogic (specification version 1.3.3) is the subset of JsonLogic that the
// EU Digital COVID Certificate business rules are written in, extended with
// date-time operations (plusTime, dccDateOfBirth, after, before, not-after,
// not-before) and extractFromUVCI. Evaluate implements the evaluator; the
// Rule type, ParseRule and ValidateRule implement the EU DCC validation-rule
// format (Identifier, Type, Country, Version, ..., Logic), and Select picks the
// rules that apply to a country of arrival at a given time.
//
// Values are the Go forms of JSON that ParseJSON produces: nil, bool, int64
// (JSON integers), float64 (other numbers), string, []any and map[string]any,
// plus DateTime for the results of plusTime and dccDateOfBirth. Evaluation
// never panics: an invalid expression, a type mismatch or a nesting deeper
// than MaxDepth returns an error, which a rule evaluation reports as "open".
package certlogic
