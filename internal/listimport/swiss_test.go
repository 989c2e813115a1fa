package listimport_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/hcert"
	"github.com/accord-network/accord/internal/listimport/dcckeys"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// Switzerland's key list restricts keys to DCC types (use t, v, r or a
// combination; sig = all). The real list's restrictions are read into
// Entry.DCCTypes, and a key restricted to v does not verify a test
// certificate. No real DCC in dcc-testdata is signed by a key of the real
// CH list, so one key is added to the real list, under the CH shape, and the
// real ES test and vaccination DCCs are re-signed with it.
func TestSwissKeyRestrictions(t *testing.T) {
	raw := readFixture(t, "dcc-trustlists/trustlist_ch.json")
	var uses map[string][]struct{ Use string }
	if err := json.Unmarshal(raw, &uses); err != nil {
		t.Fatal(err)
	}
	w := dcckeys.Window{NotBefore: dcckeys.DefaultNotBefore, NotAfter: time.Now().Add(24 * time.Hour)}
	src, err := dcckeys.Parse(raw, w)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, it := range src.Items {
		if it.Refused != nil {
			if strings.Contains(it.Refused.Error(), "light certificates") {
				count["refused l"]++
			}
			continue
		}
		count[strings.Join(it.Entry.DCCTypes, "")]++
		if want := uses[it.Ref][0].Use; want == "v" && !slices.Equal(it.Entry.DCCTypes, []string{"v"}) {
			t.Errorf("%s: use v read as %q", it.Ref, it.Entry.DCCTypes)
		}
	}
	t.Logf("real CH list restrictions: %v", count)
	// 552 sig, 33 each of v, t, r, 27 tvr + 4 rtv, 1 tv, 1 l (light only).
	want := map[string]int{"": 552, "v": 33, "t": 33, "r": 33, "tvr": 31, "tv": 1, "refused l": 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%q keys: %d, want %d", k, count[k], n)
		}
	}

	// One key of ours, restricted to v, in the real list.
	dsc, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "CH test DSC", Country: "CH",
		NotBefore: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	kid := base64.StdEncoding.EncodeToString(hcertissue.KID(dsc))
	pt, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	x, y := pt[1:33], pt[33:65]
	var list map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	list[kid], _ = json.Marshal([]map[string]string{{"use": "v", "alg": "ES256", "crv": "P-256",
		"x": base64.StdEncoding.EncodeToString(x), "y": base64.StdEncoding.EncodeToString(y)}})
	withOurs, _ := json.Marshal(list)
	src, err = dcckeys.Parse(withOurs, w)
	if err != nil {
		t.Fatal(err)
	}
	a := trustlisttest.NewAnchor(t, "CH")
	a.SignList(t, time.Time{}, 24*time.Hour, relay(t, src, "CH")...)
	set := trustlisttest.Set(t, a)

	for _, c := range []struct {
		file string
		want verify.Status
	}{
		{"dcc-testdata/ES/2DCode/raw/203.json", verify.Pass}, // vaccination
		{"dcc-testdata/ES/2DCode/raw/202.json", verify.Fail}, // test
		{"dcc-testdata/ES/2DCode/raw/201.json", verify.Fail}, // recovery
	} {
		var tc struct{ JSON json.RawMessage }
		if err := json.Unmarshal(readFixture(t, c.file), &tc); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		hc1, err := hcertissue.Issue(tc.JSON, hcertissue.IssueOptions{Signer: key, Cert: dsc, Issuer: "CH", IssuedAt: now.Add(-time.Hour), Expires: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := hcert.Format{}.Verify(context.Background(), []byte(hc1), &verify.Env{Trust: set, At: now})
		if err != nil {
			t.Fatal(err)
		}
		if sig := r.Check(verify.CheckSignature); sig == nil || sig.Status != verify.Pass {
			t.Fatalf("%s: signature %+v", c.file, sig)
		}
		ku := r.Check(verify.CheckKeyUsage)
		if ku == nil || ku.Status != c.want {
			t.Fatalf("%s: key_usage %+v; want %s", c.file, ku, c.want)
		}
		t.Logf("%s: %s: %s", c.file, ku.Status, ku.Detail)
	}
}

// A use the list does not define is refused by name, the rest goes on.
func TestSwissUnknownUse(t *testing.T) {
	src, err := dcckeys.Parse([]byte(`{"AAAAAAAAAAA=":[{"use":"x","crv":"P-256","x":"AA==","y":"AA=="}]}`), dcckeys.Window{NotAfter: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if it := src.Items[0]; it.Refused == nil || !strings.Contains(it.Refused.Error(), `use "x"`) {
		t.Fatalf("use x: %v", it.Refused)
	}
}
