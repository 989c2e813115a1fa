package foreign

import (
	"crypto/sha256"
	"testing"

	"github.com/accord-network/accord/internal/listimport/etsitl"
)

// BenchmarkAcceptLOTL accepts the real LOTL 248 (XAdES check, pointers)
// beside its floor, a SHA-256 of the same bytes.
func BenchmarkAcceptLOTL(b *testing.B) {
	raw := read(b, "lotl/eu-lotl-248.xml")
	h := NewHeld()
	if err := h.PinSource(Pin{Format: etsitl.Format, Roots: roots(b, "certs/oj-2019/*.pem")}); err != nil {
		b.Fatal(err)
	}
	b.Run("accept", func(b *testing.B) {
		for b.Loop() {
			h.lists = map[string]*List{}
			if _, _, err := h.Accept(etsitl.Format, raw, Options{Now: when}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-sha256", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(raw)
		}
	})
}
