// Package pdf verifies signed PDF documents (PAdES / ISO 32000 signatures)
// against Accord trust lists, using github.com/digitorus/pdfsign for parsing,
// signature and path validation. The only trust roots are trust-list entries
// allowed for "pdf": never the system pool, never certificates carried in
// the PDF. It also finds EU DCC QR codes drawn as images in the PDF and
// verifies them as their own part of the result.
//
// The package registers the "pdf" format with package verify from init;
// import it for its side effect:
//
//	import _ "github.com/accord-network/accord/formats/pdf"
//
// The normative rules are in spec/pdf.md.
package pdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	pdflib "github.com/digitorus/pdf"
	pdfverify "github.com/digitorus/pdfsign/verify"
	"github.com/digitorus/pkcs7"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Name is the format name registered with package verify.
const Name = "pdf"

// CheckCertificate is the check that the signer's certificate was valid at
// the signing time and has a valid path to the trust-list entry.
const CheckCertificate = "certificate"

// CheckLaterRevisions is the check, on a signature that is not the last,
// that the revisions signed after it do not change what its revision shows.
const CheckLaterRevisions = "later_revisions"

// CheckUnsignedChanges is the document-level check that nothing was
// appended after the last signature.
const CheckUnsignedChanges = "no_unsigned_changes"

// DefaultMaxSize is the default limit on the size of a PDF to verify.
const DefaultMaxSize = 64 << 20

// Limits on what one document may make the verifier do.
const (
	maxSignatures = 64
	maxFields     = 4096
)

var maxSize atomic.Int64

func init() {
	maxSize.Store(DefaultMaxSize)
	verify.Register(Format{})
}

// SetMaxSize sets the largest PDF, in bytes, that Verify accepts (n <= 0
// restores DefaultMaxSize). Larger inputs are refused as malformed with a
// message naming the limit.
func SetMaxSize(n int64) {
	if n <= 0 {
		n = DefaultMaxSize
	}
	maxSize.Store(n)
}

// MaxSize returns the current size limit.
func MaxSize() int64 { return maxSize.Load() }

// Format is the "pdf" verify.Format.
type Format struct{}

// Name returns "pdf".
func (Format) Name() string { return Name }

// Priority puts PDF before loosely sniffing formats: its magic is unambiguous.
func (Format) Priority() int { return 10 }

// Detect reports whether in starts like a PDF.
func (Format) Detect(in []byte) bool { return Detect(in) }

// Verify verifies every signature in the PDF and any DCC QR code it carries.
func (Format) Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	return Verify(ctx, in, env)
}

// Detect reports whether "%PDF-" occurs in the first 1024 bytes, where ISO
// 32000-1 §7.5.2 (as readers implement it) lets the header be.
func Detect(in []byte) bool {
	if len(in) > 1024 {
		in = in[:1024]
	}
	return bytes.Contains(in, []byte("%PDF-"))
}

func malformed(r *verify.Result, format string, args ...any) (*verify.Result, error) {
	err := fmt.Errorf("%w: pdf: %s", verify.ErrMalformed, fmt.Sprintf(format, args...))
	r.Add(verify.CheckDecoded, verify.Error, "%s", err.Error())
	r.Error = err.Error()
	return r, err
}

// Verify checks the PDF in against env. The error is non-nil (wrapping
// verify.ErrMalformed) only when in cannot be read as a PDF at all; a PDF
// without signatures, or with a bad one, gives a Result with failing checks.
func Verify(ctx context.Context, in []byte, env *verify.Env) (res *verify.Result, err error) {
	r := &verify.Result{Format: Name}
	defer func() {
		if p := recover(); p != nil {
			r.Parts = nil
			res, err = malformed(r, "the PDF library failed on this input (%v)", p)
		}
	}()
	if lim := MaxSize(); int64(len(in)) > lim {
		return malformed(r, "file of %d bytes exceeds the %d byte limit for PDFs (raise it with pdf.SetMaxSize)", len(in), lim)
	}
	if !Detect(in) {
		return malformed(r, "not a PDF: no %%PDF- header in the first 1024 bytes")
	}
	if !bytes.Contains(lastBytes(in, 2048), []byte("%%EOF")) {
		return malformed(r, "truncated PDF: no %%EOF marker at the end of the %d byte file", len(in))
	}
	mayHaveImages, err := prescan(in)
	if err != nil {
		return malformed(r, "%v", err)
	}
	file := bytes.NewReader(in)
	rdr, err := pdflib.NewReader(file, int64(len(in)))
	if err != nil {
		return malformed(r, "cannot read the PDF structure: %v", err)
	}
	root := rdr.Trailer().Key("Root")
	if root.Kind() != pdflib.Dict {
		return malformed(r, "the trailer has no document catalog (/Root)")
	}
	pages := int(root.Key("Pages").Key("Count").Int64())
	sigs, err := findSignatures(root)
	if err != nil {
		return malformed(r, "%v", err)
	}
	r.Add(verify.CheckDecoded, verify.Pass, "PDF %s, %d page(s), %d signature(s)", pdfVersion(in), pages, len(sigs))
	title := rdr.Trailer().Key("Info").Key("Title").Text()
	if title != "" {
		r.Summary = append(r.Summary, verify.Field{Label: "Title", Value: title})
	}
	r.Summary = append(r.Summary, verify.Field{Label: "Pages", Value: fmt.Sprint(pages)},
		verify.Field{Label: "Signatures", Value: fmt.Sprint(len(sigs))})

	trust := newTrust(env)
	opts := trust.pdfsignOptions(env)
	var lastEnd int64
	ends := make([]int64, len(sigs))
	for i, sv := range sigs {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		part, end := verifySignature(i+1, len(sigs), sv, in, trust, opts, env)
		if env != nil {
			part.At = env.At
		}
		r.Parts = append(r.Parts, part)
		ends[i] = end
		if end > lastEnd {
			lastEnd = end
		}
	}
	for i, end := range ends {
		if end > 0 {
			laterRevisions(r.Parts[i], in, rdr, end, lastEnd)
		}
	}
	if len(sigs) > 0 {
		unsignedChanges(r, in, rdr, lastEnd)
		if r.Issuer == nil {
			for _, p := range r.Parts {
				if p.Issuer != nil {
					r.Issuer = p.Issuer
					break
				}
			}
		}
	}

	qrParts := 0
	if mayHaveImages {
		qrParts = verifyEmbeddedQR(ctx, rdr, in, env, r)
	}
	if len(sigs) == 0 {
		if qrParts == 0 {
			r.Add(verify.CheckSignature, verify.Fail, "the PDF carries no digital signature (no signature field with a value in its AcroForm) and no verifiable QR code")
		} else {
			r.Add(verify.CheckSignature, verify.Skip, "the PDF itself carries no digital signature; only the QR code found in it was verified")
			r.Warn("the PDF's own text and layout are not signed: only the certificate in its QR code is verified")
		}
	}
	return r, nil
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func pdfVersion(in []byte) string {
	i := bytes.Index(in[:min(len(in), 1024)], []byte("%PDF-"))
	v := in[i+5 : min(len(in), i+8)]
	return string(bytes.TrimRight(v, "\r\n \t"))
}

// findSignatures walks the AcroForm field tree and returns the value
// (signature dictionary) of every signature field that has one, in field
// order.
func findSignatures(root pdflib.Value) ([]pdflib.Value, error) {
	fields := root.Key("AcroForm").Key("Fields")
	var out []pdflib.Value
	seen := map[uint32]bool{}
	visited := 0
	var walk func(arr pdflib.Value, depth int) error
	walk = func(arr pdflib.Value, depth int) error {
		if arr.Kind() != pdflib.Array {
			return nil
		}
		if depth > 32 {
			return errors.New("the form field tree is nested more than 32 deep")
		}
		for i := 0; i < arr.Len(); i++ {
			if visited++; visited > maxFields {
				return fmt.Errorf("more than %d form fields", maxFields)
			}
			f := arr.Index(i)
			if id := f.GetPtr().GetID(); id != 0 {
				if seen[id] {
					continue
				}
				seen[id] = true
			}
			if f.Key("FT").Name() == "Sig" {
				if v := f.Key("V"); v.Kind() == pdflib.Dict {
					if len(out) >= maxSignatures {
						return fmt.Errorf("more than %d signatures", maxSignatures)
					}
					out = append(out, v)
				}
			}
			if err := walk(f.Key("Kids"), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(fields, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// trust holds the trust-list material for pdf signatures.
type trust struct {
	env *verify.Env
	all []trustlist.Match // every x509 entry allowed for pdf, any country
	cas []trustlist.Match // those that are CAs
}

func newTrust(env *verify.Env) *trust {
	t := &trust{env: env}
	if env == nil || env.Trust == nil {
		return t
	}
	t.all = env.Trust.Find(trustlist.Query{Use: trustlist.DocPDF, Kind: trustlist.EntryX509})
	for _, m := range t.all {
		if m.Entry.CA && m.Entry.Certificate() != nil {
			t.cas = append(t.cas, m)
		}
	}
	return t
}

// pdfsignOptions are pdfsign's verification options: trust roots are the
// listed pdf entries only (an empty, non-nil pool if there are none, so that
// crypto/x509 never falls back to the system pool), no network access.
func (t *trust) pdfsignOptions(env *verify.Env) *pdfverify.VerifyOptions {
	pool := x509.NewCertPool()
	for _, m := range t.all {
		if c := m.Entry.Certificate(); c != nil {
			pool.AddCert(c)
		}
	}
	o := &pdfverify.VerifyOptions{
		RequiredEKUs:                  []x509.ExtKeyUsage{x509.ExtKeyUsage(36)}, // RFC 9336 document signing (pdfsign sentinel)
		AllowedEKUs:                   []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageAny},
		RequireDigitalSignatureKU:     false, // judged by keyUsage below, which also accepts contentCommitment
		TrustSignatureTime:            true,  // validate paths at the claimed time, reported as a claim
		ValidateTimestampCertificates: true,
		AllowUntrustedRoots:           false,
		TrustedRoots:                  pool,
		EnableExternalRevocationCheck: false,
	}
	if env != nil {
		o.AtTime = env.At
	}
	return o
}

// find returns the trust-list match for a signer certificate: the
// certificate itself listed, or the listed CA it chains to through the
// certificates carried in the signature. how explains the path.
func (t *trust) find(leaf *x509.Certificate, carried []*x509.Certificate, at time.Time) (m *trustlist.Match, how string, pathErr error) {
	if t.env == nil || t.env.Trust == nil {
		return nil, "", nil
	}
	tp := sha256.Sum256(leaf.Raw)
	direct := t.env.Trust.Find(trustlist.Query{Thumbprint: tp[:], Kind: trustlist.EntryX509})
	var notForPDF []string
	for i := range direct {
		if direct[i].Entry.Allows(trustlist.DocPDF) {
			return pickBest(direct, i), "the signer certificate itself is listed", nil
		}
		notForPDF = append(notForPDF, direct[i].Country)
	}
	if len(notForPDF) > 0 {
		return nil, fmt.Sprintf("the signer certificate is listed by %s but not allowed to sign pdf documents", strings.Join(notForPDF, ", ")), nil
	}
	if len(t.cas) == 0 {
		return nil, "", nil
	}
	roots := x509.NewCertPool()
	for _, c := range t.cas {
		roots.AddCert(c.Entry.Certificate())
	}
	inter := x509.NewCertPool()
	for _, c := range carried {
		if c != leaf {
			inter.AddCert(stripEKU(c))
		}
	}
	verifyAt := func(ts time.Time) ([][]*x509.Certificate, error) {
		return stripEKU(leaf).Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: ts, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	}
	chains, err := verifyAt(at)
	if err != nil {
		// Build the path at a time inside the leaf's validity to name the CA
		// even when the certificate had expired at signing time.
		var ce x509.CertificateInvalidError
		if errors.As(err, &ce) && ce.Reason == x509.Expired {
			pathErr = err
			chains, err = verifyAt(leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2))
		}
		if err != nil {
			return nil, "", err
		}
	}
	for _, ch := range chains {
		rootCert := ch[len(ch)-1]
		rt := sha256.Sum256(rootCert.Raw)
		for i := range t.cas {
			if bytes.Equal(t.cas[i].Entry.Thumbprint, rt[:]) {
				how := fmt.Sprintf("the signer certificate chains to the listed CA %q", rootCert.Subject.CommonName)
				if n := len(ch) - 2; n > 0 {
					how += fmt.Sprintf(" through %d intermediate certificate(s) carried in the PDF", n)
				}
				return pickBest(t.cas, i), how, pathErr
			}
		}
	}
	return nil, "", nil
}

// pickBest returns ms[i], or a match for the same certificate from another
// anchor that is not revoked, if there is one.
func pickBest(ms []trustlist.Match, i int) *trustlist.Match {
	best := ms[i]
	for _, m := range ms {
		if bytes.Equal(m.Entry.Thumbprint, best.Entry.Thumbprint) && best.Entry.Status == trustlist.StatusRevoked && m.Entry.Status != trustlist.StatusRevoked && !m.Equivocated {
			best = m
		}
	}
	return &best
}

func stripEKU(c *x509.Certificate) *x509.Certificate {
	cc := *c
	cc.ExtKeyUsage, cc.UnknownExtKeyUsage = nil, nil
	return &cc
}

var (
	oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}       // RFC 9336
	oidAdobeAuthentic  = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 5}       // Adobe Authentic Documents Trust
	oidMSDocSigning    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12} // Microsoft document signing
)

// keyUsage judges the signer certificate's key usage and extended key usage
// for signing documents. It returns whether it is acceptable and what was
// found.
func keyUsage(c *x509.Certificate) (ok bool, found string) {
	if c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return false, "key usage has neither digitalSignature nor contentCommitment (nonRepudiation)"
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true, "no extended key usage extension (any purpose, RFC 5280 §4.2.1.12)"
	}
	for _, oid := range c.UnknownExtKeyUsage {
		switch {
		case oid.Equal(oidDocumentSigning):
			return true, "document signing EKU 1.3.6.1.5.5.7.3.36 (RFC 9336)"
		case oid.Equal(oidAdobeAuthentic):
			return true, "Adobe Authentic Documents EKU 1.2.840.113583.1.1.5"
		case oid.Equal(oidMSDocSigning):
			return true, "Microsoft document signing EKU 1.3.6.1.4.1.311.10.3.12"
		}
	}
	for _, e := range c.ExtKeyUsage {
		switch e {
		case x509.ExtKeyUsageEmailProtection:
			return true, "emailProtection EKU (a common alternative to RFC 9336 document signing)"
		case x509.ExtKeyUsageAny:
			return true, "anyExtendedKeyUsage"
		case x509.ExtKeyUsageClientAuth:
			return true, "clientAuth EKU (accepted as pdfsign does, though RFC 9336 document signing is preferred)"
		}
	}
	var names []string
	for _, e := range c.ExtKeyUsage {
		names = append(names, ekuName(e))
	}
	for _, oid := range c.UnknownExtKeyUsage {
		names = append(names, oid.String())
	}
	return false, "extended key usage " + strings.Join(names, ", ") + " does not allow signing documents (want 1.3.6.1.5.5.7.3.36 document signing, emailProtection or an accepted alternative)"
}

func ekuName(e x509.ExtKeyUsage) string {
	switch e {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	default:
		return fmt.Sprintf("EKU #%d", int(e))
	}
}

// byteRange reads and checks a signature's /ByteRange: two ranges, the first
// starting at 0, the gap between them exactly the /Contents hex string.
func byteRange(v pdflib.Value, in []byte) (br [4]int64, err error) {
	a := v.Key("ByteRange")
	if a.Kind() != pdflib.Array || a.Len() != 4 {
		return br, errors.New("/ByteRange is not an array of four integers")
	}
	for i := range br {
		if a.Index(i).Kind() != pdflib.Integer {
			return br, errors.New("/ByteRange is not an array of four integers")
		}
		br[i] = a.Index(i).Int64()
		if br[i] < 0 {
			return br, errors.New("/ByteRange has a negative value")
		}
	}
	n := int64(len(in))
	switch {
	case br[0] != 0:
		return br, fmt.Errorf("/ByteRange does not start at byte 0 (starts at %d): the start of the file is not signed", br[0])
	case br[1] >= br[2] || br[2] > n || br[3] > n-br[2]:
		return br, fmt.Errorf("/ByteRange [%d %d %d %d] does not fit the %d byte file", br[0], br[1], br[2], br[3], n)
	case in[br[1]] != '<' || in[br[2]-1] != '>':
		return br, fmt.Errorf("the unsigned gap of /ByteRange (bytes %d-%d) is not exactly the /Contents hex string", br[1], br[2])
	}
	for _, c := range in[br[1]+1 : br[2]-1] {
		if !isHex(c) {
			return br, fmt.Errorf("the unsigned gap of /ByteRange (bytes %d-%d) holds more than the /Contents hex string", br[1], br[2])
		}
	}
	return br, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

// oneLine keeps the first line of a library message.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func signerCert(p7 *pkcs7.PKCS7) *x509.Certificate {
	if c := p7.GetOnlySigner(); c != nil {
		return c
	}
	if len(p7.Certificates) > 0 {
		return p7.Certificates[0]
	}
	return nil
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

// verifySignature verifies signature n of total and returns its result and
// the end of the byte range it covers.
func verifySignature(n, total int, v pdflib.Value, in []byte, t *trust, opts *pdfverify.VerifyOptions, env *verify.Env) (*verify.Result, int64) {
	part := &verify.Result{Format: Name}
	label := fmt.Sprintf("signature %d of %d", n, total)
	sub := v.Key("SubFilter").Name()
	part.Summary = append(part.Summary, verify.Field{Label: "Signature", Value: fmt.Sprintf("%s (%s)", label, sub)})
	for _, f := range [][2]string{{"Reason", "Reason"}, {"Location", "Location"}, {"ContactInfo", "Contact"}} {
		if s := v.Key(f[0]).Text(); s != "" {
			part.Summary = append(part.Summary, verify.Field{Label: f[1], Value: s})
		}
	}

	br, err := byteRange(v, in)
	if err != nil {
		part.Add(verify.CheckIntegrity, verify.Fail, "%s: %v", label, err)
		part.Add(verify.CheckSignature, verify.Skip, "not checked: the signed byte ranges are unusable")
		return part, 0
	}
	end := br[2] + br[3]
	covered := fmt.Sprintf("covers bytes 0-%d and %d-%d of %d", br[1], br[2], end, len(in))
	if end < int64(len(in)) {
		covered += fmt.Sprintf(" (revision ending at byte %d; later revisions follow)", end)
	} else {
		covered += " (the whole file but its own signature value)"
	}
	part.Summary = append(part.Summary, verify.Field{Label: "Covers", Value: covered})

	p7, err := pkcs7.Parse([]byte(v.Key("Contents").RawString()))
	if err != nil {
		part.Add(verify.CheckSignature, verify.Error, "%s: cannot parse the CMS signature in /Contents: %v", label, err)
		return part, end
	}
	leaf := signerCert(p7)
	if leaf == nil {
		part.Add(verify.CheckSignature, verify.Error, "%s: the CMS signature carries no signer certificate", label)
		return part, end
	}
	part.Summary = append(part.Summary, verify.Field{Label: "Signer", Value: certName(leaf)})
	if name := v.Key("Name").Text(); name != "" && name != certName(leaf) {
		part.Summary = append(part.Summary, verify.Field{Label: "Name", Value: name})
	}
	tp := sha256.Sum256(leaf.Raw)
	part.Claims = map[string]any{
		"signer_subject": leaf.Subject.String(), "signer_issuer": leaf.Issuer.String(),
		"signer_sha256": hex.EncodeToString(tp[:]), "sub_filter": sub,
		"byte_range": br, "certificates": len(p7.Certificates),
	}
	revocationClaim(p7, part.Claims.(map[string]any))

	signer, err := pdfverify.VerifySignature(v, bytes.NewReader(in), int64(len(in)), opts)
	if err != nil || signer == nil {
		part.Add(verify.CheckSignature, verify.Error, "%s: %v", label, err)
		return part, end
	}
	var chainErr, revErr, docMDPErr, tsErr, certTimeErr string
	sigOK, integrityOK := signer.ValidSignature, true
	var sigErr string
	for _, e := range signer.ValidationErrors {
		msg := oneLine(e.Error())
		var inv *pdfverify.InvalidSignatureError
		var rev *pdfverify.RevocationError
		switch {
		case errors.As(e, &inv):
			sigOK = false
			sigErr = msg
			if strings.Contains(msg, "digest mismatch") {
				integrityOK = false
			}
			if strings.Contains(msg, "outside of certificate validity") {
				certTimeErr = msg
			}
		case errors.As(e, &rev):
			revErr = msg
		case strings.HasPrefix(msg, "DocMDP"):
			docMDPErr = msg
		case strings.Contains(msg, "timestamp"):
			tsErr = msg
		case strings.Contains(msg, "ByteRange"):
			integrityOK = false
			sigErr = msg
		case strings.Contains(msg, "certificate chain"):
			chainErr = msg
		}
	}
	switch {
	case docMDPErr != "":
		part.Add(verify.CheckIntegrity, verify.Fail, "%s %s, but the document was changed in a way its certification (DocMDP) does not permit: %s", label, covered, docMDPErr)
	case !integrityOK:
		part.Add(verify.CheckIntegrity, verify.Fail, "%s: the signed bytes (%s) do not match the message digest in the signature: the document was altered after signing", label, covered)
	default:
		part.Add(verify.CheckIntegrity, verify.Pass, "%s %s; their SHA digest matches the signed message digest", label, covered)
	}
	switch {
	case sigOK:
		part.Add(verify.CheckSignature, verify.Pass, "%s by %q verifies (%s, %s)", label, certName(leaf), leaf.SignatureAlgorithm, sub)
	case !integrityOK:
		part.Add(verify.CheckSignature, verify.Fail, "%s does not verify over the signed bytes", label)
	case certTimeErr != "":
		part.Add(verify.CheckSignature, verify.Fail, "%s was not accepted: the CMS signing-time attribute lies outside the signer certificate's validity (%s)", label, sigErr)
	default:
		part.Add(verify.CheckSignature, verify.Fail, "%s: %s", label, sigErr)
	}
	if !sigOK && certTimeErr == "" {
		return part, end
	}

	// Signing time and its source.
	st := verify.SigningTime{}
	switch {
	case signer.TimeStamp != nil && !signer.TimeStamp.Time.IsZero():
		st.Time = signer.TimeStamp.Time.UTC()
		if signer.TimestampTrusted {
			st.Trusted, st.Source = true, "RFC 3161 timestamp by a TSA listed for pdf"
		} else {
			st.Source = "RFC 3161 timestamp by a TSA no trust list names, so only a claim"
			part.Warn("signing time %s comes from a timestamp by a TSA that no trust list names; it is treated as the signer's claim", st.Time.Format(time.RFC3339))
		}
	case signer.SignatureTime != nil:
		st.Time = signer.SignatureTime.UTC()
		st.Source = "the signer's own claim (/M), no timestamp"
		part.Warn("signing time %s is the signer's own claim (/M): the signature carries no trusted timestamp", st.Time.Format(time.RFC3339))
	}
	if tsErr != "" {
		part.Add("timestamp", verify.Fail, "%s", tsErr)
	}
	if !st.Time.IsZero() {
		part.Summary = append(part.Summary, verify.Field{Label: "Signed at", Value: st.Time.Format(time.RFC3339) + " (" + st.Source + ")"})
		part.Claims.(map[string]any)["signing_time"] = st.Time
		part.Claims.(map[string]any)["signing_time_source"] = st.Source
	}
	at := st.Time
	if at.IsZero() {
		at = opts.AtTime
		if at.IsZero() {
			at = time.Now()
		}
	}

	// Key usage.
	if ok, found := keyUsage(leaf); ok {
		part.Add(verify.CheckKeyUsage, verify.Pass, "%s", found)
	} else {
		part.Add(verify.CheckKeyUsage, verify.Fail, "%s", found)
	}

	// Trust: the trust lists alone decide.
	m, how, pathErr := t.find(leaf, p7.Certificates, at)
	certCheck := func() {
		switch {
		case at.Before(leaf.NotBefore) || at.After(leaf.NotAfter):
			part.Add(CheckCertificate, verify.Fail, "signer certificate %q is valid %s to %s, not at the signing time %s",
				certName(leaf), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
		case certTimeErr != "":
			part.Add(CheckCertificate, verify.Fail, "signer certificate %q is valid %s to %s, not at the signing time in the CMS signed attributes (%s)",
				certName(leaf), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), certTimeErr)
		case pathErr != nil:
			part.Add(CheckCertificate, verify.Fail, "the path to the listed CA is not valid at the signing time %s: %v", at.UTC().Format(time.RFC3339), pathErr)
		case revErr != "":
			part.Add(CheckCertificate, verify.Fail, "revocation data embedded in the PDF: %s", revErr)
		case chainErr != "":
			part.Add(CheckCertificate, verify.Fail, "pdfsign path validation against the listed roots failed: %s", chainErr)
		default:
			part.Add(CheckCertificate, verify.Pass, "signer certificate %q valid %s to %s covers the signing time; %s",
				certName(leaf), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), how)
		}
	}
	if m == nil {
		why := fmt.Sprintf("signer certificate %q (SHA-256 %s) is not in any trust list for pdf and does not chain to a listed pdf CA", certName(leaf), hex.EncodeToString(tp[:8]))
		if how != "" {
			why = how
		} else if pathErr != nil {
			why += fmt.Sprintf(" (%v)", pathErr)
		}
		part.Add(CheckCertificate, verify.Skip, "no trusted path: the certificate's issuer is not listed")
		env.NotListed(part, why)
		return part, end
	}
	certCheck()
	env.IssuerChecks(part, *m, st)
	env.DocumentNotRevoked(part, m.Country, nil, revocationQueries(p7)...)
	if c := part.Check(verify.CheckIssuerTrusted); c != nil && c.Status == verify.Pass {
		c.Detail += "; " + how
	}
	return part, end
}
