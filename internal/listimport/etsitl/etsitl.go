// Package etsitl reads ETSI TS 119 612 trusted lists: national trusted lists
// of qualified trust services and the EU List of Trusted Lists (LOTL), each
// signed with an enveloped XAdES signature (XML-DSig checked with
// github.com/russellhaering/goxmldsig).
//
// A LOTL is trusted through --source-root (the signing certificates the
// Official Journal publishes); a national list is trusted through
// --source-root or through the LOTL pointer for its territory, when the LOTL
// is imported in the same run and verified.
package etsitl

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Format is the format name used on the command line and in provenance.
const Format = "etsi-tl"

// Uses given to imported services.
const (
	UsePDF trustlist.DocType = trustlist.DocPDF // CA/QC for e-signatures or e-seals: a pdf CA
	UseTSA trustlist.DocType = "tsa"            // a qualified time-stamping service
)

const (
	typeLOTL    = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists"
	svcCAQC     = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
	svcQTST     = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
	statusBase  = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/"
	extForESig  = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures"
	extForESeal = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals"
	extPrefix   = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/For"
)

// activeStatus lists the service statuses under which a service is trusted:
// granted (eIDAS) and the pre-eIDAS statuses that meant the same.
var activeStatus = map[string]bool{"granted": true, "accredited": true, "undersupervision": true, "recognisedatnationallevel": true}

type tsl struct {
	XMLName xml.Name `xml:"TrustServiceStatusList"`
	Scheme  struct {
		Version   int    `xml:"TSLVersionIdentifier"`
		Seq       uint64 `xml:"TSLSequenceNumber"`
		Type      string `xml:"TSLType"`
		Territory string `xml:"SchemeTerritory"`
		Operator  []struct {
			Lang string `xml:"lang,attr"`
			Name string `xml:",chardata"`
		} `xml:"SchemeOperatorName>Name"`
		Issued   string    `xml:"ListIssueDateTime"`
		Next     string    `xml:"NextUpdate>dateTime"`
		Pointers []pointer `xml:"PointersToOtherTSL>OtherTSLPointer"`
	} `xml:"SchemeInformation"`
	TSPs []struct {
		Names []struct {
			Lang string `xml:"lang,attr"`
			Name string `xml:",chardata"`
		} `xml:"TSPInformation>TSPName>Name"`
		Services []service `xml:"TSPServices>TSPService"`
	} `xml:"TrustServiceProviderList>TrustServiceProvider"`
}

type pointer struct {
	Location string   `xml:"TSLLocation"`
	Certs    []string `xml:"ServiceDigitalIdentities>ServiceDigitalIdentity>DigitalId>X509Certificate"`
	Info     []struct {
		Territory string `xml:"SchemeTerritory"`
		MimeType  string `xml:"MimeType"`
	} `xml:"AdditionalInformation>OtherInformation"`
}

type service struct {
	Type  string `xml:"ServiceInformation>ServiceTypeIdentifier"`
	Names []struct {
		Lang string `xml:"lang,attr"`
		Name string `xml:",chardata"`
	} `xml:"ServiceInformation>ServiceName>Name"`
	Status string   `xml:"ServiceInformation>ServiceStatus"`
	Certs  []string `xml:"ServiceInformation>ServiceDigitalIdentity>DigitalId>X509Certificate"`
	Ext    []string `xml:"ServiceInformation>ServiceInformationExtensions>Extension>AdditionalServiceInformation>URI"`
}

// Pointers are the national-list signers a verified LOTL names, by territory.
type Pointers map[string][]*pki.Certificate

// List is a parsed trusted list.
type List struct {
	Source *listimport.Source
	// LOTL is true for the EU List of Trusted Lists; Pointers holds its
	// pointers to national lists (filled only when its signature verified).
	LOTL      bool
	Territory string
	Seq       uint64
	Pointers  Pointers
	// NextUpdate is the list's NextUpdate/dateTime (zero when absent or
	// unreadable: a closed list).
	NextUpdate time.Time
}

// Parse reads a trusted list and checks its signature. Its signer is trusted
// when it is among opts.Roots, or (national lists) among the signers that
// lotl, a verified LOTL of the same run, names for the list's territory.
func Parse(b []byte, opts listimport.Options) (*listimport.Source, error) {
	l, err := ParseList(b, opts, nil)
	if err != nil {
		return nil, err
	}
	return l.Source, nil
}

// ParseList is Parse with the pointers of LOTLs read before.
func ParseList(b []byte, opts listimport.Options, lotl Pointers) (*List, error) {
	if len(b) > listimport.MaxSourceSize {
		return nil, fmt.Errorf("%d bytes exceeds %d", len(b), listimport.MaxSourceSize)
	}
	var t tsl
	if err := xml.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("not an ETSI trusted list (XML TrustServiceStatusList): %w", err)
	}
	src := listimport.NewSource(Format, b)
	l := &List{Source: src, LOTL: t.Scheme.Type == typeLOTL, Territory: territory(t.Scheme.Territory), Seq: t.Scheme.Seq}
	if l.Territory == "" {
		return nil, errors.New("the trusted list names no SchemeTerritory")
	}
	if ts, err := time.Parse(time.RFC3339, strings.TrimSpace(t.Scheme.Issued)); err == nil {
		src.Issued = ts
	}
	if ts, err := time.Parse(time.RFC3339, strings.TrimSpace(t.Scheme.Next)); err == nil {
		l.NextUpdate = ts
	}
	kind := "trusted list"
	if l.LOTL {
		kind = "List of Trusted Lists"
	}
	src.Name = fmt.Sprintf("the %s %s seq %d", l.Territory, kind, t.Scheme.Seq)
	if len(src.Name) > 256 {
		src.Name = src.Name[:256]
	}
	signer := checkSignature(src, b, opts, lotl[l.Territory])
	if l.LOTL {
		l.Pointers = Pointers{}
		if src.Signature == trustlist.SourceVerified {
			for _, p := range t.Scheme.Pointers {
				l.addPointer(p)
			}
			src.SignatureDetail += fmt.Sprintf("; %d territories' list signers taken from its pointers", len(l.Pointers))
		}
		_ = signer
		return l, nil
	}
	for _, tsp := range t.TSPs {
		tspName := pick(tsp.Names)
		for _, s := range tsp.Services {
			for i, c := range s.Certs {
				src.Items = append(src.Items, serviceItem(l.Territory, tspName, &s, i, c))
			}
		}
	}
	return l, nil
}

// territory maps the codes EU trusted lists use to ISO 3166-1: Greece is EL
// and the United Kingdom UK there.
func territory(s string) string {
	s = strings.TrimSpace(s)
	switch s {
	case "EL":
		return "GR"
	case "UK":
		return "GB"
	}
	return s
}

func pick(names []struct {
	Lang string `xml:"lang,attr"`
	Name string `xml:",chardata"`
}) string {
	for _, n := range names {
		if n.Lang == "en" {
			return strings.TrimSpace(n.Name)
		}
	}
	if len(names) > 0 {
		return strings.TrimSpace(names[0].Name)
	}
	return ""
}

func (l *List) addPointer(p pointer) {
	terr := ""
	for _, in := range p.Info {
		if in.Territory != "" {
			terr = territory(in.Territory)
		}
	}
	if terr == "" {
		return
	}
	for _, c := range p.Certs {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
		if err != nil {
			continue
		}
		if cert, err := pki.Parse(der); err == nil {
			l.Pointers[terr] = append(l.Pointers[terr], cert)
		}
	}
}

func serviceItem(country, tsp string, s *service, i int, b64 string) listimport.Item {
	it := listimport.Item{Ref: fmt.Sprintf("%q / %q", tsp, pick(s.Names)), Country: country}
	if i > 0 {
		it.Ref += fmt.Sprintf(" #%d", i+1)
	}
	status := strings.TrimPrefix(strings.TrimSpace(s.Status), statusBase)
	if !activeStatus[status] {
		it.Refused = fmt.Errorf("service status %s", status)
		return it
	}
	var ca bool
	var use trustlist.DocType
	switch strings.TrimSpace(s.Type) {
	case svcCAQC:
		ca, use = true, UsePDF
		forSig, forOther := false, false
		for _, e := range s.Ext {
			e = strings.TrimSpace(e)
			switch {
			case e == extForESig || e == extForESeal:
				forSig = true
			case strings.HasPrefix(e, extPrefix):
				forOther = true
			}
		}
		if forOther && !forSig {
			it.Refused = errors.New("a CA/QC service for neither e-signatures nor e-seals (e.g. website authentication)")
			return it
		}
	case svcQTST:
		use = UseTSA
	default:
		it.Refused = fmt.Errorf("service type %s is not imported (CA/QC becomes a pdf CA, TSA/QTST a tsa signer)", strings.TrimSpace(s.Type))
		return it
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		it.Refused = errors.New("X509Certificate is not base64")
		return it
	}
	e, err := trustlist.NewX509Entry(der, ca, []trustlist.DocType{use}, "")
	if err != nil {
		it.Refused = err
		return it
	}
	it.Entry = e
	return it
}

// checkSignature verifies the enveloped XML signature with the certificate
// its KeyInfo carries, and decides whether that certificate is trusted. It
// returns the signer, or nil.
func checkSignature(src *listimport.Source, b []byte, opts listimport.Options, pointed []*pki.Certificate) *pki.Certificate {
	src.Signature = trustlist.SourceUnverified
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil || doc.Root() == nil {
		src.SignatureDetail = fmt.Sprintf("XML: %v", err)
		return nil
	}
	root := doc.Root()
	sigEl := findSignature(root)
	if sigEl == nil {
		src.Signature, src.SignatureDetail = trustlist.SourceUnsigned, "the list carries no ds:Signature"
		return nil
	}
	certEl := sigEl.FindElement(".//X509Certificate")
	if certEl == nil {
		src.SignatureDetail = "the signature's KeyInfo carries no X509Certificate"
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(certEl.Text()), ""))
	if err != nil {
		src.SignatureDetail = "the signer's X509Certificate is not base64"
		return nil
	}
	signer, err := pki.Parse(der)
	if err != nil {
		src.SignatureDetail = "signer: " + err.Error()
		return nil
	}
	src.Signer = listimport.SignerName(signer)
	// The signer certificates of real lists have long expired; the list is
	// judged at its own issue time (its freshness is NextUpdate's business).
	at := src.Issued
	if at.IsZero() {
		at = opts.Now()
	}
	if err := verifyXMLDSig(root, sigEl, signer); err != nil {
		src.SignatureDetail = "XML signature does not verify: " + err.Error()
		return nil
	}
	for _, p := range pointed {
		if bytes.Equal(p.Raw, signer.Raw) {
			src.Signature = trustlist.SourceVerified
			src.SignatureDetail = "XAdES signature verified; the signer is the one the LOTL names for this territory"
			return signer
		}
	}
	if _, err := listimport.ChainsToRoot(signer, opts.Roots, at); err != nil {
		src.SignatureDetail = "XAdES signature intact, but " + err.Error()
		if len(pointed) > 0 {
			src.SignatureDetail += fmt.Sprintf(", nor one of the %d the LOTL names for this territory", len(pointed))
		}
		return nil
	}
	src.Signature = trustlist.SourceVerified
	src.SignatureDetail = "XAdES signature verified; the signer is a --source-root"
	return signer
}

func findSignature(root *etree.Element) *etree.Element {
	for _, c := range root.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsig.Namespace {
			return c
		}
	}
	return nil
}

// verifyXMLDSig checks an enveloped XML-DSig (XAdES) signature: every
// Reference's digest (the whole list through the enveloped-signature
// transform, and XAdES SignedProperties by Id), one of them covering the whole
// list, and the SignatureValue over the canonical SignedInfo with signer's
// key. goxmldsig's canonicalizers do the XML canonicalization; its Validate is
// not used because it refuses documents of more than 1000 elements (a
// national list has several thousand) and checks only the root reference.
func verifyXMLDSig(root, sigEl *etree.Element, signer *pki.Certificate) error {
	si := child(sigEl, "SignedInfo")
	if si == nil {
		return errors.New("no SignedInfo")
	}
	cm := child(si, "CanonicalizationMethod")
	if cm == nil {
		return errors.New("no CanonicalizationMethod")
	}
	c14n, err := canonicalizer(cm.SelectAttrValue("Algorithm", ""), "")
	if err != nil {
		return err
	}
	refs := si.SelectElements("Reference")
	if len(refs) == 0 || len(refs) > 8 {
		return fmt.Errorf("%d References", len(refs))
	}
	coversList := false
	rootID := root.SelectAttrValue("Id", "")
	for _, ref := range refs {
		uri := ref.SelectAttrValue("URI", "")
		whole := uri == "" || (rootID != "" && uri == "#"+rootID)
		if err := checkReference(root, sigEl, ref, whole); err != nil {
			return err
		}
		coversList = coversList || whole
	}
	if !coversList {
		return errors.New("no Reference covers the whole list")
	}
	detached, err := detach(si)
	if err != nil {
		return err
	}
	signed, err := c14n.Canonicalize(detached)
	if err != nil {
		return err
	}
	sm := child(si, "SignatureMethod")
	sv := child(sigEl, "SignatureValue")
	if sm == nil || sv == nil {
		return errors.New("no SignatureMethod or SignatureValue")
	}
	alg, ok := signatureURIs[sm.SelectAttrValue("Algorithm", "")]
	if !ok {
		return fmt.Errorf("signature method %s", sm.SelectAttrValue("Algorithm", ""))
	}
	sig, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sv.Text()), ""))
	if err != nil {
		return errors.New("SignatureValue is not base64")
	}
	return pki.VerifySignature(signer.PublicKey, alg, 0, signed, sig)
}

// signatureURIs maps XML-DSig signature methods to algorithms. XML-DSig
// ECDSA signatures are r‖s (RFC 4050), not DER.
var signatureURIs = map[string]pki.SignatureAlgorithm{
	"http://www.w3.org/2000/09/xmldsig#rsa-sha1":             {Key: pki.KeyRSA, Padding: pki.PKCS1v15, Hash: crypto.SHA1},
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256":      {Key: pki.KeyRSA, Padding: pki.PKCS1v15, Hash: crypto.SHA256},
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384":      {Key: pki.KeyRSA, Padding: pki.PKCS1v15, Hash: crypto.SHA384},
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512":      {Key: pki.KeyRSA, Padding: pki.PKCS1v15, Hash: crypto.SHA512},
	"http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1": {Key: pki.KeyRSA, Padding: pki.PSS, Hash: crypto.SHA256, SaltLength: 32},
	"http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1": {Key: pki.KeyRSA, Padding: pki.PSS, Hash: crypto.SHA512, SaltLength: 64},
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256":    {Key: pki.KeyECDSA, Hash: crypto.SHA256, Plain: true},
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384":    {Key: pki.KeyECDSA, Hash: crypto.SHA384, Plain: true},
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512":    {Key: pki.KeyECDSA, Hash: crypto.SHA512, Plain: true},
}

func child(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

func canonicalizer(alg, prefixList string) (dsig.Canonicalizer, error) {
	switch dsig.AlgorithmID(alg) {
	case dsig.CanonicalXML10ExclusiveAlgorithmId:
		return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList), nil
	case dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId:
		return dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(prefixList), nil
	case dsig.CanonicalXML10RecAlgorithmId:
		return dsig.MakeC14N10RecCanonicalizer(), nil
	case dsig.CanonicalXML10WithCommentsAlgorithmId:
		return dsig.MakeC14N10WithCommentsCanonicalizer(), nil
	case dsig.CanonicalXML11AlgorithmId:
		return dsig.MakeC14N11Canonicalizer(), nil
	case dsig.CanonicalXML11WithCommentsAlgorithmId:
		return dsig.MakeC14N11WithCommentsCanonicalizer(), nil
	}
	return nil, fmt.Errorf("canonicalization %q", alg)
}

// checkReference recomputes one Reference's digest. whole: the reference
// is to the list itself, which the enveloped-signature transform must strip
// of its signature.
func checkReference(root, sigEl, ref *etree.Element, whole bool) error {
	uri := ref.SelectAttrValue("URI", "")
	var target *etree.Element
	enveloped := false
	var c14n dsig.Canonicalizer
	if tr := child(ref, "Transforms"); tr != nil {
		for _, t := range tr.SelectElements("Transform") {
			alg := t.SelectAttrValue("Algorithm", "")
			if dsig.AlgorithmID(alg) == dsig.EnvelopedSignatureAltorithmId {
				enveloped = true
				continue
			}
			prefixes := ""
			if in := child(t, "InclusiveNamespaces"); in != nil {
				prefixes = in.SelectAttrValue("PrefixList", "")
			}
			var err error
			if c14n, err = canonicalizer(alg, prefixes); err != nil {
				return fmt.Errorf("reference %q: %v", uri, err)
			}
		}
	}
	if c14n == nil {
		// Without a canonicalization transform, XML-DSig applies C14N 1.0
		// to the node set.
		c14n = dsig.MakeC14N10RecCanonicalizer()
	}
	switch {
	case whole:
		if !enveloped {
			return fmt.Errorf("reference %q to the list lacks the enveloped-signature transform", uri)
		}
		target = root.Copy()
		for _, c := range target.ChildElements() {
			if c.Tag == sigEl.Tag && c.Space == sigEl.Space && c.SelectAttrValue("Id", "") == sigEl.SelectAttrValue("Id", "") {
				target.RemoveChild(c)
				break
			}
		}
	case strings.HasPrefix(uri, "#"):
		t := findByID(root, uri[1:])
		if t == nil {
			return fmt.Errorf("reference %s points at nothing", uri)
		}
		var err error
		if target, err = detach(t); err != nil {
			return err
		}
	default:
		return fmt.Errorf("reference to %q outside the list", uri)
	}
	canon, err := c14n.Canonicalize(target)
	if err != nil {
		return err
	}
	dm, dv := child(ref, "DigestMethod"), child(ref, "DigestValue")
	if dm == nil || dv == nil {
		return fmt.Errorf("reference %q lacks DigestMethod or DigestValue", uri)
	}
	alg := dm.SelectAttrValue("Algorithm", "")
	hf, ok := digestURIs[alg]
	if !ok {
		return fmt.Errorf("digest %s on %q", alg, uri)
	}
	d := hf.New()
	d.Write(canon)
	want, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(dv.Text()), ""))
	if err != nil || !bytes.Equal(d.Sum(nil), want) {
		return fmt.Errorf("digest of reference %q does not match: the signed content was changed", uri)
	}
	return nil
}

var digestURIs = map[string]crypto.Hash{
	"http://www.w3.org/2000/09/xmldsig#sha1":        crypto.SHA1,
	"http://www.w3.org/2001/04/xmlenc#sha256":       crypto.SHA256,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": crypto.SHA384,
	"http://www.w3.org/2001/04/xmlenc#sha512":       crypto.SHA512,
}

func findByID(el *etree.Element, id string) *etree.Element {
	if el.SelectAttrValue("Id", "") == id {
		return el
	}
	for _, c := range el.ChildElements() {
		if f := findByID(c, id); f != nil {
			return f
		}
	}
	return nil
}

// detach copies target with every namespace declaration in scope from its
// ancestors, so canonicalizing it alone gives what it gives in place.
func detach(target *etree.Element) (*etree.Element, error) {
	var chain []*etree.Element
	for p := target.Parent(); p != nil; p = p.Parent() {
		chain = append(chain, p)
	}
	out := target.Copy()
	declared := map[string]bool{}
	for _, a := range out.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			declared[a.FullKey()] = true
		}
	}
	for _, p := range chain {
		for _, a := range p.Attr {
			if (a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")) && !declared[a.FullKey()] {
				declared[a.FullKey()] = true
				out.CreateAttr(a.FullKey(), a.Value)
			}
		}
	}
	return out, nil
}

// ParseAll reads several lists at once: the LOTLs among them first, so that
// the national lists are checked against the signers that the verified LOTLs
// name for their territories. The results are in the order of files.
func ParseAll(files [][]byte, opts listimport.Options) ([]*List, error) {
	out := make([]*List, len(files))
	pointers := Pointers{}
	for i, b := range files {
		l, err := ParseList(b, opts, nil)
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", i+1, err)
		}
		out[i] = l
		for terr, certs := range l.Pointers {
			pointers[terr] = append(pointers[terr], certs...)
		}
	}
	if len(pointers) == 0 {
		return out, nil
	}
	for i, b := range files {
		if out[i].LOTL {
			continue
		}
		l, err := ParseList(b, opts, pointers)
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", i+1, err)
		}
		out[i] = l
	}
	return out, nil
}
