package certlogic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// DateTime is a CertLogic date-time value: an instant with millisecond
// precision, made only by plusTime and dccDateOfBirth.
type DateTime struct{ time.Time }

// MarshalJSON renders the date-time as RFC 3339 in UTC with milliseconds.
func (d DateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// ParseJSON decodes JSON into the values Evaluate works on: integers become
// int64 (also integral numbers written with a fraction or exponent, as
// JavaScript's Number.isInteger sees them), other numbers float64.
func ParseJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("certlogic: JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("certlogic: JSON: trailing data after the value")
	}
	return Normalize(v), nil
}

// Normalize converts json.Number values (from a decoder with UseNumber) and
// float64 values inside v into int64 where they are integers. It is for data
// decoded elsewhere; ParseJSON already applies it.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return Normalize(f)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case int:
		return int64(x)
	case []any:
		for i := range x {
			x[i] = Normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = Normalize(x[k])
		}
		return x
	}
	return v
}

// IsTruthy reports whether v is truthy in CertLogic's sense: true, a
// non-zero integer, a non-empty string, array or object.
func IsTruthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return false
}

// IsFalsy reports whether v is falsy: false, null, 0, "", [] or {}. Some
// values (date-times, non-integer numbers) are neither truthy nor falsy.
func IsFalsy(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case int64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// The date and date-time formats plusTime accepts (spec §plusTime): a date,
// partial or full, optionally followed by a time with seconds, optional
// fraction, and an optional offset Z, ±h, ±hh, ±hmm, ±hhmm, ±h:mm or ±hh:mm.
var dateTimeRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{1,2}(?::?\d{2})?)?)?)?)?$`)
})

// ParseDateTime parses a date(-time) string as plusTime does: a missing time
// is midnight, a missing offset is UTC, sub-millisecond digits are dropped,
// and a partial date (YYYY or YYYY-MM) is read as dccDateOfBirth reads it
// (the last day it can mean).
func ParseDateTime(s string) (DateTime, error) {
	m := dateTimeRE().FindStringSubmatch(s)
	if m == nil {
		return DateTime{}, fmt.Errorf("not a date or date-time in an allowed format: %q", s)
	}
	year, _ := strconv.Atoi(m[1])
	if m[2] == "" {
		return DateTime{time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}, nil
	}
	month, _ := strconv.Atoi(m[2])
	if month < 1 || month > 12 {
		return DateTime{}, fmt.Errorf("month out of range in %q", s)
	}
	if m[3] == "" {
		last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC)
		return DateTime{last}, nil
	}
	day, _ := strconv.Atoi(m[3])
	if day < 1 || day > daysIn(year, month) {
		return DateTime{}, fmt.Errorf("day out of range in %q", s)
	}
	if m[4] == "" {
		return DateTime{time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)}, nil
	}
	hh, _ := strconv.Atoi(m[4])
	mm, _ := strconv.Atoi(m[5])
	ss, _ := strconv.Atoi(m[6])
	if hh > 23 || mm > 59 || ss > 59 {
		return DateTime{}, fmt.Errorf("time out of range in %q", s)
	}
	ms := 0
	if f := m[7]; f != "" {
		f = (f + "00")[:3]
		ms, _ = strconv.Atoi(f)
	}
	loc := time.UTC
	if z := m[8]; z != "" && z != "Z" {
		off, err := parseOffset(z)
		if err != nil {
			return DateTime{}, fmt.Errorf("%w in %q", err, s)
		}
		loc = time.FixedZone("", off)
	}
	t := time.Date(year, time.Month(month), day, hh, mm, ss, ms*int(time.Millisecond), loc)
	return DateTime{t.UTC()}, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseOffset reads ±h, ±hh, ±hmm, ±hhmm, ±h:mm, ±hh:mm into seconds east of UTC.
func parseOffset(z string) (int, error) {
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	digits := z[1:]
	var h, m int
	switch {
	case len(digits) >= 4 && digits[len(digits)-3] == ':':
		h, _ = strconv.Atoi(digits[:len(digits)-3])
		m, _ = strconv.Atoi(digits[len(digits)-2:])
	case len(digits) <= 2:
		h, _ = strconv.Atoi(digits)
	default:
		h, _ = strconv.Atoi(digits[:len(digits)-2])
		m, _ = strconv.Atoi(digits[len(digits)-2:])
	}
	if h > 23 || m > 59 {
		return 0, errors.New("timezone offset out of range")
	}
	return sign * (h*3600 + m*60), nil
}

// DateOfBirth converts a DCC dob (YYYY, YYYY-MM or YYYY-MM-DD) to the last
// instant-at-midnight consistent with it, as dccDateOfBirth does.
func DateOfBirth(s string) (DateTime, error) {
	if len(s) != 4 && len(s) != 7 && len(s) != 10 {
		return DateTime{}, fmt.Errorf("not a DCC date of birth (YYYY, YYYY-MM or YYYY-MM-DD): %q", s)
	}
	return ParseDateTime(s)
}

// plusTime offsets d by amount units, the way JavaScript's Date.setUTC*
// methods do (overflowing days roll into the next month: 2020-02-29 plus one
// year is 2021-03-01).
func plusTime(d DateTime, amount int64, unit string) (DateTime, error) {
	const limit = 1 << 24 // far beyond any rule; keeps the arithmetic exact
	if amount > limit || amount < -limit {
		return DateTime{}, fmt.Errorf("plusTime amount %d is out of range", amount)
	}
	n := int(amount)
	t := d.Time
	switch unit {
	case "year":
		t = time.Date(t.Year()+n, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	case "month":
		t = time.Date(t.Year(), t.Month()+time.Month(n), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	case "day":
		t = time.Date(t.Year(), t.Month(), t.Day()+n, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	case "hour":
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+n, t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	default:
		return DateTime{}, fmt.Errorf("plusTime: unknown time unit %q (year, month, day or hour)", unit)
	}
	if y := t.Year(); y < -271820 || y > 275759 { // JavaScript's Date range
		return DateTime{}, errors.New("plusTime: result is out of the date-time range")
	}
	return DateTime{t}, nil
}
