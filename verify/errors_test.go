package verify_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Unreadable documents and unreadable trust objects are one error value, so
// a caller (the CLI's exit status 2) tests for it once.
func TestErrMalformedIsOneValue(t *testing.T) {
	if verify.ErrMalformed != trustlist.ErrMalformed {
		t.Fatal("verify.ErrMalformed and trustlist.ErrMalformed are different values")
	}
	doc := fmt.Errorf("hcert: %w: bad base45", verify.ErrMalformed)
	obj := fmt.Errorf("list: %w: truncated", trustlist.ErrMalformed)
	if !errors.Is(doc, trustlist.ErrMalformed) || !errors.Is(obj, verify.ErrMalformed) {
		t.Fatal("errors.Is does not see one through the other")
	}
	if !errors.Is(verify.ErrUnknownFormat, trustlist.ErrMalformed) {
		t.Fatal("ErrUnknownFormat does not wrap the one ErrMalformed")
	}
}
