package pdf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// tsaServer is a real RFC 3161 time-stamping authority on a local port,
// built with digitorus/timestamp: it signs the hash it is sent at time at.
func tsaServer(t *testing.T, cert *x509.Certificate, key *ecdsa.PrivateKey, at time.Time) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: at,
			Nonce: req.Nonce, Policy: []int{1, 2, 3, 4, 1}, SerialNumber: big.NewInt(time.Now().UnixNano()), AddTSACertificate: true}
		resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTimestamp(t *testing.T) {
	tsaCert, tsaKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL TSA", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	stampedAt := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	url := tsaServer(t, tsaCert, tsaKey, stampedAt)
	s := newSigner(t, "Issuer")
	doc, err := Sign(pdftest.Document(pdftest.Options{}), SignOptions{Key: s.key, Cert: s.cert, TSA: url})
	if err != nil {
		t.Fatal(err)
	}

	// The key was revoked an hour ago: after the trusted timestamp, so the
	// signature made before stays valid; with an untrusted TSA it is not.
	a := trustlisttest.NewAnchor(t, "NL")
	e := pdfEntry(t, s.cert, false, "Issuer")
	rev := *e
	rev.Status, rev.RevokedAt, rev.Reason = trustlist.StatusRevoked, time.Now().Add(-time.Hour).UTC().Truncate(time.Second), "key retired"
	tsaEntry := pdfEntry(t, tsaCert, false, "NL TSA")
	a.SignList(t, time.Time{}, 365*24*time.Hour, &rev, tsaEntry)
	r, err := run(t, trustlisttest.Set(t, a), doc)
	if err != nil || !r.Valid {
		t.Fatalf("want valid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckNotRevoked, verify.Pass, "after the trusted signing time")
	want(t, r, 0, verify.CheckKeyValidAtSigning, verify.Pass, "RFC 3161 timestamp by a TSA listed for pdf")

	b := trustlisttest.NewAnchor(t, "NL")
	b.SignList(t, time.Time{}, 365*24*time.Hour, &rev)
	r, _ = run(t, trustlisttest.Set(t, b), doc)
	if r.Valid {
		t.Fatalf("want invalid without a trusted TSA\n%s", dump(t, r))
	}
	want(t, r, 0, verify.CheckNotRevoked, verify.Fail, "key retired")
	if len(r.Parts[0].Warnings) == 0 {
		t.Fatal("want a warning that the timestamp's TSA is not listed")
	}
}
