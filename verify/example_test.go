package verify_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/fixtures/world"
	_ "github.com/accord-network/accord/formats/all" // every document format
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// An app verifies a document against the trust store a node keeps up to
// date. README.md ("For an app developer") quotes this example from
// "README:begin" to "README:end"; TestReadmeQuotesExample keeps them equal.
func Example() {
	// A node's data directory holding NL's and SG's lists, and four documents:
	// an HC1 NL's DSC signed, the same altered, TradeTrust's e-BL on Polygon
	// Amoy (no endpoint given: it cannot be checked) and a scrap of text.
	dataDir, documents := exampleStore()
	defer os.RemoveAll(filepath.Dir(dataDir))
	ctx := context.Background()

	// README:begin
	// The node's data directory is a trust store; a Reloader picks up each
	// list the node accepts (checking the store at most once a minute).
	trust, err := trustlist.NewReloader(dataDir, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	v := verify.New(trust, verify.Options{})
	for _, document := range documents {
		res, _ := v.Verify(ctx, document) // an error is also in the result (res.Error)
		switch verdict := res.Verdict(); verdict {
		case verify.VerdictValid:
			fmt.Printf("valid: signed by %s (%s)\n", res.Issuer.Name, res.Issuer.Country)
		case verify.VerdictInvalid: // forged, altered, expired, revoked or untrusted
			c := res.FirstFailure()
			fmt.Printf("NOT VALID: %s: %s\n", c.Name, c.Detail)
		case verify.VerdictCannotCheck: // neither valid nor forged: a service it needs could not be used
			fmt.Printf("%s: %s\n", verdict.Headline(), res.CannotCheck)
		default: // unreadable or not checked: nothing is known about the document
			fmt.Printf("%s: %s\n", verdict.Headline(), res.Error)
		}
	}
	// README:end

	// Output:
	// valid: signed by Ministry of Health, Welfare and Sport (NL)
	// NOT VALID: signature: NL DSC "Ministry of Health, Welfare and Sport": ES256 signature does not verify with this DSC
	// CANNOT CHECK: cannot be checked offline: issuance is recorded in token registry 0x71D28767662cB233F887aD2Bb65d048d760bA694 on Polygon Amoy
	// COULD NOT READ — scan again: malformed input: not a document this verifier knows (no registered format recognised it)
}

// exampleStore makes a trust store that pins an NL anchor and holds its list
// of the fixture world's DSC and TradeTrust's Amoy token registry, and
// returns it with one document of each verdict but "not checked".
func exampleStore() (dir string, documents [][]byte) {
	is, err := world.NewIssuers()
	if err != nil {
		log.Fatal(err)
	}
	entries, err := is.Entries()
	if err != nil {
		log.Fatal(err)
	}
	docs, err := is.Issue()
	if err != nil {
		log.Fatal(err)
	}
	ebl := fixtures.AmoyEBL() // tradetrust-website src/test/fixture/amoy (Apache-2.0)
	registry, _ := hex.DecodeString(fixtures.AmoyRegistry)
	contract, err := trustlist.NewContractEntry(fixtures.AmoyChainID, registry, []trustlist.DocType{trustlist.DocOA}, "TradeTrust demo carrier", "",
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(10, 0, 0))
	if err != nil {
		log.Fatal(err)
	}
	key, err := trustlist.GenerateKey(trustlist.AlgES256, nil)
	if err != nil {
		log.Fatal(err)
	}
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	desc, err := trustlist.SignDescriptor(&trustlist.Descriptor{Country: "NL", Name: "Netherlands Health", Version: 1, Threshold: 1,
		Keys: []*trustlist.PublicKey{key.Public()}, IssuedAt: now}, []*trustlist.PrivateKey{key})
	if err != nil {
		log.Fatal(err)
	}
	list, err := trustlist.SignList(&trustlist.List{Country: "NL", DescriptorVersion: 1, Seq: 1, IssuedAt: now,
		NextUpdate: now.Add(24 * time.Hour), Entries: append(entries["NL"], contract)}, []*trustlist.PrivateKey{key})
	if err != nil {
		log.Fatal(err)
	}
	dir, err = os.MkdirTemp("", "accord-example-")
	if err != nil {
		log.Fatal(err)
	}
	dir = filepath.Join(dir, "data")
	st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Pin(desc.Raw()); err != nil {
		log.Fatal(err)
	}
	if d, err := st.Import(list.Raw(), time.Now()); err != nil || d.Outcome != trustlist.Accepted {
		log.Fatalf("import: %v %v", d, err)
	}
	return dir, [][]byte{docs.HC1, docs.HC1Tampered, ebl, []byte("x")}
}
