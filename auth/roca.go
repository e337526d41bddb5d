package auth

import (
	"encoding/binary"
	"math/big"
	"math/bits"
	"sync"
)

// ROCA (CVE-2017-15361, Nemec et al., "The Return of Coppersmith's Attack",
// CCS 2017): Infineon's RSALib made each prime as k·M + (65537^a mod M),
// M a primorial, and such a modulus can be factored from the public key
// alone. Its fingerprint is cheap to test: since p ≡ 65537^a and q ≡ 65537^b
// (mod M), N ≡ 65537^(a+b) for every prime r dividing M, so N mod r lies in
// the subgroup 65537 generates in (Z/rZ)*, and the discrete logarithms of
// the residues agree with one exponent a+b. Every RSALib key size has all
// primes up to 167 in M.
//
// Membership alone passes a random modulus with probability about 2^-28
// (a real identity provider's key dropped once in some 250 million keys);
// requiring the logarithms to agree brings that to about 2^-155, the
// detector's published rate, for 703 comparisons of small numbers.

// rocaPrimes are the odd primes up to 167. (Every modulus is odd, so 2
// tells nothing.)
var rocaPrimes = [...]uint64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
	73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

const nROCA = len(rocaPrimes)

// rocaTables are the subgroups 65537 generates modulo each prime.
type rocaTables struct {
	product *big.Int          // the product of rocaPrimes, under 2^256
	dlog    [nROCA][168]int16 // dlog[i][x] = k with 65537^k ≡ x (mod rocaPrimes[i]), or -1
	order   [nROCA]int16      // the order of 65537 modulo rocaPrimes[i]
	gcd     [nROCA][nROCA]int16
}

// rocaTab builds the tables once, on the first key set with an RSA key.
var rocaTab = sync.OnceValue(func() *rocaTables {
	t := &rocaTables{product: big.NewInt(1)}
	for i, p := range rocaPrimes {
		for x := range t.dlog[i] {
			t.dlog[i][x] = -1
		}
		g, x := 65537%p, uint64(1)
		for k := int16(0); ; k++ {
			t.dlog[i][x] = k
			if x = x * g % p; x == 1 {
				t.order[i] = k + 1
				break
			}
		}
		t.product.Mul(t.product, new(big.Int).SetUint64(p))
	}
	for i := range t.order {
		for j := range t.order {
			a, b := t.order[i], t.order[j]
			for b != 0 {
				a, b = b, a%b
			}
			t.gcd[i][j] = a
		}
	}
	return t
})

// hasROCAFingerprint reports whether the RSA modulus n has the structure
// of an RSALib key (CVE-2017-15361), whose private key can be computed
// from n. It costs one big-number reduction and a few hundred small
// operations, once per key per key set fetch.
func hasROCAFingerprint(n *big.Int) bool {
	if n.Sign() <= 0 {
		return false
	}
	t := rocaTab()
	var r [32]byte // n mod the product, which is under 2^256
	new(big.Int).Mod(n, t.product).FillBytes(r[:])
	var logs [nROCA]int16
	for i, p := range rocaPrimes {
		var rem uint64
		for j := 0; j < len(r); j += 8 {
			rem = bits.Rem64(rem, binary.BigEndian.Uint64(r[j:]), p)
		}
		if logs[i] = t.dlog[i][rem]; logs[i] < 0 {
			return false // N mod p is outside the subgroup: not RSALib's
		}
	}
	// N ≡ 65537^c (mod M) for one c exactly when the logarithms agree
	// pairwise modulo the gcd of their orders (the Chinese remainder
	// theorem for moduli that are not coprime).
	for i := range logs {
		for j := i + 1; j < nROCA; j++ {
			if g := t.gcd[i][j]; logs[i]%g != logs[j]%g {
				return false
			}
		}
	}
	return true
}
