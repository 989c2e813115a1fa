package pdf

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// listedForOtherUse names the real cause when a signer has no trusted path
// for pdf but chains to a CA that an anchor lists for other documents only
// (say hcert): "listed for hcert, not for pdf", rather than "not listed".
// It returns "" when no such CA exists.
func (t *trust) listedForOtherUse(leaf *x509.Certificate, carried []*x509.Certificate, at time.Time) string {
	if t.env == nil || t.env.Trust == nil {
		return ""
	}
	var others []trustlist.Match
	for _, m := range t.env.Trust.Find(trustlist.Query{Kind: trustlist.EntryX509, CA: new(true)}) {
		if !m.Entry.Allows(trustlist.DocPDF) && m.Entry.Certificate() != nil {
			others = append(others, m)
		}
	}
	if len(others) == 0 {
		return ""
	}
	roots := x509.NewCertPool()
	for _, m := range others {
		roots.AddCert(m.Entry.Certificate())
	}
	inter := x509.NewCertPool()
	for _, c := range carried {
		if c != leaf {
			inter.AddCert(stripEKU(c))
		}
	}
	chains, err := stripEKU(leaf).Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return ""
	}
	for _, ch := range chains {
		rt := sha256.Sum256(ch[len(ch)-1].Raw)
		for _, m := range others {
			if string(m.Entry.Thumbprint) == string(rt[:]) {
				uses := make([]string, len(m.Entry.Uses))
				for i, u := range m.Entry.Uses {
					uses[i] = string(u)
				}
				return fmt.Sprintf("the signer certificate chains to the CA %q, which %s lists for %s only, not for pdf (the anchor would add pdf to its uses)",
					m.Entry.Name, m.Country, strings.Join(uses, ", "))
			}
		}
	}
	return ""
}
