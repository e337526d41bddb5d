package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"os"
	"testing"
)

// TestROCAVectors: the published moduli of the ROCA paper's detector are
// flagged as its tests expect (testdata/roca.json records where they come
// from): vulnerable keys of 512 to 4096 bits are, ordinary keys and
// one-digit mutations are not, and neither are moduli made to pass the
// subgroup test alone.
func TestROCAVectors(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/roca.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Source, Commit string
		Vectors        []struct {
			File        string
			N           string
			Fingerprint bool
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Source == "" || len(doc.Commit) != 40 || len(doc.Vectors) < 10 {
		t.Fatalf("testdata/roca.json lacks its source, commit or vectors")
	}
	positives := 0
	for _, v := range doc.Vectors {
		t.Run(v.File, func(t *testing.T) {
			n, ok := new(big.Int).SetString(v.N, 0)
			if !ok {
				t.Fatalf("%q is not a number", v.N)
			}
			if got := hasROCAFingerprint(n); got != v.Fingerprint {
				t.Errorf("got hasROCAFingerprint = %v, want %v (%d-bit modulus)", got, v.Fingerprint, n.BitLen())
			}
		})
		if v.Fingerprint {
			positives++
		}
	}
	if positives == 0 {
		t.Error("no vulnerable modulus among the vectors")
	}
}

// TestROCATables: the subgroup tables are what the detector's argument
// needs: each order is the least k with 65537^k ≡ 1, and dlog inverts
// exponentiation; and the false-positive rate they give a random modulus,
// lcm(orders) / ∏(p-1), is the published 2^-154 or better.
func TestROCATables(t *testing.T) {
	t.Parallel()
	tab := rocaTab()
	g := big.NewInt(65537)
	lcm, all := big.NewInt(1), big.NewInt(1)
	for i, p := range rocaPrimes {
		bp := new(big.Int).SetUint64(p)
		ord := int64(tab.order[i])
		if (int64(p)-1)%ord != 0 || new(big.Int).Exp(g, big.NewInt(ord), bp).Int64() != 1 {
			t.Fatalf("mod %d: order %d does not divide %d or is not an order", p, ord, p-1)
		}
		members := 0
		for x := range tab.dlog[i] {
			k := tab.dlog[i][x]
			if k < 0 {
				continue
			}
			members++
			if got := new(big.Int).Exp(g, big.NewInt(int64(k)), bp).Int64(); got != int64(x) {
				t.Fatalf("mod %d: 65537^%d = %d, table says %d", p, k, got, x)
			}
		}
		if int64(members) != ord {
			t.Fatalf("mod %d: %d subgroup members, order %d", p, members, ord)
		}
		gcd := new(big.Int).GCD(nil, nil, lcm, big.NewInt(ord))
		lcm.Mul(lcm, big.NewInt(ord)).Div(lcm, gcd)
		all.Mul(all, new(big.Int).SetUint64(p-1))
	}
	// all / lcm ≥ 2^154: a random modulus is flagged with probability ≤ 2^-154.
	if ratio := new(big.Int).Div(all, lcm); ratio.BitLen() <= 154 {
		t.Errorf("false-positive rate 1/%v is worse than 2^-154", ratio)
	}
}

// TestROCANoFalsePositives: ordinary moduli are never flagged. The test
// sees only the modulus's residues modulo primes up to 167, which are
// uniform whatever its size, so besides a few keys from crypto/rsa it
// checks many products of two random 128-bit primes, which are quick to
// make.
func TestROCANoFalsePositives(t *testing.T) {
	t.Parallel()
	for i := range 4 {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		if hasROCAFingerprint(k.N) {
			t.Fatalf("crypto/rsa key %d flagged", i)
		}
	}
	for i := range 500 {
		p, err := rand.Prime(rand.Reader, 128)
		if err != nil {
			t.Fatal(err)
		}
		q, err := rand.Prime(rand.Reader, 128)
		if err != nil {
			t.Fatal(err)
		}
		if n := new(big.Int).Mul(p, q); hasROCAFingerprint(n) {
			t.Fatalf("product %d of random primes flagged: %x", i, n)
		}
	}
}

// BenchmarkROCAFingerprint is the check's cost per RSA key per key set
// fetch, on a 2048-bit modulus.
func BenchmarkROCAFingerprint(b *testing.B) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	rocaTab()
	b.ReportAllocs()
	for b.Loop() {
		if hasROCAFingerprint(k.N) {
			b.Fatal("flagged")
		}
	}
}
