package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ProtonMail/go-crypto/brainpool"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// namedCurve is a short-Weierstrass prime curve y² = x³ + ax + b over GF(p)
// that this package verifies signatures on.
type namedCurve struct {
	name               string
	oid                asn1.ObjectIdentifier
	curve              func() elliptic.Curve
	p, a, b, gx, gy, n *big.Int
}

func hexInt(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("pki: bad curve constant " + s)
	}
	return v
}

// curves lists the NIST curves crypto/ecdsa implements natively and the
// brainpool r1 curves of RFC 5639 (German and other government PKIs). The
// brainpool curves have a ≠ −3, so crypto/elliptic's generic CurveParams
// arithmetic (which assumes a = −3) must not be used on them; the
// implementation used here (ProtonMail/go-crypto/brainpool) maps each point to
// the isomorphic twisted curve t1, which has a = −3, and back. The table is
// built on first use (its big.Int parameters are not needed at process
// start).
var curves = sync.OnceValue(buildCurves)

func buildCurves() []*namedCurve {
	nist := func(name string, oid asn1.ObjectIdentifier, c elliptic.Curve) *namedCurve {
		p := c.Params()
		return &namedCurve{name: name, oid: oid, curve: func() elliptic.Curve { return c },
			p: p.P, a: new(big.Int).Sub(p.P, big.NewInt(3)), b: p.B, gx: p.Gx, gy: p.Gy, n: p.N}
	}
	return []*namedCurve{
		nist("P-256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256()),
		nist("P-384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384()),
		nist("P-521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521()),
		{name: "brainpoolP256r1", oid: asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, curve: brainpool.P256r1,
			p:  hexInt("a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377"),
			a:  hexInt("7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9"),
			b:  hexInt("26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6"),
			gx: hexInt("8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262"),
			gy: hexInt("547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997"),
			n:  hexInt("a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7")},
		{name: "brainpoolP384r1", oid: asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, curve: brainpool.P384r1,
			p:  hexInt("8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53"),
			a:  hexInt("7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826"),
			b:  hexInt("04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11"),
			gx: hexInt("1d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e"),
			gy: hexInt("8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315"),
			n:  hexInt("8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565")},
		{name: "brainpoolP512r1", oid: asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, curve: brainpool.P512r1,
			p:  hexInt("aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3"),
			a:  hexInt("7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94ca"),
			b:  hexInt("3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723"),
			gx: hexInt("81aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d0098eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f822"),
			gy: hexInt("7dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad80892"),
			n:  hexInt("aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069")},
	}
}

// CurveName returns the name of a public key's curve as this package knows it
// ("P-256", "brainpoolP256r1", …), or "" for a curve it does not know.
func CurveName(c elliptic.Curve) string {
	for _, nc := range curves() {
		if nc.curve() == c {
			return nc.name
		}
	}
	return ""
}

func curveByOID(oid asn1.ObjectIdentifier) *namedCurve {
	for _, nc := range curves() {
		if nc.oid.Equal(oid) {
			return nc
		}
	}
	return nil
}

var (
	oidPrimeField = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	errCurve      = errors.New("unsupported elliptic curve")
)

// curveFromExplicit matches SEC 1 explicit ECParameters against the known
// curves. Explicit parameters are accepted only when p, a, b, the base point
// and the order all equal a named curve's: arbitrary curves are refused, since
// a verifier cannot check that a curve an attacker chose is safe.
func curveFromExplicit(der []byte) (*namedCurve, error) {
	s := cryptobyte.String(der)
	var params, fieldID, curve cryptobyte.String
	var version int64
	var fieldType asn1.ObjectIdentifier
	p, n := new(big.Int), new(big.Int)
	var a, b, base []byte
	if !s.ReadASN1(&params, cbasn1.SEQUENCE) || !s.Empty() ||
		!params.ReadASN1Integer(&version) || version < 1 || version > 3 ||
		!params.ReadASN1(&fieldID, cbasn1.SEQUENCE) ||
		!fieldID.ReadASN1ObjectIdentifier(&fieldType) || !fieldType.Equal(oidPrimeField) ||
		!fieldID.ReadASN1Integer(p) ||
		!params.ReadASN1(&curve, cbasn1.SEQUENCE) ||
		!curve.ReadASN1Bytes(&a, cbasn1.OCTET_STRING) || !curve.ReadASN1Bytes(&b, cbasn1.OCTET_STRING) ||
		!params.ReadASN1Bytes(&base, cbasn1.OCTET_STRING) ||
		!params.ReadASN1Integer(n) {
		return nil, errors.New("malformed explicit EC parameters")
	}
	ai, bi := new(big.Int).SetBytes(a), new(big.Int).SetBytes(b)
	for _, nc := range curves() {
		if nc.p.Cmp(p) != 0 || nc.a.Cmp(ai) != 0 || nc.b.Cmp(bi) != 0 || nc.n.Cmp(n) != 0 {
			continue
		}
		gx, gy, err := nc.decodePoint(base)
		if err != nil || gx.Cmp(nc.gx) != 0 || gy.Cmp(nc.gy) != 0 {
			return nil, fmt.Errorf("explicit EC parameters name %s's field and order but another base point", nc.name)
		}
		return nc, nil
	}
	return nil, fmt.Errorf("%w: explicit EC parameters (%d-bit prime) equal no named curve", errCurve, p.BitLen())
}

func (nc *namedCurve) byteLen() int { return (nc.p.BitLen() + 7) / 8 }

// onCurve reports whether (x, y) is a point of the curve (not the identity).
func (nc *namedCurve) onCurve(x, y *big.Int) bool {
	if x.Sign() < 0 || x.Cmp(nc.p) >= 0 || y.Sign() < 0 || y.Cmp(nc.p) >= 0 {
		return false
	}
	return new(big.Int).Exp(y, big.NewInt(2), nc.p).Cmp(nc.rhs(x)) == 0
}

// rhs returns x³ + ax + b mod p.
func (nc *namedCurve) rhs(x *big.Int) *big.Int {
	r := new(big.Int).Exp(x, big.NewInt(3), nc.p)
	r.Add(r, new(big.Int).Mul(nc.a, x))
	r.Add(r, nc.b)
	return r.Mod(r, nc.p)
}

// decodePoint reads a SEC 1 uncompressed (04‖X‖Y) or compressed (02/03‖X)
// point and checks that it lies on the curve.
func (nc *namedCurve) decodePoint(b []byte) (x, y *big.Int, err error) {
	l := nc.byteLen()
	switch {
	case len(b) == 1+2*l && b[0] == 4:
		x, y = new(big.Int).SetBytes(b[1:1+l]), new(big.Int).SetBytes(b[1+l:])
	case len(b) == 1+l && (b[0] == 2 || b[0] == 3):
		x = new(big.Int).SetBytes(b[1:])
		if x.Cmp(nc.p) >= 0 {
			return nil, nil, errors.New("compressed point: x out of range")
		}
		y = new(big.Int).ModSqrt(nc.rhs(x), nc.p)
		if y == nil {
			return nil, nil, errors.New("compressed point is not on the curve")
		}
		if y.Bit(0) != uint(b[0]&1) {
			y.Sub(nc.p, y)
		}
	default:
		return nil, nil, fmt.Errorf("EC point of %d bytes is not a %s point", len(b), nc.name)
	}
	if !nc.onCurve(x, y) {
		return nil, nil, fmt.Errorf("EC point is not on %s", nc.name)
	}
	return x, y, nil
}

// publicKey makes the *ecdsa.PublicKey for an encoded point. NIST keys go
// through crypto/ecdsa's own parser; brainpool keys are built by hand, which
// crypto/ecdsa verifies with its generic code path for other curves.
func (nc *namedCurve) publicKey(point []byte) (*ecdsa.PublicKey, error) {
	if c := nc.curve(); (c == elliptic.P256() || c == elliptic.P384() || c == elliptic.P521()) && len(point) == 1+2*nc.byteLen() && point[0] == 4 {
		// An uncompressed NIST point: crypto/ecdsa checks its range and
		// that it lies on the curve, in constant-time field arithmetic
		// much faster than decodePoint's big integers.
		k, err := ecdsa.ParseUncompressedPublicKey(c, point)
		if err != nil {
			return nil, fmt.Errorf("EC point is not on %s: %w", nc.name, err)
		}
		return k, nil
	}
	x, y, err := nc.decodePoint(point)
	if err != nil {
		return nil, err
	}
	c := nc.curve()
	switch c {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
		l := nc.byteLen()
		raw := make([]byte, 1+2*l)
		raw[0] = 4
		x.FillBytes(raw[1 : 1+l])
		y.FillBytes(raw[1+l:])
		return ecdsa.ParseUncompressedPublicKey(c, raw)
	}
	//lint:ignore SA1019 crypto/ecdsa has no constructor for curves it does not implement; the point was checked above.
	return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
}
