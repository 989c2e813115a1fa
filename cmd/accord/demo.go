package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
)

func init() {
	register(&cli.Command{
		Name:  "demo",
		Usage: "run a local demonstration: anchors publish lists, a verifier pins and imports them, attacks are refused",
		UsageText: "accord demo [--dir DIR]\n\n" +
			"Everything runs on this machine in DIR (default: a new temporary folder).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Usage: "where to keep the demo's anchors, stores and documents (default: a temp dir)"},
		},
		Action: demoAction,
	})
}

// demoRun records the narrated steps of the demo.
type demoRun struct {
	w     io.Writer
	rows  [][3]string
	fails int
}

func (d *demoRun) step(what, happened, verdict string) {
	d.rows = append(d.rows, [3]string{what, happened, verdict})
	fmt.Fprintf(d.w, "• %s: %s → %s\n", what, happened, verdict)
}

// expect records a step whose verdict must be want; a mismatch makes the demo fail.
func (d *demoRun) expect(what, happened, verdict, want string) {
	if verdict != want {
		d.fails++
		verdict += " (UNEXPECTED: wanted " + want + ")"
	}
	d.step(what, happened, verdict)
}

func (d *demoRun) table() {
	fmt.Fprintln(d.w)
	tw := tabwriter.NewWriter(d.w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tWHAT HAPPENED\tVERDICT")
	for _, r := range d.rows {
		happened := r[1]
		if len(happened) > 90 {
			happened = happened[:87] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r[0], happened, r[2])
	}
	tw.Flush()
}

func demoAction(c *cli.Context) error {
	dir := c.String("dir")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "accord-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	start := time.Now()
	d := &demoRun{w: c.App.Writer}
	fmt.Fprintf(d.w, "Accord demo in %s\n\n", dir)
	if err := demoCore(d, dir); err != nil {
		return err
	}
	d.table()
	fmt.Fprintf(d.w, "\nArtefacts: %s (anchors in */, the verifier's trust store in verifier-trust/)\nFinished in %s.\n", dir, time.Since(start).Round(time.Millisecond))
	if d.fails > 0 {
		return noErr("%d demo steps did not behave as expected", d.fails)
	}
	return nil
}

// demoCore: two anchors publish, a verifier pins and imports, attacks are refused.
func demoCore(d *demoRun, dir string) error {
	now := time.Now()
	nl, err := anchor.Init(filepath.Join(dir, "nl-anchor"), "NL", "Netherlands Trade & Health Authority", 3, 2, trustlist.AlgES256)
	if err != nil {
		return err
	}
	sg, err := anchor.Init(filepath.Join(dir, "sg-anchor"), "SG", "Singapore Maritime Authority", 1, 1, trustlist.AlgEdDSA)
	if err != nil {
		return err
	}
	d.step("anchors", "NL (3 P-256 keys, threshold 2) and SG (1 Ed25519 key) created their descriptors", "ok")
	ethNL, _ := trustlist.NewEthEntry(mustHex("1111111111111111111111111111111111111111"), []trustlist.DocType{trustlist.DocOA}, "Rotterdam Lines B.V.", "rotterdam-lines.example", now, now.AddDate(2, 0, 0))
	ethSG, _ := trustlist.NewEthEntry(mustHex("2222222222222222222222222222222222222222"), []trustlist.DocType{trustlist.DocOA}, "Lion City Shipping Pte Ltd", "lioncity.example", now, now.AddDate(2, 0, 0))
	if err := nl.Add(ethNL); err != nil {
		return err
	}
	if err := sg.Add(ethSG); err != nil {
		return err
	}
	nl1, _, err := nl.Sign(30*24*time.Hour, now)
	if err != nil {
		return err
	}
	sg1, _, err := sg.Sign(30*24*time.Hour, now)
	if err != nil {
		return err
	}
	d.step("publish", fmt.Sprintf("NL signed list seq %d (%d entries), SG signed list seq %d", nl1.Seq, len(nl1.Entries), sg1.Seq), "ok")

	st, err := trustlist.OpenStore(filepath.Join(dir, "verifier-trust"), trustlist.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, w := range []*anchor.Workspace{nl, sg} {
		desc, err := os.ReadFile(w.DescriptorPath())
		if err != nil {
			return err
		}
		if _, err := st.Pin(desc); err != nil {
			return err
		}
	}
	d.step("pin", "a customs verifier pinned the NL and SG descriptors (checked by hash out of band)", "ok")
	for _, l := range []*trustlist.List{nl1, sg1} {
		dec, err := st.Import(l.Raw(), time.Now())
		if err != nil {
			return err
		}
		d.expect("import "+l.Country, fmt.Sprintf("%s list seq %d checked: threshold signatures, chain, freshness", l.Country, l.Seq), string(dec.Outcome), "accepted")
	}
	// NL revokes its carrier and publishes seq 2; the verifier takes it.
	if _, err := nl.Revoke("0x1111111111111111111111111111111111111111", "key compromise", time.Now()); err != nil {
		return err
	}
	nl2, _, err := nl.Sign(30*24*time.Hour, time.Now())
	if err != nil {
		return err
	}
	dec, err := st.Import(nl2.Raw(), time.Now())
	if err != nil {
		return err
	}
	d.expect("revoke", "NL revoked Rotterdam Lines' key and published seq 2", string(dec.Outcome), "accepted")

	// Attacks.
	dec, _ = st.Import(nl1.Raw(), time.Now())
	d.expect("replay old list", "an attacker re-sends NL seq 1 (before the revocation)", outcome(dec), "duplicate (already held; the head does not move)")
	// A routine refresh (seq 3); a second verifier starts from it.
	nl3, _, err := nl.Sign(30*24*time.Hour, time.Now())
	if err != nil {
		return err
	}
	if _, err := st.Import(nl3.Raw(), time.Now()); err != nil {
		return err
	}
	fresh, err := trustlist.OpenStore(filepath.Join(dir, "verifier2-trust"), trustlist.StoreOptions{})
	if err != nil {
		return err
	}
	desc, _ := os.ReadFile(nl.DescriptorPath())
	fresh.Pin(desc)
	fresh.Import(nl3.Raw(), time.Now())
	dec, _ = fresh.Import(nl1.Raw(), time.Now())
	fresh.Close()
	d.expect("rollback", "a second verifier holding seq 3 is offered seq 1 (which does not link to it)", outcome(dec), "rejected: rollback")

	tampered := append([]byte(nil), nl3.Raw()...)
	i := strings.Index(string(tampered), "key compromise")
	tampered[i] ^= 0x20
	dec, _ = st.Import(tampered, time.Now())
	d.expect("tamper", "one byte of NL seq 3 changed in transit", outcome(dec), "rejected: bad_signature")

	stranger, err := anchor.Init(filepath.Join(dir, "fake-nl-anchor"), "NL", "Totally Legit NL", 1, 1, trustlist.AlgES256)
	if err != nil {
		return err
	}
	stranger.Draft = nl.Draft
	stranger.Draft.Seq, stranger.Draft.LastHash = 0, ""
	fake, _, err := stranger.Sign(time.Hour, time.Now())
	if err != nil {
		return err
	}
	dec, _ = st.Import(fake.Raw(), time.Now())
	d.expect("impostor", "a stranger signs its own 'NL' list with its own keys", outcome(dec), "rejected: bad_signature")

	set := st.Set()
	if m := set.Find(trustlist.Query{Address: mustHex("1111111111111111111111111111111111111111"), Use: trustlist.DocOA, ActiveAt: time.Now()}); len(m) != 0 {
		d.expect("lookup", "revoked carrier still active", "wrong", "revoked")
	} else {
		d.step("lookup", "the verifier finds Rotterdam Lines revoked and Lion City Shipping active", "ok")
	}
	return nil
}

func outcome(d *trustlist.Decision) string {
	switch d.Outcome {
	case trustlist.Rejected:
		return "rejected: " + string(d.Reason)
	case trustlist.Duplicate:
		return "duplicate (already held; the head does not move)"
	}
	return string(d.Outcome)
}

func mustHex(s string) []byte {
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var x byte
		fmt.Sscanf(s[i:i+2], "%02x", &x)
		b = append(b, x)
	}
	return b
}
