package trustlist_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

var update = flag.Bool("update", false, "rewrite fixtures/trustlist from the fixed seeds")

// vectorTime is the fixed clock of the vectors.
var vectorTime = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

type vectorStep struct {
	File    string `json:"file"`
	Kind    string `json:"kind"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Hash    string `json:"hash"`
}

type vectorSuite struct {
	Comment  string       `json:"comment"`
	At       time.Time    `json:"at"`
	Policy   string       `json:"policy"`
	Pin      []string     `json:"pin"`
	Steps    []vectorStep `json:"steps"`
	Evidence string       `json:"evidence"`
}

func seedKey(name string) *trustlist.PrivateKey {
	seed := sha256.Sum256([]byte("accord test vector key " + name))
	return tt.Must(trustlist.NewPrivateKey(ed25519.NewKeyFromSeed(seed[:])))
}

// buildVectors makes every vector object deterministically: Ed25519
// signatures depend only on key and message, and all times are fixed.
func buildVectors(t *testing.T) (map[string][]byte, vectorSuite) {
	files := map[string][]byte{}
	nl := []*trustlist.PrivateKey{seedKey("NL-1"), seedKey("NL-2"), seedKey("NL-3")}
	sg := []*trustlist.PrivateKey{seedKey("SG-1")}
	pub := func(ks []*trustlist.PrivateKey) (out []*trustlist.PublicKey) {
		for _, k := range ks {
			out = append(out, k.Public())
		}
		return
	}
	nlD := tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: "NL", Name: "Netherlands (test vectors)", Version: 1, Threshold: 2, Keys: pub(nl), IssuedAt: vectorTime}, nl[:2]))
	sgD := tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: "SG", Name: "Singapore (test vectors)", Version: 1, Threshold: 1, Keys: pub(sg), IssuedAt: vectorTime}, sg))

	// A deterministic Ed25519 document signer certificate.
	dscKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, 32))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "NL DSC (test vectors)", Country: []string{"NL"}},
		NotBefore: vectorTime.AddDate(-1, 0, 0), NotAfter: vectorTime.AddDate(2, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der := tt.Must(x509.CreateCertificate(nil, tmpl, tmpl, dscKey.Public(), dscKey))
	dsc := tt.Must(trustlist.NewX509Entry(der, false, []trustlist.DocType{trustlist.DocHCert, trustlist.DocPDF}, ""))
	eth := tt.Must(trustlist.NewEthEntry(bytes.Repeat([]byte{0xab}, 20), []trustlist.DocType{trustlist.DocOA}, "Carrier (test vectors)", "carrier.example",
		vectorTime.AddDate(0, -1, 0), vectorTime.AddDate(1, 0, 0)))
	list := func(seq uint64, prev []byte, dv uint64, keys []*trustlist.PrivateKey, entries ...*trustlist.Entry) *trustlist.List {
		return tt.Must(trustlist.SignList(&trustlist.List{Country: "NL", DescriptorVersion: dv, Seq: seq, Prev: prev,
			IssuedAt: vectorTime.Add(time.Duration(seq) * time.Hour), NextUpdate: vectorTime.AddDate(0, 1, 0), Entries: entries}, keys))
	}
	l1 := list(1, nil, 1, nl[:2], dsc, eth)
	revoked := *eth
	revoked.Status, revoked.RevokedAt, revoked.Reason = trustlist.StatusRevoked, vectorTime.Add(90*time.Minute), "key compromise"
	l2 := list(2, l1.Hash(), 1, []*trustlist.PrivateKey{nl[1], nl[2]}, dsc, &revoked)
	l2b := list(2, l1.Hash(), 1, nl[:2], dsc)
	l2weak := list(2, l1.Hash(), 1, nl[:1], dsc)
	nl2k := seedKey("NL-v2-1")
	nlD2 := tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: "NL", Name: "Netherlands (test vectors)", Version: 2, Threshold: 1,
		Keys: []*trustlist.PublicKey{nl2k.Public()}, IssuedAt: vectorTime.Add(3 * time.Hour), SealedSeq: 2, SealedHash: l2.Hash()}, append(nl[:2:2], nl2k)))
	l3 := list(3, l2.Hash(), 2, []*trustlist.PrivateKey{nl2k}, dsc)
	// One list or descriptor for each remaining rejection reason (spec/trustlist.md §3),
	// each offered after list-NL-3 is the head under descriptor v2.
	nlD1other := tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: "NL", Name: "Netherlands (a second v1)", Version: 1, Threshold: 2, Keys: pub(nl), IssuedAt: vectorTime}, nl[:2]))
	l4intruder := list(4, l3.Hash(), 2, []*trustlist.PrivateKey{seedKey("intruder")}, dsc)
	l4old := list(4, l3.Hash(), 1, nl[:2], dsc)
	l5gap := list(5, l3.Hash(), 2, []*trustlist.PrivateKey{nl2k}, dsc)
	l4stale := tt.Must(trustlist.SignList(&trustlist.List{Country: "NL", DescriptorVersion: 2, Seq: 4, Prev: l3.Hash(),
		IssuedAt: vectorTime.Add(4 * time.Hour), NextUpdate: vectorTime.Add(5 * time.Hour), Entries: []*trustlist.Entry{dsc}}, []*trustlist.PrivateKey{nl2k}))
	garbage := []byte("this is not a COSE_Sign message")
	end := tt.Must(trustlist.Endorse(nlD, sgD, nl[:2], vectorTime))
	end2 := tt.Must(trustlist.Endorse(nlD2, sgD, []*trustlist.PrivateKey{nl2k}, vectorTime.Add(4*time.Hour)))
	ev := tt.Must(trustlist.NewEvidence(nlD, l2, l2b))

	add := func(name string, b []byte) string { files[name] = b; return name }
	suite := vectorSuite{
		Comment: "Accord trust-list test vectors (spec/trustlist.md). Keys are Ed25519 from seeds SHA-256(\"accord test vector key \" + name). " +
			"Apply the steps in order to a Set that pins the descriptors in `pin`, with endorsement threshold 1, at time `at`.",
		At: vectorTime.Add(6 * time.Hour), Policy: "endorsement_threshold=1",
		Pin: []string{add("descriptor-NL-v1.cose", nlD.Raw())},
	}
	step := func(name string, b []byte, kind trustlist.Kind, out trustlist.Outcome, reason trustlist.Reason, hash []byte) {
		add(name, b)
		suite.Steps = append(suite.Steps, vectorStep{File: name, Kind: string(kind), Outcome: string(out), Reason: string(reason), Hash: hex.EncodeToString(hash)})
	}
	step("list-NL-1.cose", l1.Raw(), trustlist.KindList, trustlist.Accepted, "", l1.Hash())
	step("list-NL-2-below-threshold.cose", l2weak.Raw(), trustlist.KindList, trustlist.Rejected, trustlist.ReasonThresholdNotMet, l2weak.Hash())
	step("list-NL-2.cose", l2.Raw(), trustlist.KindList, trustlist.Accepted, "", l2.Hash())
	step("list-NL-1.cose", l1.Raw(), trustlist.KindList, trustlist.Duplicate, "", l1.Hash())
	step("descriptor-SG-v1.cose", sgD.Raw(), trustlist.KindDescriptor, trustlist.Pending, trustlist.ReasonUnknownAnchor, sgD.Hash())
	step("endorsement-NL-SG.cose", end.Raw(), trustlist.KindEndorsement, trustlist.Accepted, "", end.Hash())
	step("descriptor-NL-v2.cose", nlD2.Raw(), trustlist.KindDescriptor, trustlist.Accepted, "", nlD2.Hash())
	// NL rotated away from the keys that endorsed SG: that endorsement no
	// longer counts (SG lost admission), and is refused if offered again.
	step("endorsement-NL-SG.cose", end.Raw(), trustlist.KindEndorsement, trustlist.Rejected, trustlist.ReasonBadVersion, end.Hash())
	step("endorsement-NL-v2-SG.cose", end2.Raw(), trustlist.KindEndorsement, trustlist.Accepted, "", end2.Hash())
	step("list-NL-3.cose", l3.Raw(), trustlist.KindList, trustlist.Accepted, "", l3.Hash())
	step("garbage.bin", garbage, "", trustlist.Rejected, trustlist.ReasonMalformed, nil)
	step("list-NL-4-intruder.cose", l4intruder.Raw(), trustlist.KindList, trustlist.Rejected, trustlist.ReasonBadSignature, l4intruder.Hash())
	step("descriptor-NL-v1-other.cose", nlD1other.Raw(), trustlist.KindDescriptor, trustlist.Rejected, trustlist.ReasonRollback, nlD1other.Hash())
	step("list-NL-5-gap.cose", l5gap.Raw(), trustlist.KindList, trustlist.Rejected, trustlist.ReasonBrokenChain, l5gap.Hash())
	step("list-NL-4-old-descriptor.cose", l4old.Raw(), trustlist.KindList, trustlist.Rejected, trustlist.ReasonBadVersion, l4old.Hash())
	step("list-NL-4-stale.cose", l4stale.Raw(), trustlist.KindList, trustlist.Rejected, trustlist.ReasonExpired, l4stale.Hash())
	step("list-NL-2-conflicting.cose", l2b.Raw(), trustlist.KindList, trustlist.Rejected, trustlist.ReasonEquivocation, l2b.Hash())
	suite.Evidence = add("evidence-NL-seq2.cbor", ev.Raw())
	js, _ := json.MarshalIndent(suite, "", "  ")
	files["vectors.json"] = append(js, '\n')
	return files, suite
}

func TestVectors(t *testing.T) {
	dir := fixtures.Dir(t, "trustlist")
	files, _ := buildVectors(t)
	if *update {
		os.MkdirAll(dir, 0o755)
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The committed vectors are exactly what the seeds produce.
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v (run `go test ./trustlist -run TestVectors -update` to write the vectors)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the seeds produce: encoding or signing is no longer deterministic", name)
		}
	}
	// Replaying the committed files gives the recorded outcomes.
	var suite vectorSuite
	if err := json.Unmarshal(tt.Must(os.ReadFile(filepath.Join(dir, "vectors.json"))), &suite); err != nil {
		t.Fatal(err)
	}
	s := trustlist.NewSet(trustlist.Policy{EndorsementThreshold: 1})
	for _, p := range suite.Pin {
		if _, err := s.Pin(tt.Must(os.ReadFile(filepath.Join(dir, p)))); err != nil {
			t.Fatal(err)
		}
	}
	for i, st := range suite.Steps {
		d := s.Accept(tt.Must(os.ReadFile(filepath.Join(dir, st.File))), suite.At)
		if string(d.Outcome) != st.Outcome || string(d.Reason) != st.Reason || hex.EncodeToString(d.Hash) != st.Hash || string(d.Kind) != st.Kind {
			t.Errorf("step %d %s: got %s %s %q %x (%s), want %s %s %q %s", i, st.File, d.Kind, d.Outcome, d.Reason, d.Hash, d.Detail, st.Kind, st.Outcome, st.Reason, st.Hash)
		}
	}
	// The vectors cover every rejection reason, so another implementation can be
	// checked against all of them from fixtures/ alone.
	covered := map[string]bool{}
	for _, st := range suite.Steps {
		covered[st.Reason] = true
	}
	for _, r := range []trustlist.Reason{trustlist.ReasonMalformed, trustlist.ReasonBadSignature, trustlist.ReasonThresholdNotMet,
		trustlist.ReasonUnknownAnchor, trustlist.ReasonRollback, trustlist.ReasonBrokenChain, trustlist.ReasonBadVersion,
		trustlist.ReasonExpired, trustlist.ReasonEquivocation} {
		if !covered[string(r)] {
			t.Errorf("no vector step is rejected with reason %s", r)
		}
	}
	evRaw := tt.Must(os.ReadFile(filepath.Join(dir, suite.Evidence)))
	if _, err := trustlist.ParseEvidence(evRaw); err != nil {
		t.Errorf("evidence vector: %v", err)
	}
	if d := s.Accept(evRaw, suite.At); d.Outcome != trustlist.Duplicate {
		t.Errorf("the evidence the conflicting list produced is held already: got %s %s", d.Outcome, d.Detail)
	}
	if !s.Anchors()[0].Equivocated || len(s.Anchors()) != 2 {
		t.Errorf("after the steps NL is flagged and SG admitted: %+v", s.Anchors())
	}
}
