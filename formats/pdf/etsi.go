package pdf

import (
	"strings"

	"github.com/accord-network/accord/verify"
)

// ETSI EN 319 102-1 (§5.1.3) main indications and the sub-indications
// Accord gives, and the PAdES baseline levels (ETSI EN 319 142-1).
const (
	TotalPassed   = "TOTAL-PASSED"
	TotalFailed   = "TOTAL-FAILED"
	Indeterminate = "INDETERMINATE"
)

// ClaimIndication, ClaimSubIndication and ClaimPAdESLevel are the claims
// of a signature part that carry its ETSI indication, sub-indication and
// the PAdES baseline level it reaches.
const (
	ClaimIndication    = "etsi_indication"
	ClaimSubIndication = "etsi_sub_indication"
	ClaimPAdESLevel    = "pades_level"
)

// indication maps a part's checks to the ETSI EN 319 102-1 indication, as
// spec/pdf.md §Indications tabulates. docModified is the document-level
// verdict on unsigned changes.
func indication(p *verify.Result, docModified bool) (ind, sub string) {
	st := func(name string) verify.Status {
		if c := p.Check(name); c != nil {
			return c.Status
		}
		return ""
	}
	bad := func(name string) bool { s := st(name); return s == verify.Fail || s == verify.Error }
	claims, _ := p.Claims.(map[string]any)
	detail := func(name string) string {
		if c := p.Check(name); c != nil {
			return c.Detail
		}
		return ""
	}
	switch {
	case bad(verify.CheckSignature) && st(verify.CheckIntegrity) == "":
		return TotalFailed, "FORMAT_FAILURE"
	case bad(verify.CheckIntegrity) && strings.Contains(detail(verify.CheckIntegrity), "/ByteRange"):
		return TotalFailed, "FORMAT_FAILURE"
	case bad(verify.CheckIntegrity):
		return TotalFailed, "HASH_FAILURE"
	case bad(verify.CheckSignature):
		return TotalFailed, "SIG_CRYPTO_FAILURE"
	case bad(CheckLaterRevisions) || docModified:
		return TotalFailed, "FORMAT_FAILURE"
	case bad(CheckRevocationData):
		sub, _ := claims[ClaimRevocation].(string)
		if sub == "REVOKED" {
			return TotalFailed, sub
		}
		if sub == "" {
			sub = "REVOKED_NO_POE"
		}
		return Indeterminate, sub
	case bad(CheckAlgorithms) && strings.Contains(detail(CheckAlgorithms), noSignedAttrs):
		return Indeterminate, "SIG_CONSTRAINTS_FAILURE"
	case bad(CheckAlgorithms):
		return Indeterminate, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
	case bad(verify.CheckIssuerTrusted) && strings.Contains(detail(verify.CheckIssuerTrusted), "conflicting lists"):
		return Indeterminate, "CHAIN_CONSTRAINTS_FAILURE"
	case bad(verify.CheckIssuerTrusted) && strings.Contains(detail(verify.CheckIssuerTrusted), notACA):
		return Indeterminate, "CERTIFICATE_CHAIN_GENERAL_FAILURE"
	case bad(verify.CheckIssuerTrusted):
		return Indeterminate, "NO_CERTIFICATE_CHAIN_FOUND"
	case bad(verify.CheckNotRevoked):
		return Indeterminate, "REVOKED_NO_POE"
	case bad(CheckCertificate) || bad(verify.CheckKeyValidAtSigning):
		return Indeterminate, "OUT_OF_BOUNDS_NO_POE"
	case bad(verify.CheckKeyUsage) || bad(verify.CheckDocumentNotRevoked):
		return Indeterminate, "SIG_CONSTRAINTS_FAILURE"
	case bad(verify.CheckListFresh):
		return Indeterminate, "TRY_LATER"
	}
	for _, c := range p.Checks {
		if c.Status == verify.Fail || c.Status == verify.Error {
			return Indeterminate, "GENERIC"
		}
	}
	return TotalPassed, ""
}

// padesLevel says which PAdES baseline level a signature reaches: B-B when
// its CMS verifies; B-T with a trusted time (its own timestamp token, or a
// document timestamp that covers it); B-LT when the document also carries
// a /DSS dictionary of validation data; B-LTA when a trusted document
// timestamp follows that. The validation data in /DSS is not itself
// evaluated (revocation comes from the trust lists).
func padesLevel(p *verify.Result, hasDSS bool, poeAfter bool) string {
	if c := p.Check(verify.CheckSignature); c == nil || c.Status != verify.Pass {
		return ""
	}
	level := "B-B"
	trusted := false
	if c := p.Check(CheckTimestamp); c != nil && c.Status == verify.Pass {
		trusted = true
	}
	if c := p.Check(verify.CheckKeyValidAtSigning); c != nil && strings.Contains(c.Detail, "proof of existence") {
		trusted = true
	}
	if !trusted {
		return level
	}
	level = "B-T"
	if hasDSS {
		level = "B-LT"
		if poeAfter {
			level = "B-LTA"
		}
	}
	return level
}

// addIndications records each signature part's ETSI indication and PAdES
// level in its claims and summary.
func addIndications(r *verify.Result, hasDSS bool, sigs []sigDict, ends []int64, poe []proof) {
	docModified := false
	if c := r.Check(CheckUnsignedChanges); c != nil && c.Status == verify.Fail {
		docModified = true
	}
	for i, p := range r.Parts {
		if i >= len(sigs) {
			break // QR code parts
		}
		ind, sub := indication(p, docModified)
		claims, _ := p.Claims.(map[string]any)
		if claims == nil {
			claims = map[string]any{}
			p.Claims = claims
		}
		claims[ClaimIndication] = ind
		if sub != "" {
			claims[ClaimSubIndication] = sub
		}
		label := ind
		if sub != "" {
			label += " / " + sub
		}
		if !isDocTimestamp(&sigs[i]) {
			later := false
			for _, q := range poe {
				if q.end > ends[i] {
					later = true
				}
			}
			if lvl := padesLevel(p, hasDSS, later); lvl != "" {
				claims[ClaimPAdESLevel] = "PAdES-BASELINE-" + lvl
				label += ", PAdES " + lvl
			}
		}
		p.Summary = append(p.Summary, verify.Field{Label: "ETSI", Value: label})
	}
}
