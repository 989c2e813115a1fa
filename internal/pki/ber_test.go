package pki

import (
	"bytes"
	"errors"
	"testing"
)

// berToDEROracle is the straightforward recursive normaliser BERToDER
// replaced (one allocation per element): the reference it must agree with.
func berToDEROracle(ber []byte) ([]byte, error) {
	out, rest, err := oracleElement(ber, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing data")
	}
	return out, nil
}

func oracleElement(b []byte, depth int) (out, rest []byte, err error) {
	if depth > 64 {
		return nil, nil, errors.New("deep")
	}
	tagLen, l, i, _, err := berHeader(b)
	if err != nil {
		return nil, nil, err
	}
	hdr := b[:tagLen]
	var body []byte
	if l < 0 {
		rest := b[i:]
		for !isEOC(rest) {
			var child []byte
			if child, rest, err = oracleElement(rest, depth+1); err != nil {
				return nil, nil, err
			}
			body = append(body, child...)
		}
		return append(appendDERLen(append([]byte(nil), hdr...), len(body)), body...), rest[2:], nil
	}
	content, rest := b[i:i+l], b[i+l:]
	if b[0]&0x20 == 0 {
		return append(appendDERLen(append([]byte(nil), hdr...), l), content...), rest, nil
	}
	for len(content) > 0 {
		var child []byte
		if child, content, err = oracleElement(content, depth+1); err != nil {
			return nil, nil, err
		}
		body = append(body, child...)
	}
	return append(appendDERLen(append([]byte(nil), hdr...), len(body)), body...), rest, nil
}

func berSeeds() [][]byte {
	return [][]byte{
		{0x30, 0x03, 0x02, 0x01, 0x00},
		{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00},
		{0x30, 0x81, 0x03, 0x02, 0x01, 0x05},       // non-minimal length
		{0x30, 0x82, 0x00, 0x03, 0x02, 0x01, 0x05}, // leading zero
		{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80, 0x30, 0x80, 0, 0, 0, 0, 0, 0},
		{0x3f, 0x81, 0x01, 0x80, 0x04, 0x01, 0xaa, 0x00, 0x00},
		{0x30, 0x05, 0x30, 0x80, 0x05, 0x00, 0x00}, // definite parent, indefinite child
		{0x04, 0x80, 0x00, 0x00},
	}
}

func checkBERAgrees(t *testing.T, b []byte) {
	got, err := BERToDER(b)
	want, werr := berToDEROracle(b)
	if (err == nil) != (werr == nil) {
		t.Fatalf("BERToDER(%x): err %v, oracle err %v", b, err, werr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("BERToDER(%x) = %x, oracle %x", b, got, want)
	}
}

// TestBERToDERAgrees pins BERToDER to the oracle on BER and DER samples,
// and DER input to coming back as the same slice.
func TestBERToDERAgrees(t *testing.T) {
	for _, b := range berSeeds() {
		checkBERAgrees(t, b)
	}
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x00}
	if out, err := BERToDER(der); err != nil || &out[0] != &der[0] {
		t.Fatalf("DER input was copied or refused: %v", err)
	}
}

// FuzzBERToDER: BERToDER agrees with the oracle on any input, and its
// output is DER (normalising it again changes nothing).
func FuzzBERToDER(f *testing.F) {
	for _, b := range berSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkBERAgrees(t, b)
		if out, err := BERToDER(b); err == nil {
			again, err := BERToDER(out)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("output %x is not stable DER: %x, %v", out, again, err)
			}
		}
	})
}
