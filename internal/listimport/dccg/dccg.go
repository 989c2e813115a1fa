// Package dccg reads the EU DCC gateway's trust-list shape:
// {"certificates": [{certificateType, country, kid, rawData, signature,
// thumbprint, timestamp}]} (and the same without country), as the gateway
// serves it and countries such as DE republish it.
package dccg

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Format is the format name used on the command line and in provenance.
const Format = "dccg"

type item struct {
	CertificateType string `json:"certificateType"`
	Country         string `json:"country"`
	Kid             string `json:"kid"`
	RawData         string `json:"rawData"`
	Signature       string `json:"signature"`
	Thumbprint      string `json:"thumbprint"`
	Timestamp       string `json:"timestamp"`
}

type document struct {
	Certificates *[]json.RawMessage `json:"certificates"`
}

// Parse reads a gateway list. It fails only when the file is not such a list
// at all; a bad item is returned refused, with its reason.
func Parse(b []byte, opts listimport.Options) (*listimport.Source, error) {
	if len(b) > listimport.MaxSourceSize {
		return nil, fmt.Errorf("%d bytes exceeds %d", len(b), listimport.MaxSourceSize)
	}
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a DCC gateway trust list (JSON): %w", err)
	}
	if doc.Certificates == nil {
		return nil, errors.New(`not a DCC gateway trust list: no "certificates" array`)
	}
	src := listimport.NewSource(Format, b)
	src.Name = "the EU DCC gateway trust list"
	src.Signature = trustlist.SourceUnsigned
	src.SignatureDetail = "the list as a whole is unsigned; each item carries its uploader's CMS signature"
	// Items are independent: parse and check them on every core, in order.
	raws := *doc.Certificates
	items := make([]listimport.Item, len(raws))
	stamps := make([]time.Time, len(raws))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, raw := range raws {
		g.Go(func() error {
			var it item
			if err := json.Unmarshal(raw, &it); err != nil {
				items[i] = listimport.Item{Ref: fmt.Sprintf("#%d", i+1), Refused: fmt.Errorf("not a gateway item: %v", err)}
				return nil
			}
			items[i] = parseItem(i, &it, opts)
			stamps[i], _ = time.Parse(time.RFC3339, it.Timestamp)
			return nil
		})
	}
	_ = g.Wait() // the workers return no errors: a bad item is refused in place
	src.Items = items
	for _, t := range stamps {
		if t.After(src.Issued) {
			src.Issued = t // the list is as new as its newest item
		}
	}
	return src, nil
}

func parseItem(i int, it *item, opts listimport.Options) listimport.Item {
	out := listimport.Item{Ref: it.Kid, Country: it.Country}
	if out.Ref == "" {
		out.Ref = fmt.Sprintf("#%d", i+1)
	}
	refuse := func(f string, a ...any) listimport.Item {
		out.Refused = fmt.Errorf(f, a...)
		return out
	}
	der, err := base64.StdEncoding.DecodeString(it.RawData)
	if err != nil || len(der) == 0 {
		return refuse("rawData is not base64 DER")
	}
	sum := sha256.Sum256(der)
	if it.Kid != "" && it.Kid != base64.StdEncoding.EncodeToString(sum[:8]) {
		return refuse("kid %s is not the certificate's (%s = first 8 bytes of its SHA-256)", it.Kid, base64.StdEncoding.EncodeToString(sum[:8]))
	}
	if it.Thumbprint != "" && !strings.EqualFold(it.Thumbprint, hex.EncodeToString(sum[:])) {
		return refuse("thumbprint %s is not the certificate's SHA-256", it.Thumbprint)
	}
	var ca bool
	switch it.CertificateType {
	case "DSC", "":
	case "CSCA":
		ca = true
	default:
		return refuse("certificate type %s signs no documents (only DSC and CSCA are imported)", it.CertificateType)
	}
	e, err := trustlist.NewX509Entry(der, ca, []trustlist.DocType{trustlist.DocHCert}, "")
	if err != nil {
		return refuse("%v", err)
	}
	if cert := e.Certificate(); out.Country == "" && cert != nil && len(cert.Subject.Country) == 1 {
		out.Country = strings.ToUpper(cert.Subject.Country[0])
	}
	if !trustlist.ValidCountry(out.Country) {
		return refuse("country %q is not an accepted country code", out.Country)
	}
	out.Signature, out.Signer, out.SignatureDetail, out.SignedAt = checkItemSignature(it, der, out.Country, opts)
	out.Entry = e
	return out
}

// checkItemSignature checks the item's CMS signature: detached, over the
// certificate's DER, by the uploading country's upload certificate, which the
// SignedData carries. Without --source-root the signature can be found intact
// but its signer is not known to be the country's real upload certificate.
// signedAt is the signature's signingTime attribute when it verified.
func checkItemSignature(it *item, der []byte, country string, opts listimport.Options) (state, signer, detail string, signedAt time.Time) {
	if it.Signature == "" {
		return trustlist.SourceUnsigned, "", "the item carries no signature", time.Time{}
	}
	raw, err := base64.StdEncoding.DecodeString(it.Signature)
	if err != nil {
		return trustlist.SourceUnverified, "", "signature is not base64", time.Time{}
	}
	sd, err := pki.ParseSignedData(raw)
	if err != nil {
		return trustlist.SourceUnverified, "", err.Error(), time.Time{}
	}
	if len(sd.SignerInfos) != 1 {
		return trustlist.SourceUnverified, "", fmt.Sprintf("%d signers, want 1", len(sd.SignerInfos)), time.Time{}
	}
	if sd.Content != nil && !bytes.Equal(sd.Content, der) {
		return trustlist.SourceUnverified, "", "the signed content is not this certificate", time.Time{}
	}
	si := &sd.SignerInfos[0]
	var up *pki.Certificate
	for _, r := range opts.Roots { // an upload certificate given as a root need not be in the SignedData
		if si.Matches(r) {
			up = r
		}
	}
	if up == nil {
		if up, err = si.FindSigner(sd.Certificates); err != nil {
			return trustlist.SourceUnverified, "", err.Error(), time.Time{}
		}
	}
	signer = listimport.SignerName(up)
	if err := si.Verify(sd.ContentType, der, up); err != nil {
		return trustlist.SourceUnverified, signer, "upload signature: " + err.Error(), time.Time{}
	}
	if len(up.Subject.Country) == 1 && up.Subject.Country[0] != country {
		return trustlist.SourceUnverified, signer, fmt.Sprintf("signed by an upload certificate of %s, not %s", up.Subject.Country[0], country), time.Time{}
	}
	if _, err := listimport.ChainsToRoot(up, opts.Roots, opts.Now()); err != nil {
		return trustlist.SourceUnverified, signer, "upload signature intact, but " + err.Error(), time.Time{}
	}
	signedAt, _ = si.SigningTime()
	return trustlist.SourceVerified, signer, "upload signature verified", signedAt
}
