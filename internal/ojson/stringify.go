package ojson

import (
	"math"
	"strconv"
	"strings"
)

// Stringify returns JSON.stringify(v) byte for byte.
func Stringify(v *Value) []byte {
	var b []byte
	return appendValue(b, v, "", "")
}

// StringifyIndent returns JSON.stringify(v, null, indent).
func StringifyIndent(v *Value, indent string) []byte {
	b := appendValue(nil, v, indent, "")
	return append(b, '\n')
}

// AppendValue appends JSON.stringify(v) to b.
func AppendValue(b []byte, v *Value) []byte { return appendValue(b, v, "", "") }

func appendValue(b []byte, v *Value, indent, cur string) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch v.kind {
	case Null:
		return append(b, "null"...)
	case Bool:
		if v.b {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Number:
		return AppendNumber(b, v.n)
	case String:
		if v.b { // nothing to escape (as parsed)
			b = append(b, '"')
			b = append(b, v.s...)
			return append(b, '"')
		}
		return AppendString(b, v.s)
	}
	// An object or an array: the same layout, objects with "key": before
	// each value.
	obj := v.kind != Array
	n, open, close := len(v.arr), byte('['), byte(']')
	if obj {
		n, open, close = len(v.obj), '{', '}'
	}
	if n == 0 {
		return append(b, open, close)
	}
	b = append(b, open)
	next := cur + indent
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if indent != "" {
			b = append(b, '\n')
			b = append(b, next...)
		}
		e := v.Elem(i)
		if obj {
			b = AppendString(b, v.obj[i].Key)
			b = append(b, ':')
			if indent != "" {
				b = append(b, ' ')
			}
			e = v.obj[i].Value
		}
		b = appendValue(b, e, indent, next)
	}
	if indent != "" {
		b = append(b, '\n')
		b = append(b, cur...)
	}
	return append(b, close)
}

const hexDigits = "0123456789abcdef"

// AppendString quotes s as ECMAScript's JSON.stringify does (QuoteJSONString,
// ES2019 well-formed): only '"', '\\' and control characters below U+0020 are
// escaped (the usual short forms, else \u00xx), lone surrogates become
// \udxxx, and everything else, including '<', '>', '&', U+2028 and U+2029,
// is written as is.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = AppendStringBody(b, s)
	return append(b, '"')
}

// AppendStringBody is AppendString without the quotes.
func AppendStringBody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !needsLook[c] {
			i++
			continue
		}
		if c == 0xED {
			r, ok := surrogateAt(s, i)
			if !ok {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[(r>>8)&0xF], hexDigits[(r>>4)&0xF], hexDigits[r&0xF])
			i += 3
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		if e := shortEscape[c]; e != 0 {
			b = append(b, '\\', e)
		} else {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	return append(b, s[start:]...)
}

// shortEscape is the letter of a byte's two-character escape, or 0.
var shortEscape = [256]byte{'"': '"', '\\': '\\', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'}

// needsLook marks the bytes AppendStringBody must look at: those it escapes
// and 0xED, the first byte of an encoded lone surrogate.
var needsLook = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'], t[0xED] = true, true, true
	return t
}()

// AppendNumber formats f as ECMAScript Number::toString (radix 10) does,
// which is what JSON.stringify and String(n) use. Non-finite numbers are
// "null" in JSON.
func AppendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return append(b, NumberString(f)...)
}

// NumberString is String(f) in JavaScript.
func NumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0" // also -0
	}
	neg := f < 0
	if neg {
		f = -f
	}
	// Shortest round-trip digits and exponent: d.ddde±x
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k := len(digits)
	n := x + 1 // position of the decimal point relative to the digits
	var s string
	switch {
	case k <= n && n <= 21:
		s = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		s = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		s = "0." + strings.Repeat("0", -n) + digits
	default:
		sign := "+"
		if n-1 < 0 {
			sign = "-"
		}
		ex := n - 1
		if ex < 0 {
			ex = -ex
		}
		if k == 1 {
			s = digits + "e" + sign + strconv.Itoa(ex)
		} else {
			s = digits[:1] + "." + digits[1:] + "e" + sign + strconv.Itoa(ex)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

// JSString is String(v) for the values a document leaf can hold (used by
// v3 digests, which concatenate "salt:" + value).
func JSString(v *Value) string {
	switch v.Kind() {
	case Null:
		return "null"
	case Bool:
		if v.b {
			return "true"
		}
		return "false"
	case Number:
		return NumberString(v.n)
	case String:
		return v.s
	case Array:
		parts := make([]string, len(v.arr))
		for i, e := range v.arr {
			if e.Kind() != Null {
				parts[i] = JSString(e)
			}
		}
		return strings.Join(parts, ",")
	default:
		return "[object Object]"
	}
}
