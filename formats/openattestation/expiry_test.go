package openattestation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/openattestation"
	oaissue "github.com/accord-network/accord/issue/openattestation"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// TestExpiredEthEntryBackdatedDoc pins issue 10 item 8 for OpenAttestation:
// an eth entry whose validity has ended (not revoked) no longer validates
// documents whose issue date is backdated into its window, or absent.
func TestExpiredEthEntryBackdatedDoc(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := oaissue.AddressOf(key)
	// Valid through 2025; the sample e-BL's issueDate (2025-03-14) lies inside.
	from, until := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	e, err := trustlist.NewEthEntry(addr[:], []trustlist.DocType{trustlist.DocOA}, "Hapag-Lloyd AG", "", from, until)
	if err != nil {
		t.Fatal(err)
	}
	a := trustlisttest.NewAnchor(t, "DE")
	a.SignList(t, time.Time{}, 24*time.Hour, e)
	set := trustlisttest.Set(t, a)

	docs, err := oaissue.IssueEBL(key, [][]byte{sampleEBL(t)}, oaissue.IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The holder obfuscates the dates: the document keeps its integrity and
	// carries no signing time at all.
	absent, err := oaissue.Obfuscate(docs[0], []string{"issueDate", "shippedOnBoardDate"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := openattestation.Parse(absent); err != nil || !openattestation.SigningTimeOf(d).Time.IsZero() {
		t.Fatalf("obfuscated document still has a signing time: %v", err)
	}
	docs = append(docs, absent)
	for i, name := range []string{"backdated issue date", "no issue date"} {
		r, err := verifier(t, set).Verify(context.Background(), docs[i])
		if err != nil {
			t.Fatal(err)
		}
		c := r.Check(verify.CheckKeyValidAtSigning)
		if r.Valid || c == nil || c.Status != verify.Fail || !strings.Contains(c.Detail, "verification time") {
			t.Errorf("%s, entry expired: valid=%v %+v", name, r.Valid, c)
		}
		// Verified at a time inside the entry's validity, both pass that check.
		at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		r, err = verify.New(set, verify.Options{Formats: []string{openattestation.FormatName}, At: at, Offline: true}).Verify(context.Background(), docs[i])
		if err != nil {
			t.Fatal(err)
		}
		if c := r.Check(verify.CheckKeyValidAtSigning); c == nil || c.Status != verify.Pass {
			t.Errorf("%s, verified within the validity: %+v", name, c)
		}
	}
}
