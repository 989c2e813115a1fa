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
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	pdflib "github.com/digitorus/pdf"
	pdfverify "github.com/digitorus/pdfsign/verify"

	"github.com/accord-network/accord/internal/pki"
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
	maxPageNodes  = 1 << 17
	maxAnnots     = 1 << 16
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
	err := fmt.Errorf("%w: pdf: could not be read: %s", verify.ErrMalformed, fmt.Sprintf(format, args...))
	r.Add(verify.CheckDecoded, verify.Error, "%s", err.Error())
	r.Error = err.Error()
	return r, err
}

// Verify checks the PDF in against env. The error is non-nil (wrapping
// verify.ErrMalformed) only when in cannot be read as a PDF at all; a PDF
// without signatures, or with a bad one, gives a Result with failing checks.
//
// After WorkerMain, the PDF is parsed and verified in a worker process under
// a deadline and a memory ceiling (see Isolation); a PDF that exceeds them
// could not be read.
func Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	p := activePool()
	if p == nil {
		return verifyInProcess(ctx, in, env)
	}
	r := &verify.Result{Format: Name}
	if _, err := precheck(in); err != nil {
		return malformed(r, "%v", err) // answered without starting a worker
	}
	res, err := p.verify(ctx, in, env)
	var we *errWorker
	switch {
	case errors.As(err, &we):
		return malformed(r, "%s", we.msg)
	case res == nil:
		return r, err
	}
	return res, err
}

// precheck runs the cheap checks that need no PDF library: size, header,
// end marker and the structural pre-scan.
func precheck(in []byte) (info scanInfo, err error) {
	if lim := MaxSize(); int64(len(in)) > lim {
		return info, fmt.Errorf("file of %d bytes exceeds the %d byte limit for PDFs (raise it with pdf.SetMaxSize)", len(in), lim)
	}
	if !Detect(in) {
		return info, errors.New("not a PDF: no %PDF- header in the first 1024 bytes")
	}
	if !bytes.Contains(lastBytes(in, 2048), []byte("%%EOF")) {
		return info, fmt.Errorf("truncated PDF: no %%%%EOF marker at the end of the %d byte file", len(in))
	}
	return prescan(in)
}

// verifyInProcess verifies in in this process: read directly when the
// file has the shape readDirect reads, with the PDF library otherwise.
func verifyInProcess(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	return verifyRead(ctx, in, env, true)
}

// verifyRead verifies in in this process; direct false makes the PDF
// library read every file (tests compare both readings).
func verifyRead(ctx context.Context, in []byte, env *verify.Env, direct bool) (res *verify.Result, err error) {
	r := &verify.Result{Format: Name}
	defer func() {
		if p := recover(); p != nil {
			r.Parts = nil
			res, err = malformed(r, "the PDF library failed on this input (%v)", p)
		}
	}()
	scan, err := precheck(in)
	if err != nil {
		return malformed(r, "%v", err)
	}
	var doc *document
	ok := false
	if direct {
		doc, ok = readDirect(in, &scan)
	}
	if !ok {
		if doc, err = readWithLibrary(in, &scan, r); err != nil {
			return malformed(r, "%v", err)
		}
	}
	rdr, sigs, nFinal := doc.rdr, doc.sigs, doc.nFinal
	r.Add(verify.CheckDecoded, verify.Pass, "PDF %s, %d page(s), %d signature(s)", pdfVersion(in), doc.pages, len(sigs))
	if doc.title != "" {
		r.Summary = append(r.Summary, verify.Field{Label: "Title", Value: doc.title})
	}
	r.Summary = append(r.Summary, verify.Field{Label: "Pages", Value: fmt.Sprint(doc.pages)},
		verify.Field{Label: "Signatures", Value: fmt.Sprint(len(sigs))})

	trust := newTrust(env)
	opts := trust.pdfsignOptions(env)
	poe := proofsOfExistence(sigs, in, trust)
	vd := doc.validationData()
	var lastEnd int64
	ends := make([]int64, len(sigs))
	for i := range sigs {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		part, end := verifySignature(i+1, len(sigs), &sigs[i], in, trust, opts, env, poe, vd)
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
		switch {
		case i >= nFinal:
			markRemoved(r.Parts[i])
		case end > 0:
			laterRevisions(r.Parts[i], in, rdr, end, lastEnd)
		}
	}
	if len(sigs) > 0 {
		unsignedChanges(r, in, rdr, lastEnd)
		addIndications(r, doc.hasDSS, sigs, ends, poe)
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
	if scan.mayHaveImages {
		qrParts = verifyEmbeddedQR(ctx, rdr, in, env, r)
	}
	stamps := 0
	for i := range sigs {
		if isDocTimestamp(&sigs[i]) {
			stamps++
		}
	}
	switch {
	case len(sigs) > 0 && stamps == len(sigs) && qrParts == 0:
		r.Add(verify.CheckSignature, verify.Fail, "the PDF carries only document timestamps (%d): they prove when it existed, not who signed it", stamps)
	case len(sigs) == 0:
		if qrParts == 0 {
			r.Add(verify.CheckSignature, verify.Fail, "the PDF carries no digital signature (no signature field with a value in its AcroForm or page annotations) and no verifiable QR code")
		} else {
			r.Add(verify.CheckSignature, verify.Skip, "the PDF itself carries no digital signature; only the QR code found in it was verified")
			r.Warn("the PDF's own text and layout are not signed: only the certificate in its QR code is verified")
		}
	}
	return r, nil
}

// document is what verifyInProcess reads from a PDF before it verifies the
// signatures.
type document struct {
	rdr    *pdflib.Reader // nil when read directly (readDirect)
	pages  int            // the page tree's /Count
	title  string         // the document information's /Title
	sigs   []sigDict      // the signatures found, then those a later revision removed
	nFinal int            // sigs[:nFinal] are referenced by the final revision
	hasDSS bool           // the catalog has a /DSS dictionary
	root   pdflib.Value   // the catalog, when read through the library
}

// validationData reads the catalog's /DSS (nil when there is none; the
// direct reader reads only documents without one).
func (d *document) validationData() *validationData {
	if d.rdr == nil {
		return nil
	}
	return readDSS(d.root)
}

// readWithLibrary reads the document through the PDF library, rebuilding a
// broken cross-reference table (with a warning on r).
func readWithLibrary(in []byte, scan *scanInfo, r *verify.Result) (*document, error) {
	rdr, err := pdflib.NewReader(bytes.NewReader(in), int64(len(in)))
	fromRebuilt := false // rdr reads a copy with a rebuilt table, not in
	if err != nil {
		rebuilt, ok := rebuildXref(in)
		if !ok {
			return nil, fmt.Errorf("cannot read the PDF structure: %v", err)
		}
		rdr2, err2 := pdflib.NewReader(bytes.NewReader(rebuilt), int64(len(rebuilt)))
		if err2 != nil {
			return nil, fmt.Errorf("cannot read the PDF structure (%v), nor rebuild its cross-reference table (%v)", err, err2)
		}
		rdr, fromRebuilt = rdr2, true
		r.Warn("the PDF's cross-reference table is broken (%v); it was rebuilt by scanning the file's objects", err)
	}
	root := rdr.Trailer().Key("Root")
	if root.Kind() != pdflib.Dict {
		return nil, errors.New("the trailer has no document catalog (/Root)")
	}
	doc := &document{rdr: rdr, pages: int(pageCount(in, rdr, root, fromRebuilt))}
	found, err := findSignatures(root, in, scan)
	if err != nil {
		return nil, err
	}
	removed := removedSignatures(in, found, scan)
	doc.nFinal = len(found)
	for _, v := range append(found, removed...) {
		doc.sigs = append(doc.sigs, sigDictFromLibrary(v))
	}
	doc.title = rdr.Trailer().Key("Info").Key("Title").Text()
	doc.hasDSS = root.Key("DSS").Kind() == pdflib.Dict
	doc.root = root
	return doc, nil
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

// findSignatures returns the value (signature dictionary) of every
// signature field that has one: first through the AcroForm field tree, in
// field order, then through the pages' /Annots (widget annotations whose
// field, or a parent field, is of type Sig), as pdfsig and other
// validators do; poppler's `pdfsig -add-signature` and other signers may
// leave a signature field out of /Fields. Each signature is found once.
//
// The page walk reads every page object, so it is skipped when the fields
// already gave as many signatures as the file has /ByteRange keys and no
// object stream could hide one.
func findSignatures(root pdflib.Value, in []byte, scan *scanInfo) ([]pdflib.Value, error) {
	f := &sigFinder{seen: map[uint32]bool{}, seenValue: map[uint32]bool{}}
	if err := f.walkFields(root.Key("AcroForm").Key("Fields"), 0); err != nil {
		return nil, err
	}
	if n, objStm := scan.signaturesBefore(len(in)); len(f.out) < n || objStm {
		if err := f.walkPages(root.Key("Pages"), 0); err != nil {
			return nil, err
		}
	}
	return f.out, nil
}

type sigFinder struct {
	out       []pdflib.Value
	seen      map[uint32]bool // fields and page-tree nodes visited
	seenValue map[uint32]bool // signature dictionaries found
	visited   int             // form fields
	pages     int             // page tree nodes
	annots    int             // annotations
}

func (f *sigFinder) visit(v pdflib.Value) (skip bool, err error) {
	if f.visited++; f.visited > maxFields {
		return false, fmt.Errorf("more than %d form fields and pages", maxFields)
	}
	if id := v.GetPtr().GetID(); id != 0 {
		if f.seen[id] {
			return true, nil
		}
		f.seen[id] = true
	}
	return false, nil
}

// add records field's signature value (inherited through /Parent, up to
// 32 levels) if the field is of type Sig and has one.
func (f *sigFinder) add(field pdflib.Value) error {
	var ft string
	var v, holder pdflib.Value
	n := field
	for depth := 0; depth < 32 && n.Kind() == pdflib.Dict; depth++ {
		if ft == "" {
			ft = n.Key("FT").Name()
		}
		if v.Kind() != pdflib.Dict {
			if x := n.Key("V"); x.Kind() == pdflib.Dict {
				v, holder = x, n
			}
		}
		if ft != "" && v.Kind() == pdflib.Dict {
			break
		}
		n = n.Key("Parent")
	}
	if ft != "Sig" || v.Kind() != pdflib.Dict {
		return nil
	}
	id := v.GetPtr().GetID()
	if id == 0 {
		id = holder.GetPtr().GetID()
	}
	if id != 0 {
		if f.seenValue[id] {
			return nil
		}
		f.seenValue[id] = true
	}
	if len(f.out) >= maxSignatures {
		return fmt.Errorf("more than %d signatures", maxSignatures)
	}
	f.out = append(f.out, v)
	return nil
}

func (f *sigFinder) walkFields(arr pdflib.Value, depth int) error {
	if arr.Kind() != pdflib.Array {
		return nil
	}
	if depth > 32 {
		return errors.New("the form field tree is nested more than 32 deep")
	}
	for i := 0; i < arr.Len(); i++ {
		fld := arr.Index(i)
		if skip, err := f.visit(fld); skip || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		if err := f.add(fld); err != nil {
			return err
		}
		if err := f.walkFields(fld.Key("Kids"), depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (f *sigFinder) walkPages(node pdflib.Value, depth int) error {
	if node.Kind() != pdflib.Dict {
		return nil
	}
	if depth > 32 {
		return errors.New("the page tree is nested more than 32 deep")
	}
	if f.pages++; f.pages > maxPageNodes {
		return fmt.Errorf("more than %d page tree nodes", maxPageNodes)
	}
	if id := node.GetPtr().GetID(); id != 0 {
		if f.seen[id] {
			return nil
		}
		f.seen[id] = true
	}
	if kids := node.Key("Kids"); kids.Kind() == pdflib.Array {
		for i := 0; i < kids.Len(); i++ {
			if err := f.walkPages(kids.Index(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	annots := node.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		if f.annots++; f.annots > maxAnnots {
			return fmt.Errorf("more than %d annotations", maxAnnots)
		}
		a := annots.Index(i)
		if a.Key("Subtype").Name() != "Widget" {
			continue
		}
		if err := f.add(a); err != nil {
			return err
		}
	}
	return nil
}

// trust holds the trust-list material for pdf signatures and timestamps.
// The pools follow one rule (spec/pdf.md §Trust roots): CA entries only
// anchor chains, signer entries only sign, and revoked entries are in no
// pool at all.
type trust struct {
	env        *verify.Env
	cas        []trustlist.Match // active CA entries allowed for pdf: the path roots for signers
	revokedCAs []trustlist.Match // revoked CA entries for pdf: they anchor nothing, kept to explain why
	tsaCAs     []trustlist.Match // active CA entries allowed for tsa: the path roots for TSAs
}

func newTrust(env *verify.Env) *trust {
	t := &trust{env: env}
	if env == nil || env.Trust == nil {
		return t
	}
	for _, m := range env.Trust.Find(trustlist.Query{Use: trustlist.DocPDF, Kind: trustlist.EntryX509, CA: new(true)}) {
		switch {
		case m.Entry.Certificate() == nil:
		case m.Entry.Status == trustlist.StatusRevoked:
			t.revokedCAs = append(t.revokedCAs, m)
		default:
			t.cas = append(t.cas, m)
		}
	}
	for _, m := range env.Trust.Find(trustlist.Query{Use: trustlist.DocTSA, Kind: trustlist.EntryX509, CA: new(true)}) {
		if m.Entry.Certificate() != nil && m.Entry.Status != trustlist.StatusRevoked {
			t.tsaCAs = append(t.tsaCAs, m)
		}
	}
	return t
}

// pdfsignOptions are pdfsign's verification options: trust roots are the
// active CA entries listed for pdf only (an empty, non-nil pool if there
// are none, so that crypto/x509 never falls back to the system pool), no
// network access, and no timestamp judgement: Accord checks timestamp
// tokens itself (checkTimestampToken).
func (t *trust) pdfsignOptions(env *verify.Env) *pdfverify.VerifyOptions {
	pool := x509.NewCertPool()
	for _, m := range t.cas {
		pool.AddCert(m.Entry.Certificate())
	}
	o := &pdfverify.VerifyOptions{
		RequiredEKUs:                  []x509.ExtKeyUsage{x509.ExtKeyUsage(36)}, // RFC 9336 document signing (pdfsign sentinel)
		AllowedEKUs:                   []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageAny},
		RequireDigitalSignatureKU:     false, // judged by keyUsage below, which also accepts contentCommitment
		TrustSignatureTime:            true,  // validate paths at the claimed time, reported as a claim
		ValidateTimestampCertificates: false, // pdfsign trusts the first certificate in the token's bag; Accord checks tokens itself
		AllowUntrustedRoots:           false,
		TrustedRoots:                  pool,
		EnableExternalRevocationCheck: false,
	}
	if env != nil {
		o.AtTime = env.At
	}
	return o
}

// signerTrust is how a signer certificate is vouched for.
type signerTrust struct {
	m       *trustlist.Match // the entry, nil when none vouches
	how     string           // the path, or why none
	direct  bool             // the certificate itself is listed (no path built)
	pathErr error            // the path is not valid at the signing time
}

// find returns the trust-list match for a signer certificate: the
// certificate itself listed as a signer (not a CA) for pdf, or an active CA
// listed for pdf that it chains to through the certificates carried in the
// signature.
func (t *trust) find(leaf *x509.Certificate, carried []*x509.Certificate, at time.Time) (st signerTrust, err error) {
	if t.env == nil || t.env.Trust == nil {
		return st, nil
	}
	tp := sha256.Sum256(leaf.Raw)
	direct := t.env.Trust.Find(trustlist.Query{Thumbprint: tp[:], Kind: trustlist.EntryX509})
	var notForPDF, asCA []string
	for i := range direct {
		switch {
		case !direct[i].Entry.Allows(trustlist.DocPDF):
			notForPDF = append(notForPDF, direct[i].Country)
		case direct[i].Entry.CA:
			asCA = append(asCA, direct[i].Country)
		default:
			return signerTrust{m: pickBest(direct, i), how: "the signer certificate itself is listed", direct: true}, nil
		}
	}
	st, err = t.chain(leaf, carried, at, t.cas)
	if st.m != nil {
		return st, nil
	}
	if rst, _ := t.chain(leaf, carried, at, t.revokedCAs); rst.m != nil {
		e := rst.m.Entry
		return signerTrust{how: fmt.Sprintf("the signer certificate chains to the CA %q listed by %s, which was revoked at %s (%s): a revoked CA anchors no chain",
			e.Name, rst.m.Country, rfc3339(e.RevokedAt), e.Reason)}, nil
	}
	switch {
	case len(asCA) > 0:
		st.how = fmt.Sprintf("the signer certificate is listed by %s as a CA: CA entries only anchor chains, they do not sign documents", strings.Join(asCA, ", "))
	case len(notForPDF) > 0:
		st.how = fmt.Sprintf("the signer certificate is listed by %s but not allowed to sign pdf documents", strings.Join(notForPDF, ", "))
	}
	return st, err
}

// chain builds a path from leaf to one of the CA entries cas, through the
// carried certificates, at time at.
func (t *trust) chain(leaf *x509.Certificate, carried []*x509.Certificate, at time.Time, cas []trustlist.Match) (st signerTrust, err error) {
	if len(cas) == 0 {
		return st, nil
	}
	roots := x509.NewCertPool()
	for _, c := range cas {
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
			st.pathErr = err
			chains, err = verifyAt(leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2))
		}
		if err != nil {
			// crypto/x509 cannot verify brainpool, RSASSA-PSS or SHA-1
			// certificate signatures: build the path with the PKI layer.
			if pst, ok := t.pkiPath(leaf, carried, at, cas); ok {
				return pst, nil
			}
			return signerTrust{}, err
		}
	}
	for _, ch := range chains {
		if len(ch) < 2 {
			continue // the certificate is the CA itself: a CA entry anchors chains, it does not sign
		}
		rootCert := ch[len(ch)-1]
		rt := sha256.Sum256(rootCert.Raw)
		for i := range cas {
			if bytes.Equal(cas[i].Entry.Thumbprint, rt[:]) {
				st.how = fmt.Sprintf("the signer certificate chains to the listed CA %q", rootCert.Subject.CommonName)
				if n := len(ch) - 2; n > 0 {
					st.how += fmt.Sprintf(" through %d intermediate certificate(s) carried in the PDF", n)
				}
				st.m = pickBest(cas, i)
				return st, nil
			}
		}
	}
	return signerTrust{}, nil
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
func byteRange(v *sigDict, in []byte) (br [4]int64, err error) {
	if !v.rangeOK {
		return br, errors.New("/ByteRange is not an array of four integers")
	}
	for i := range br {
		if !v.isInt[i] {
			return br, errors.New("/ByteRange is not an array of four integers")
		}
		br[i] = v.br[i]
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
		if !gapTab[c] {
			return br, fmt.Errorf("the unsigned gap of /ByteRange (bytes %d-%d) holds more than the /Contents hex string", br[1], br[2])
		}
	}
	return br, nil
}

// gapTab marks the bytes isHex accepts.
var gapTab = func() (t [256]bool) {
	for c := range t {
		t[c] = isHex(byte(c))
	}
	return t
}()

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

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

// pkiPath builds the signer's path to one of cas with the government-PKI
// layer (internal/pki), which verifies what crypto/x509 refuses. Key usage,
// basic constraints and validity at time at are checked along the path.
func (t *trust) pkiPath(leaf *x509.Certificate, carried []*x509.Certificate, at time.Time, cas []trustlist.Match) (signerTrust, bool) {
	pl, err := pki.Parse(leaf.Raw)
	if err != nil {
		return signerTrust{}, false
	}
	var inter, roots []*pki.Certificate
	for _, c := range carried {
		if pc, err := pki.Parse(c.Raw); err == nil && string(c.Raw) != string(leaf.Raw) {
			inter = append(inter, pc)
		}
	}
	idx := []int{}
	for i, m := range cas {
		if pc, err := pki.Parse(m.Entry.Data); err == nil {
			roots = append(roots, pc)
			idx = append(idx, i)
		}
	}
	r, n, err := pkiChain(pl, inter, roots, at)
	if err != nil {
		return signerTrust{}, false
	}
	how := fmt.Sprintf("the signer certificate chains to the listed CA %q", roots[r].Subject.CommonName)
	if n > 2 {
		how += fmt.Sprintf(" through %d intermediate certificate(s) carried in the PDF", n-2)
	}
	return signerTrust{m: pickBest(cas, idx[r]), how: how + " (verified with the government-PKI layer)"}, true
}
