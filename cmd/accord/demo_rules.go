package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accord-network/accord/fixtures/world"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
	"github.com/accord-network/accord/verify"
)

// demoRule is NL's entry rule in the demo: a vaccination counts for 270 days.
const demoRule = `{"Identifier":"VR-NL-0001","Type":"Acceptance","Country":"NL","Version":"1.0.0","SchemaVersion":"1.0.0",` +
	`"Engine":"CERTLOGIC","EngineVersion":"0.7.5","CertificateType":"Vaccination",` +
	`"Description":[{"lang":"en","desc":"The last vaccination must be at most 270 days old"},{"lang":"nl","desc":"De laatste vaccinatie mag hoogstens 270 dagen oud zijn"}],` +
	`"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2035-01-01T00:00:00Z","AffectedFields":["v.0.dt"],` +
	`"Logic":{"if":[{"var":"payload.v.0"},{"not-after":[{"plusTime":[{"var":"external.validationClock"},0,"day"]},{"plusTime":[{"var":"payload.v.0.dt"},270,"day"]}]},true]}}`

// demoCertificate issues an NL vaccination certificate with the world's DSC,
// vaccinated daysAgo days ago.
func demoCertificate(is *world.Issuers, name, uvci string, daysAgo int) ([]byte, error) {
	dt := time.Now().AddDate(0, 0, -daysAgo).UTC().Format("2006-01-02")
	dcc := strings.NewReplacer("Mei Ling", name, "MEI<LING", strings.ToUpper(strings.ReplaceAll(name, " ", "<")),
		"2026-02-10", dt, "ACCORDDEMO0001", uvci).Replace(world.DCC)
	hc1, err := hcertissue.Issue([]byte(dcc), hcertissue.IssueOptions{Signer: is.DSCKey, Cert: is.DSC, Expires: time.Now().AddDate(1, 0, 0)})
	return []byte(hc1), err
}

func arrivalVerdict(r *verify.Result) string {
	switch {
	case r == nil || r.Arrival == nil:
		return "no entry decision"
	case r.Arrival.Accepted:
		return "ACCEPTED"
	}
	for _, ro := range r.Arrival.Rules {
		if ro.Outcome != "passed" {
			return fmt.Sprintf("NOT ACCEPTED (%s %s)", ro.Identifier, ro.Outcome)
		}
	}
	return "NOT ACCEPTED"
}

// demoRulesAndRevocation has NL publish an entry rule and refuse an old
// vaccination at another country's node, then revoke one certificate and
// shows it refused at a third node seconds later while its signer stays
// trusted.
func demoRulesAndRevocation(ctx context.Context, d *demoRun, docDir string, nl *anchor.Workspace, nodes []*demoNode, is *world.Issuers) error {
	byCC := map[string]*demoNode{}
	for _, n := range nodes {
		byCC[n.cc] = n
	}
	if _, err := nl.AddRules([]byte(demoRule)); err != nil {
		return err
	}
	rs, _, _, err := nl.SignRules(time.Now())
	if err != nil {
		return err
	}
	if dec, err := byCC["NL"].node.Submit(ctx, rs.Raw()); err != nil || dec.Outcome != trustlist.Accepted {
		return fmt.Errorf("NL node refused its rule set: %v %+v", err, dec)
	}
	took, ok := waitFor(15*time.Second, func() bool {
		for _, n := range nodes {
			if n.node.Set().RuleSet("NL") == nil {
				return false
			}
		}
		return true
	})
	d.expect("entry rules", fmt.Sprintf("all nodes held NL's signed rule set after %s: VR-NL-0001, a vaccination counts 270 days", took.Round(time.Millisecond)), okIf(ok), "ok")

	old, err := demoCertificate(is, "Jan Smit", "ACCORDDEMO0002", 300)
	if err != nil {
		return err
	}
	recent, err := demoCertificate(is, "Ana Lopes", "ACCORDDEMO0003", 30)
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"old-vaccination.txt": old, "recent-vaccination.txt": recent} {
		if err := os.WriteFile(filepath.Join(docDir, name), b, 0o644); err != nil {
			return err
		}
	}
	nc, err := newVerifyClient(ctx, byCC["SG"].url, verify.Options{Arrival: &verify.ArrivalOptions{Country: "NL"}})
	if err != nil {
		return err
	}
	r := nc.verify(ctx, "old-vaccination.txt", old)
	d.expect("entry refused", "a genuine NL certificate vaccinated 300 days ago, checked for entry into NL at the SG node", arrivalVerdict(r), "NOT ACCEPTED (VR-NL-0001 failed)")
	r = nc.verify(ctx, "recent-vaccination.txt", recent)
	d.expect("entry allowed", "a certificate vaccinated 30 days ago, same check", arrivalVerdict(r), "ACCEPTED")

	// NL revokes that one certificate (it was sold): a 16-byte hash, gossiped.
	dec, err := hcertissue.RevocationOf(recent)
	if err != nil {
		return err
	}
	var q trustlist.RevocationQuery
	for _, x := range dec.Hashes {
		if x.Type == trustlist.HashSignature {
			q = x
		}
	}
	batch := trustlist.NewRevocationBatch(q.Type, dec.KID, dec.Expires, "certificate sold online", [][trustlist.RevocationHashSize]byte{q.Hash})
	rv, _, err := nl.RevokeDocuments(batch, time.Now())
	if err != nil {
		return err
	}
	start := time.Now()
	if res, err := byCC["NL"].node.Submit(ctx, rv.Raw()); err != nil || res.Outcome != trustlist.Accepted {
		return fmt.Errorf("NL node refused its revocation: %v %+v", err, res)
	}
	_, ok = waitFor(15*time.Second, func() bool {
		return byCC["KE"].node.Set().Revoked("NL", dec.KID, time.Now(), q) != nil
	})
	took = time.Since(start) // from the submission, not from the start of the wait
	d.expect("revoke one", fmt.Sprintf("the KE node held NL's revocation of that one certificate after %s (SIGNATURE hash %x)", took.Round(time.Millisecond), q.Hash[:4]), okIf(ok), "ok")
	r, _ = verifyAt(ctx, byCC["KE"], "recent-vaccination.txt", recent)
	d.expect("revoked HC1", "the revoked certificate checked at the KE node", verdict(r), "NOT VALID (document_not_revoked)")
	r, _ = verifyAt(ctx, byCC["KE"], "old-vaccination.txt", old)
	d.expect("same signer", "another certificate of the same NL signer, at the KE node", verdict(r), "VALID")
	return nil
}
