package p2p

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// FuzzSyncDecode feeds arbitrary bytes to everything that parses data from a
// sync peer: frame reading, requests, heads, the list peek used to order
// batches, and the cheap checks run before any signature (peekObject,
// signatureCount). None may panic, hang or allocate beyond the frame limit.
func FuzzSyncDecode(f *testing.F) {
	a := trustlisttest.NewAnchor(f, "NL")
	l := a.SignList(f, time.Time{}, time.Hour, entry(f, "DSC"))
	heads, _ := syncEnc.Marshal(&syncHeads{Anchors: []headInfo{{Country: "NL", Version: 1, Seq: 1, Hash: l.Hash(), Low: 1, Lists: 1}}, Endorsements: 2})
	req, _ := syncEnc.Marshal(syncRequest{Op: opLists, Country: "NL", From: 1, To: 5})
	for _, seed := range [][]byte{heads, req, l.Raw(), a.Descriptor.Raw(), {0}, {0xff, 0xff, 0xff, 0xff, 0x0f}} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		_ = writeFrame(w, seed)
		_ = writeFrame(w, nil)
		_ = w.Flush()
		f.Add(buf.Bytes())
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		for i := 0; i < 8; i++ {
			fr, err := readFrame(r, 1<<16)
			if err != nil || fr == nil {
				break
			}
			if len(fr) > 1<<16 {
				t.Fatalf("frame of %d bytes passed a %d limit", len(fr), 1<<16)
			}
		}
		var h syncHeads
		_ = syncDec.Unmarshal(b, &h)
		var q syncRequest
		_ = syncDec.Unmarshal(b, &q)
		peekListFields(b)
		seqOf(b)
		peekObject(b)
		if c := signatureCount(b); c < 1 || c > 32 {
			t.Fatalf("signature count %d outside 1..32", c)
		}
	})
}
