package nodecli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accord-network/accord/fixtures/world"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
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

// publishEntryRules has NL sign an entry rule (a vaccination counts for 270
// days) and waits until every node holds it.
func (s *demo) publishEntryRules() error {
	nl := s.anchors["NL"]
	if _, err := nl.AddRules([]byte(demoRule)); err != nil {
		return err
	}
	rs, _, _, err := nl.SignRules(time.Now())
	if err != nil {
		return err
	}
	dec, err := s.byCC["NL"].node.Submit(s.ctx, rs.Raw())
	if err != nil {
		return fmt.Errorf("NL node: submit its rule set: %w", err)
	}
	if dec.Outcome != trustlist.Accepted {
		return fmt.Errorf("NL node refused its rule set: %s: %s", outcome(dec), dec.Detail)
	}
	took, ok := waitFor(s.ctx, 15*time.Second, func() bool {
		for _, n := range s.nodes {
			if n.node.Set().RuleSet("NL") == nil {
				return false
			}
		}
		return true
	})
	s.out.expect("entry rules", fmt.Sprintf("all nodes held NL's signed rule set after %s: VR-NL-0001, a vaccination counts 270 days", took.Round(time.Millisecond)), okIf(ok), "ok")
	return nil
}

// checkEntry issues two genuine NL certificates, vaccinated 300 and 30 days
// ago, and judges them for entry into NL at the SG node: the first is
// refused by NL's rule, the second accepted.
func (s *demo) checkEntry() error {
	var err error
	if s.old, err = demoCertificate(s.issuers, "Jan Smit", "ACCORDDEMO0002", 300); err != nil {
		return err
	}
	if s.recent, err = demoCertificate(s.issuers, "Ana Lopes", "ACCORDDEMO0003", 30); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"old-vaccination.txt": s.old, "recent-vaccination.txt": s.recent} {
		if err := os.WriteFile(filepath.Join(s.docDir(), name), b, 0o644); err != nil {
			return err
		}
	}
	nc, err := newVerifyClient(s.ctx, s.byCC["SG"].url, verify.Options{Arrival: &verify.ArrivalOptions{Country: "NL"}})
	if err != nil {
		return err
	}
	r := nc.Verify(s.ctx, "old-vaccination.txt", s.old)
	s.out.expect("entry refused", "a genuine NL certificate vaccinated 300 days ago, checked for entry into NL at the SG node", arrivalVerdict(r), "NOT ACCEPTED (VR-NL-0001 failed)")
	r = nc.Verify(s.ctx, "recent-vaccination.txt", s.recent)
	s.out.expect("entry allowed", "a certificate vaccinated 30 days ago, same check", arrivalVerdict(r), "ACCEPTED")
	return nil
}

// revokeOneCertificate has NL revoke the recent certificate alone (it was
// sold): a 16-byte hash, gossiped. The KE node refuses it seconds later while
// the signer's other certificate stays valid.
func (s *demo) revokeOneCertificate() error {
	dec, err := hcertissue.RevocationOf(s.recent)
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
	rv, _, err := s.anchors["NL"].RevokeDocuments(batch, time.Now())
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := s.byCC["NL"].node.Submit(s.ctx, rv.Raw())
	if err != nil {
		return fmt.Errorf("NL node: submit its revocation: %w", err)
	}
	if res.Outcome != trustlist.Accepted {
		return fmt.Errorf("NL node refused its revocation: %s: %s", outcome(res), res.Detail)
	}
	ke := s.byCC["KE"]
	_, ok := waitFor(s.ctx, 15*time.Second, func() bool {
		return ke.node.Set().Revoked("NL", dec.KID, time.Now(), q) != nil
	})
	took := time.Since(start) // from the submission, not from the start of the wait
	s.out.expect("revoke one", fmt.Sprintf("the KE node held NL's revocation of that one certificate after %s (SIGNATURE hash %x)", took.Round(time.Millisecond), q.Hash[:4]), okIf(ok), "ok")
	r, err := verifyAt(s.ctx, ke, "recent-vaccination.txt", s.recent)
	if err != nil {
		return err
	}
	s.out.expect("revoked HC1", "the revoked certificate checked at the KE node", verdict(r), "NOT VALID (document_not_revoked)")
	if r, err = verifyAt(s.ctx, ke, "old-vaccination.txt", s.old); err != nil {
		return err
	}
	s.out.expect("same signer", "another certificate of the same NL signer, at the KE node", verdict(r), "VALID")
	return nil
}
