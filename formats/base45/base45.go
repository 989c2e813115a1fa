// Package base45 implements the Base45 encoding of RFC 9285, the text encoding
// used by EU Digital COVID Certificates to fit binary data into the
// alphanumeric mode of a QR code.
//
// Decoding is strict: characters outside the 45-character alphabet, a triplet
// whose value exceeds 65535, a final pair whose value exceeds 255, and a
// dangling single character are all refused, with the offending position.
package base45

import (
	"errors"
	"fmt"
	"slices"
)

// Alphabet is the RFC 9285 alphabet; a character's index is its value.
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// ErrInvalid is wrapped by every decoding error.
var ErrInvalid = errors.New("invalid base45")

// decodeTable maps a byte to its value, or 0xff if it is not in the alphabet.
var decodeTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(Alphabet); i++ {
		t[Alphabet[i]] = byte(i)
	}
	return t
}()

// EncodedLen returns the length of the encoding of n bytes.
func EncodedLen(n int) int { return n/2*3 + n%2*2 }

// DecodedLen returns the maximum length of the decoding of n characters.
func DecodedLen(n int) int { return n/3*2 + n%3/2 }

// Encode returns the Base45 encoding of src.
func Encode(src []byte) string {
	return string(AppendEncode(make([]byte, 0, EncodedLen(len(src))), src))
}

// AppendEncode appends the Base45 encoding of src to dst.
func AppendEncode(dst, src []byte) []byte {
	for len(src) >= 2 {
		n := uint(src[0])<<8 | uint(src[1])
		dst = append(dst, Alphabet[n%45], Alphabet[n/45%45], Alphabet[n/2025])
		src = src[2:]
	}
	if len(src) == 1 {
		n := uint(src[0])
		dst = append(dst, Alphabet[n%45], Alphabet[n/45])
	}
	return dst
}

// Decode returns the bytes encoded by s.
func Decode(s string) ([]byte, error) {
	return AppendDecode(make([]byte, 0, DecodedLen(len(s))), s)
}

// AppendDecode appends the bytes encoded by s (a string or a byte slice) to
// dst. On error it returns dst with whatever was decoded before the bad
// position.
func AppendDecode[T ~string | ~[]byte](dst []byte, s T) ([]byte, error) {
	if len(s)%3 == 1 {
		return dst, fmt.Errorf("%w: length %d leaves a single character at the end (lengths must be 0 or 2 modulo 3)", ErrInvalid, len(s))
	}
	// Grow once and write by index: a QR payload is hundreds of triplets.
	start := len(dst)
	dst = slices.Grow(dst, DecodedLen(len(s)))
	out := dst[start : start+DecodedLen(len(s))]
	i, j := 0, 0
	for ; i+3 <= len(s); i, j = i+3, j+2 {
		a, b, c := decodeTable[s[i]], decodeTable[s[i+1]], decodeTable[s[i+2]]
		if a > 44 || b > 44 || c > 44 {
			return dst[:start+j], badChar(s, i, 3)
		}
		n := uint(a) + uint(b)*45 + uint(c)*2025
		if n > 0xffff {
			return dst[:start+j], fmt.Errorf("%w: triplet %q at offset %d has value %d > 65535", ErrInvalid, s[i:i+3], i, n)
		}
		out[j], out[j+1] = byte(n>>8), byte(n)
	}
	if i < len(s) {
		a, b := decodeTable[s[i]], decodeTable[s[i+1]]
		if a > 44 || b > 44 {
			return dst[:start+j], badChar(s, i, 2)
		}
		n := uint(a) + uint(b)*45
		if n > 0xff {
			return dst[:start+j], fmt.Errorf("%w: final pair %q at offset %d has value %d > 255", ErrInvalid, s[i:i+2], i, n)
		}
		out[j] = byte(n)
		j++
	}
	return dst[:start+j], nil
}

func badChar[T ~string | ~[]byte](s T, i, n int) error {
	for j := i; j < i+n; j++ {
		if decodeTable[s[j]] == 0xff {
			return fmt.Errorf("%w: character %q at offset %d is not in the base45 alphabet", ErrInvalid, s[j], j)
		}
	}
	return fmt.Errorf("%w: bad group at offset %d", ErrInvalid, i)
}
