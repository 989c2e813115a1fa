package dccschema

import (
	"regexp"
	"unicode/utf8"
)

// The published DCC schemas use a handful of regular expressions. Each of
// those is also written out here as a direct byte test that accepts exactly
// the strings Go's regexp accepts for it (a regexp match is a third of the
// cost of a schema check; these are a few comparisons). A pattern not in
// this table is matched with its compiled regexp. TestPatternMatchers and
// FuzzPatternMatchers hold each test to its regexp.
var patternMatchers = map[string]func([]byte) bool{
	`^[A-Z<]*$`:                        matchMRZ,
	`[A-Z]{1,10}`:                      containsUpper,
	`^\d+.\d+.\d+$`:                    matchVersion,
	`^(19|20)\d\d(-\d\d){0,2}$`:        matchDOB,
	`^((19|20)\d\d(-\d\d){0,2}){0,1}$`: matchOptionalDOB,
	`(19|20)\d{2}-\d{2}-\d{2}`:         containsDate,
}

// matcherFor returns the test for pattern re.
func matcherFor(re *regexp.Regexp) func([]byte) bool {
	if m, ok := patternMatchers[re.String()]; ok {
		return m
	}
	return re.Match
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// matchMRZ is ^[A-Z<]*$: only A to Z and '<' (a byte of a multi-byte or
// invalid UTF-8 sequence is never one of them).
func matchMRZ(s []byte) bool {
	for _, c := range s {
		if (c < 'A' || c > 'Z') && c != '<' {
			return false
		}
	}
	return true
}

// containsUpper is the unanchored [A-Z]{1,10}: some letter A to Z.
func containsUpper(s []byte) bool {
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// matchVersion is ^\d+.\d+.\d+$, where '.' is any character but a newline
// (a digit too) and \d is 0 to 9: a simulation of its automaton over the
// runes of s, as regexp decodes them (an invalid byte is one U+FFFD).
func matchVersion(s []byte) bool {
	// States: 1 first digits, 2 after the first '.', 3 second digits,
	// 4 after the second '.', 5 third digits (accepting); bit i is state i.
	const start = 1 << 0
	states := uint8(start)
	for i := 0; i < len(s) && states != 0; {
		r, n := utf8.DecodeRune(s[i:])
		i += n
		digit, any := r >= '0' && r <= '9', r != '\n'
		var next uint8
		if digit && states&(1<<0|1<<1) != 0 {
			next |= 1 << 1
		}
		if any && states&(1<<1) != 0 {
			next |= 1 << 2
		}
		if digit && states&(1<<2|1<<3) != 0 {
			next |= 1 << 3
		}
		if any && states&(1<<3) != 0 {
			next |= 1 << 4
		}
		if digit && states&(1<<4|1<<5) != 0 {
			next |= 1 << 5
		}
		states = next
	}
	return states&(1<<5) != 0
}

// matchDOB is ^(19|20)\d\d(-\d\d){0,2}$: YYYY, YYYY-MM or YYYY-MM-DD with
// a year from 1900 to 2099 (digits only; no calendar check).
func matchDOB(s []byte) bool {
	if len(s) != 4 && len(s) != 7 && len(s) != 10 {
		return false
	}
	if !((s[0] == '1' && s[1] == '9') || (s[0] == '2' && s[1] == '0')) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	for i := 4; i < len(s); i += 3 {
		if s[i] != '-' || !isDigit(s[i+1]) || !isDigit(s[i+2]) {
			return false
		}
	}
	return true
}

// matchOptionalDOB is ^((19|20)\d\d(-\d\d){0,2}){0,1}$: empty or matchDOB.
func matchOptionalDOB(s []byte) bool { return len(s) == 0 || matchDOB(s) }

// containsDate is the unanchored (19|20)\d{2}-\d{2}-\d{2}: ten ASCII bytes
// of that form somewhere in s.
func containsDate(s []byte) bool {
	for i := 0; i+10 <= len(s); i++ {
		if matchDOB(s[i : i+10]) {
			return true
		}
	}
	return false
}
