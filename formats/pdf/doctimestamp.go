package pdf

import (
	"fmt"
	"time"

	"github.com/accord-network/accord/verify"
)

// Document timestamps (PAdES B-LTA, ISO 32000-2 §12.8.5): a signature
// field whose value has /Type /DocTimeStamp and SubFilter ETSI.RFC3161.
// Its /Contents is an RFC 3161 token over the bytes of its /ByteRange. It
// is verified as a timestamp (checkTimestampToken, the TSA listed for
// "tsa"), never as a document signature, and a trusted one is proof that
// everything it covers existed at its genTime.

func isDocTimestamp(v *sigDict) bool {
	return v.subFilter == "ETSI.RFC3161" || v.typ == "DocTimeStamp"
}

// proof is a trusted document timestamp: the bytes up to end existed at
// time at.
type proof struct {
	end int64
	at  time.Time
	tsa string
}

// signedBytes returns the bytes a /ByteRange covers.
func signedBytes(in []byte, br [4]int64) []byte {
	out := make([]byte, 0, br[1]+br[3])
	out = append(out, in[:br[1]]...)
	return append(out, in[br[2]:br[2]+br[3]]...)
}

// proofsOfExistence checks every document timestamp among sigs and returns
// the trusted ones.
func proofsOfExistence(sigs []sigDict, in []byte, t *trust) []proof {
	var out []proof
	for i := range sigs {
		v := &sigs[i]
		if !isDocTimestamp(v) {
			continue
		}
		br, err := byteRange(v, in)
		if err != nil {
			continue
		}
		tc := t.checkTimestampToken(v.contents, signedBytes(in, br))
		if tc.Trusted {
			out = append(out, proof{end: br[2] + br[3], at: tc.GenTime, tsa: tc.TSA})
		}
	}
	return out
}

// proofFor returns the earliest trusted document timestamp that covers the
// revision ending at end.
func proofFor(poe []proof, end int64) (proof, bool) {
	var best proof
	found := false
	for _, p := range poe {
		if p.end >= end && (!found || p.at.Before(best.at)) {
			best, found = p, true
		}
	}
	return best, found
}

// verifyDocTimestamp verifies a document timestamp as a timestamp.
func (j *sigJob) verifyDocTimestamp() {
	token := j.v.contents
	tc := j.t.checkTimestampToken(token, signedBytes(j.in, j.br))
	part, label := j.part, j.label
	j.part.Claims = map[string]any{"sub_filter": j.sub, "byte_range": j.br, "document_timestamp": true}
	if tc.TSA != "" {
		part.Summary = append(part.Summary, verify.Field{Label: "TSA", Value: tc.TSA})
	}
	if !tc.GenTime.IsZero() {
		part.Summary = append(part.Summary, verify.Field{Label: "Stamped at", Value: rfc3339(tc.GenTime)})
		j.part.Claims.(map[string]any)["gen_time"] = tc.GenTime
	}
	switch {
	case tc.Stage <= stageSignature:
		part.Add(verify.CheckSignature, verify.Fail, "%s is a document timestamp whose token does not verify: %s", label, tc.Why)
		return
	case tc.Stage == stageImprint:
		part.Add(verify.CheckIntegrity, verify.Fail, "%s is a document timestamp over bytes that changed: %s", label, tc.Why)
		part.Add(verify.CheckSignature, verify.Pass, "the timestamp token by TSA %q verifies", tc.TSA)
		return
	}
	part.Add(verify.CheckIntegrity, verify.Pass, "%s is a document timestamp that %s; its message imprint matches", label, j.covered)
	part.Add(verify.CheckSignature, verify.Pass, "the timestamp token by TSA %q verifies (RFC 3161, %s)", tc.TSA, j.sub)
	if tc.Stage == stageTSA {
		// Like a signature's own token: an untrusted document timestamp
		// proves nothing, and takes nothing from the signatures.
		part.Add(CheckTimestamp, verify.Skip, "document timestamp at %s is not trusted: %s", rfc3339(tc.GenTime), tc.Why)
		part.Add(verify.CheckIssuerTrusted, verify.Skip, "a document timestamp by a TSA no list names for tsa proves nothing; the document rests on its signatures")
		part.Warn("document timestamp at %s is not trusted (%s): it is no proof of existence", rfc3339(tc.GenTime), tc.Why)
		return
	}
	part.Add(CheckTimestamp, verify.Pass, "document timestamp at %s by TSA %q: %s; it proves the revision it covers existed then", rfc3339(tc.GenTime), tc.TSA, tc.How)
	j.env.IssuerChecks(part, *tc.Match, verify.SigningTime{Time: tc.GenTime, Trusted: true, Source: fmt.Sprintf("document timestamp by TSA %q", tc.TSA)})
}
