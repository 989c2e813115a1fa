package vc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"math/big"
)

// The did:web documents of TradeTrust's test issuers are online only. To
// list such an issuer's key offline, tests recover it from the issuer's own
// base signatures: ECDSA public key recovery (SEC 1 §4.1.6) gives up to two
// candidate keys per signature, and two signatures over different
// credentials have a key in common only if both messages were computed
// byte for byte as the issuer computed them, so the common key is the
// issuer's and our canonicalization agrees with theirs.

// p256 is the curve's parameters, for affine arithmetic in tests only.
var p256 = elliptic.P256().Params()

type pt struct{ x, y *big.Int } // nil x: the point at infinity

func (a pt) add(b pt) pt {
	p := p256.P
	switch {
	case a.x == nil:
		return b
	case b.x == nil:
		return a
	}
	var l *big.Int
	if a.x.Cmp(b.x) == 0 {
		if new(big.Int).Add(a.y, b.y).Mod(new(big.Int).Add(a.y, b.y), p).Sign() == 0 {
			return pt{}
		}
		// l = (3x² - 3) / 2y
		num := new(big.Int).Mul(a.x, a.x)
		num.Mul(num, big.NewInt(3)).Sub(num, big.NewInt(3))
		den := new(big.Int).Lsh(a.y, 1)
		l = num.Mul(num, den.ModInverse(den.Mod(den, p), p))
	} else {
		num := new(big.Int).Sub(b.y, a.y)
		den := new(big.Int).Sub(b.x, a.x)
		l = num.Mul(num, den.ModInverse(den.Mod(den, p), p))
	}
	l.Mod(l, p)
	x := new(big.Int).Mul(l, l)
	x.Sub(x, a.x).Sub(x, b.x).Mod(x, p)
	y := new(big.Int).Sub(a.x, x)
	y.Mul(y, l).Sub(y, a.y).Mod(y, p)
	return pt{x, y}
}

func (a pt) mul(k *big.Int) pt {
	var r pt
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = r.add(r)
		if k.Bit(i) == 1 {
			r = r.add(a)
		}
	}
	return r
}

// recoverP256 returns the public keys for which sig (r‖s) is a valid
// signature over SHA-256(msg).
func recoverP256(msg, sig []byte) []*ecdsa.PublicKey {
	n, p := p256.N, p256.P
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	h := sha256.Sum256(msg)
	e := new(big.Int).SetBytes(h[:])
	// y² = x³ - 3x + b
	y2 := new(big.Int).Exp(r, big.NewInt(3), p)
	y2.Sub(y2, new(big.Int).Mul(r, big.NewInt(3))).Add(y2, p256.B).Mod(y2, p)
	y := new(big.Int).ModSqrt(y2, p)
	if y == nil {
		return nil
	}
	rinv := new(big.Int).ModInverse(r, n)
	g := pt{p256.Gx, p256.Gy}
	var out []*ecdsa.PublicKey
	for _, yy := range []*big.Int{y, new(big.Int).Sub(p, y)} {
		R := pt{r, yy}
		// Q = r⁻¹ (sR - eG)
		negE := new(big.Int).Neg(e)
		negE.Mod(negE, n)
		q := R.mul(s).add(g.mul(negE)).mul(rinv)
		if q.x == nil {
			continue
		}
		raw := make([]byte, 65)
		raw[0] = 4
		q.x.FillBytes(raw[1:33])
		q.y.FillBytes(raw[33:])
		if k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw); err == nil && verifyP256(k, msg, sig) {
			out = append(out, k)
		}
	}
	return out
}
