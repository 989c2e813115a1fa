package web

import (
	"strings"

	"github.com/accord-network/accord/verify"
)

// The page speaks to officers, not to engineers: documents and checks are
// named in plain words, and the technical name stays beside them in small
// print for whoever must look into a case.

// docNames are the plain names of the registered formats.
var docNames = map[string]string{
	"hcert": "Health certificate (EU Digital COVID Certificate)",
	"oa":    "Electronic bill of lading (TradeTrust)",
	"pdf":   "Signed PDF document",
	"qr":    "QR code",
	"vc":    "Verifiable credential",
}

// docName names a format for people; an unknown one keeps its own name.
func docName(format string) string {
	if n, ok := docNames[format]; ok {
		return n
	}
	if format == "" {
		return "Unrecognised document"
	}
	return strings.ToUpper(format) + " document"
}

// checkLabels say what each check establishes when it passes.
var checkLabels = map[string]string{
	verify.CheckDecoded:           "Reading the document",
	verify.CheckIntegrity:         "Content unchanged since it was issued",
	verify.CheckSignature:         "Signature matches the content",
	verify.CheckIssuerTrusted:     "Issuer is on a trusted list",
	"issuer_chain":                "Issuer's certificate comes from a listed authority",
	verify.CheckKeyValidAtSigning: "Issuer's key was valid when it signed",
	verify.CheckKeyUsage:          "Issuer may sign this kind of document",
	verify.CheckNotRevoked:        "Issuer's key is not revoked",
	verify.CheckListFresh:         "Trust list is up to date",
	verify.CheckNotExpired:        "Document has not expired",
	verify.CheckSchema:            "Content has the expected form",
	"certificate":                 "Signer's certificate was valid",
	"picture_decoded":             "A QR code was found in the picture",
}

// checkLabel names a check for people.
func checkLabel(name string) string {
	if l, ok := checkLabels[name]; ok {
		return l
	}
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// failReasons say what a failed check means for the document.
var failReasons = map[string]string{
	verify.CheckDecoded:           "The document could not be read.",
	verify.CheckIntegrity:         "The document was changed after it was issued.",
	verify.CheckSignature:         "The signature does not match: the document was changed after it was signed, or someone else signed it.",
	verify.CheckIssuerTrusted:     "The issuer is not on any trust list this verifier holds.",
	"issuer_chain":                "The issuer's certificate was not issued by an authority its country lists.",
	verify.CheckKeyValidAtSigning: "The issuer's key was not valid when the document was signed.",
	verify.CheckKeyUsage:          "The issuer is not allowed to sign this kind of document.",
	verify.CheckNotRevoked:        "The issuer's key has been revoked.",
	verify.CheckListFresh:         "The issuing country's trust list is out of date.",
	verify.CheckNotExpired:        "The document has expired.",
	verify.CheckSchema:            "The document's content is not in the expected form.",
	"certificate":                 "The signer's certificate was not valid when it signed.",
}

// plainReason says in words why a document failed a check.
func plainReason(name string) string {
	if r, ok := failReasons[name]; ok {
		return r
	}
	return "A check failed: " + strings.ToLower(checkLabel(name)) + "."
}

// verdictText is the verdict headline (verify.Verdict.Headline, the CLI's
// words), marked ✓ or ✗ where the document was found valid or not.
func verdictText(r *verify.Result) string {
	switch v := r.Verdict(); v {
	case verify.VerdictValid:
		return "✓ " + v.Headline()
	case verify.VerdictUnreadable, verify.VerdictNotChecked:
		return v.Headline()
	}
	return "✗ " + verify.VerdictInvalid.Headline()
}

func verdictTitle(r *verify.Result) string {
	if r == nil {
		return "Not valid"
	}
	switch r.Verdict() {
	case verify.VerdictValid:
		return "Valid document"
	case verify.VerdictUnreadable:
		return "Could not read"
	case verify.VerdictNotChecked:
		return "Not checked"
	}
	return "Not valid"
}

func statusWord(s verify.Status) string {
	switch s {
	case verify.Pass:
		return "passed"
	case verify.Fail:
		return "failed"
	case verify.Error:
		return "not possible"
	}
	return "not checked"
}
