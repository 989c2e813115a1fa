package checkneed

import (
	"testing"

	"github.com/accord-network/accord/verify"
)

// TestOf: each reason the formats write gets the need of its cause, and a
// result that is not "cannot check" gets none.
func TestOf(t *testing.T) {
	for _, c := range []struct {
		format, why string
		want        Cause
	}{
		{"oa", "cannot be checked offline: issuance is recorded in token registry 0x71D2 on Polygon Amoy", Chain},
		{"oa", "cannot be checked offline: the holder of this transferable record is recorded in title escrow 0xAB on Polygon Amoy", Chain},
		{"vc", "cannot be checked offline: the holder of this transferable record is recorded in title escrow 0xAB on Polygon Amoy", Chain},
		{"vc", "cannot be checked offline: this transferable record's title is recorded as token 1 in token registry 0xAB on Polygon Amoy", Chain},
		{"vc", "cannot be checked: this transferable record's title is recorded as token 1 in 0xAB, which no admitted anchor lists for vc credentials", Anchor},
		{"vc", "cannot be checked offline: the credential's revocation status is in status list https://x.example/1", StatusList},
		{"vc", "cannot be checked: the credential's revocation status list https://x.example/1 could not be fetched", StatusRetry},
		{"vc", "cannot be checked: the credential's revocation status list https://x.example/1 cannot be verified here (unsigned)", Unsupported},
		{"vc", "cannot be checked: the credential is signed with bbs-2023, which this verifier does not support", Unsupported},
		{"vc", "cannot be checked: the credential's status is of a type this verifier does not know (X)", Unsupported},
	} {
		r := &verify.Result{Format: c.format}
		r.Add(verify.CheckSignature, verify.Pass, "ok")
		r.MarkCannotCheck("%s", c.why)
		n := Of(r.Finish())
		if n.Cause != c.want || n.Hint == "" || n.Group == "" {
			t.Errorf("%s %q: %+v, want cause %s", c.format, c.why, n, c.want)
		}
	}
	if n := Of(&verify.Result{Format: "oa", Valid: true}); n != (Need{}) {
		t.Errorf("a checked document needs %+v", n)
	}
	if n := Of(nil); n != (Need{}) {
		t.Errorf("nil result needs %+v", n)
	}
}
