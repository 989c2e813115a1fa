// Package rfc3339 checks the JSON Schema "date-time" format: an RFC 3339
// §5.6 date-time, as general JSON Schema validators assert it. It is shared
// by the DCC schema checks (formats/dccschema) and the DCC business-rule
// schema check (certlogic), which replaced a general validator.
package rfc3339

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// DateTime reports whether s is a date-time: a full-date, T or t, a
// partial-time with an optional fraction, and Z, z or a numeric offset; a
// leap second only at 23:59 UTC. The error says which part is wrong.
func DateTime(s string) error {
	if len(s) < 20 {
		return errors.New("less than 20 characters long")
	}
	if s[10] != 't' && s[10] != 'T' {
		return errors.New("11th character must be t or T")
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return errors.New("invalid date element")
	}
	return partialTime(s[11:])
}

// partialTime checks a time with its offset, leap seconds included.
func partialTime(str string) error {
	if len(str) < 9 || str[2] != ':' || str[5] != ':' {
		return errors.New("invalid time element")
	}
	h, e1 := strconv.Atoi(str[0:2])
	m, e2 := strconv.Atoi(str[3:5])
	sec, e3 := strconv.Atoi(str[6:8])
	if e1 != nil || e2 != nil || e3 != nil || h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 60 {
		return errors.New("invalid hour/min/sec")
	}
	str = str[8:]
	if rem, ok := strings.CutPrefix(str, "."); ok {
		d := 0
		for d < len(rem) && rem[d] >= '0' && rem[d] <= '9' {
			d++
		}
		if d == 0 {
			return errors.New("no digits in second fraction")
		}
		str = rem[d:]
	}
	if str != "z" && str != "Z" {
		if len(str) != 6 || (str[0] != '+' && str[0] != '-') || str[3] != ':' {
			return errors.New("invalid offset")
		}
		zh, e1 := strconv.Atoi(str[1:3])
		zm, e2 := strconv.Atoi(str[4:6])
		if e1 != nil || e2 != nil || zh < 0 || zm < 0 || zh > 23 || zm > 59 {
			return errors.New("invalid offset")
		}
		sign := 1
		if str[0] == '+' {
			sign = -1
		}
		hm := h*60 + m + sign*(zh*60+zm)
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = hm/60, hm%60
	}
	if sec >= 60 && (h != 23 || m != 59) {
		return errors.New("invalid leap second")
	}
	return nil
}
