package verify_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-network/accord/fixtures/world"
	_ "github.com/accord-network/accord/formats/all" // every document format
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// An app verifies a document against the trust store a node keeps up to
// date. README.md ("For an app developer") quotes this example from
// "README:begin" to "README:end"; TestReadmeQuotesExample keeps them equal.
func Example() {
	dataDir, document := exampleStore() // a node's data directory holding NL's list; an HC1 its DSC signed
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
	res, err := v.Verify(ctx, document)
	switch res.Verdict() {
	case verify.VerdictValid:
		fmt.Printf("valid: signed by %s (%s)\n", res.Issuer.Name, res.Issuer.Country)
	case verify.VerdictInvalid: // forged, altered, expired, revoked or untrusted
		c := res.FirstFailure()
		fmt.Printf("NOT VALID: %s: %s\n", c.Name, c.Detail)
	default: // unreadable: nothing is known about the document; scan it again
		fmt.Printf("could not read it: %v\n", err)
	}
	// README:end

	// Output: valid: signed by Ministry of Health, Welfare and Sport (NL)
}

// exampleStore makes a trust store that pins an NL anchor and holds its list
// of the fixture world's DSC, and returns it with an HC1 that DSC signed.
func exampleStore() (dir string, hc1 []byte) {
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
		NextUpdate: now.Add(24 * time.Hour), Entries: entries["NL"]}, []*trustlist.PrivateKey{key})
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
	return dir, docs.HC1
}
