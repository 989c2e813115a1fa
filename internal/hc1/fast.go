package hc1

import (
	"math"
	"time"
	"unicode/utf8"

	"github.com/accord-network/accord/internal/cborscan"
)

// The common shape of an HC1 — COSE_Sign1 under tag 18 (or 61 and 18, or
// untagged), headers holding only alg and kid, CWT claims holding only iss,
// exp, iat and hcert, all of definite length with distinct integer labels,
// and a plain DCC — is taken apart here in one pass over the bytes. Any
// other shape, including every malformed input, goes to the general path
// (decodeCOSE, decodeCWT), which decides and words the error. The fast path
// accepts a subset of what the general path accepts and fills the same
// fields with the same values (TestFastPathAgrees pins this).

// reader reads CBOR heads of definite length.
type reader struct {
	b   []byte
	off int
}

// head reads an initial byte and argument; ok is false for a truncated
// head, an indefinite length, a reserved value or a simple value or float.
func (r *reader) head() (major byte, arg uint64, ok bool) {
	major, arg, n, ok := cborscan.Head(r.b, r.off)
	if !ok || major == 7 {
		return 0, 0, false
	}
	r.off += 1 + n
	return major, arg, true
}

// str reads a byte string (major 2) or text string (major 3).
func (r *reader) str(want byte) ([]byte, bool) {
	major, n, ok := r.head()
	if !ok || major != want || n > uint64(len(r.b)-r.off) {
		return nil, false
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, true
}

// integer reads an integer (major 0 or 1) within int64.
func (r *reader) integer() (int64, bool) {
	major, n, ok := r.head()
	if !ok || (major != 0 && major != 1) || n > math.MaxInt64 {
		return 0, false
	}
	if major == 1 {
		return -1 - int64(n), true
	}
	return int64(n), true
}

// mapLen reads a map head of at most max pairs.
func (r *reader) mapLen(max uint64) (int, bool) {
	major, n, ok := r.head()
	if !ok || major != 5 || n > max {
		return 0, false
	}
	return int(n), true
}

// labels tracks the integer labels of one map, to refuse duplicates.
type labels struct {
	seen [16]int64
	n    int
}

func (l *labels) add(k int64) bool {
	for _, s := range l.seen[:l.n] {
		if s == k {
			return false
		}
	}
	if l.n == len(l.seen) {
		return false
	}
	l.seen[l.n] = k
	l.n++
	return true
}

// header is what a COSE header map of the common shape holds.
type header struct {
	alg    int64
	hasAlg bool
	kid    []byte
}

// readHeader reads a header map holding only alg (an integer) and kid (a
// byte string).
func (r *reader) readHeader() (h header, ok bool) {
	n, ok := r.mapLen(8)
	if !ok {
		return h, false
	}
	var l labels
	for range n {
		k, ok := r.integer()
		if !ok || !l.add(k) {
			return h, false
		}
		switch k {
		case 1:
			if h.alg, ok = r.integer(); !ok {
				return h, false
			}
			h.hasAlg = true
		case 4:
			if h.kid, ok = r.str(2); !ok {
				return h, false
			}
			if h.kid == nil {
				h.kid = []byte{}
			}
		default:
			return h, false
		}
	}
	return h, true
}

// fastDecode takes b (COSE_Sign1 bytes) apart when it has the common shape,
// filling d and scanning the DCC into toks. It returns false, leaving d as
// it was, for any other shape.
func fastDecode(b []byte, d *Decoded, toks *[]cborscan.Token) bool {
	f := *d
	r := reader{b: b}
	switch {
	case len(b) > 1 && b[0] == 0xd2:
		f.Tags, r.off = "tag 18", 1
	case len(b) > 3 && b[0] == 0xd8 && b[1] == 61 && b[2] == 0xd2:
		f.Tags, r.off = "tag 61 (CWT) around tag 18", 3
	case len(b) > 0 && b[0] == 0x84:
		f.Tags = "untagged"
	default:
		return false
	}
	if r.off >= len(b) || b[r.off] != 0x84 {
		return false
	}
	r.off++
	var ok bool
	if f.Protected, ok = r.str(2); !ok {
		return false
	}
	var prot header
	if len(f.Protected) > 0 {
		pr := reader{b: f.Protected}
		if prot, ok = pr.readHeader(); !ok || pr.off != len(f.Protected) {
			return false
		}
	}
	unprot, ok := r.readHeader()
	if !ok {
		return false
	}
	if f.Payload, ok = r.str(2); !ok || len(f.Payload) == 0 {
		return false
	}
	if f.Signature, ok = r.str(2); !ok || r.off != len(b) {
		return false
	}
	// alg and kid from the protected header; the unprotected one only for
	// what the protected one lacks.
	for i, h := range [2]header{prot, unprot} {
		name := "protected"
		if i == 1 {
			name = "unprotected"
		}
		if h.hasAlg && !f.HasAlg {
			f.Alg, f.HasAlg, f.AlgFrom = h.alg, true, name
		}
		if h.kid != nil && f.KID == nil {
			f.KID, f.KIDFrom = h.kid, name
		}
	}
	if !fastClaims(&f, toks) {
		return false
	}
	*d = f
	return true
}

// fastClaims reads CWT claims holding only iss, exp, iat and hcert, with a
// plain DCC.
func fastClaims(f *Decoded, toks *[]cborscan.Token) bool {
	r := reader{b: f.Payload}
	n, ok := r.mapLen(16)
	if !ok {
		return false
	}
	var l labels
	for range n {
		k, ok := r.integer()
		if !ok || !l.add(k) {
			return false
		}
		switch k {
		case 1:
			iss, ok := r.str(3)
			if !ok || !utf8.Valid(iss) {
				return false
			}
			// Issuer becomes a substring of the payload's string
			// (DecodeWith): one allocation for all the claims' text.
			f.issuer = iss
		case 4, 6:
			major, sec, ok := r.head()
			if !ok || major != 0 || sec > maxNumericDate {
				return false
			}
			t := time.Unix(int64(sec), 0).UTC()
			if k == 4 {
				f.Expires = t
			} else {
				f.IssuedAt = t
			}
		case -260:
			if n, ok := r.mapLen(1); !ok || n != 1 {
				return false
			}
			if k, ok := r.integer(); !ok || k != 1 {
				return false
			}
			t, size, ok := cborscan.ScanPrefix(*toks, r.b[r.off:])
			*toks = t
			if !ok || t[0].Kind != cborscan.Object {
				return false
			}
			f.DCCRaw = r.b[r.off : r.off+size]
			r.off += size
		default:
			return false
		}
	}
	return f.DCCRaw != nil && r.off == len(r.b)
}

// fastFinish completes what fastDecode took apart, with toks the DCC's
// tokens: one string holds the text of every claim, of which the issuer
// and the DCC's text fields are substrings, and the DCC's schema verdict
// and fields are taken from the tokens.
func fastFinish(d *Decoded, toks []cborscan.Token) {
	text := string(d.Payload)
	if d.issuer != nil {
		d.Issuer = substring(text, d.Payload, d.issuer)
		d.issuer = nil
	}
	dccFromTokens(d, toks, d.Payload, text)
}
