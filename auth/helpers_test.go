package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	testIssuer   = "https://issuer.example"
	testAudience = "https://api.example"
)

var algs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// keyring holds the test keys. Generating RSA keys is slow, so one ring is
// shared by every test in the binary; tests only read it.
type keyring struct {
	rsa      *rsa.PrivateKey
	rsa2     *rsa.PrivateKey
	ec256    *ecdsa.PrivateKey
	ec384    *ecdsa.PrivateKey
	ec521    *ecdsa.PrivateKey
	ed       ed25519.PrivateKey
	attacker *ecdsa.PrivateKey
	weakRSA  *rsa.PrivateKey
}

var (
	ringOnce sync.Once
	ring     *keyring
)

func keys(t testing.TB) *keyring {
	t.Helper()
	ringOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		r := &keyring{}
		var err error
		r.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		r.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		r.weakRSA, err = rsa.GenerateKey(rand.Reader, 1024)
		must(err)
		r.ec256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		r.ec384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		r.ec521, _ = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		_, r.ed, _ = ed25519.GenerateKey(rand.Reader)
		r.attacker, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ring = r
	})
	return ring
}

// private returns the trusted private key for alg.
func (r *keyring) private(alg string) crypto.Signer {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return r.rsa
	case alg == "ES256":
		return r.ec256
	case alg == "ES384":
		return r.ec384
	case alg == "ES512":
		return r.ec521
	case alg == "EdDSA":
		return r.ed
	}
	panic("no key for " + alg)
}

// jwkJSON renders pub as a JWK with kid and, if not empty, alg.
func jwkJSON(t testing.TB, pub any, kid, alg string) json.RawMessage {
	t.Helper()
	k, err := jwk.Import(pub)
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		if err := k.Set(jwk.KeyIDKey, kid); err != nil {
			t.Fatal(err)
		}
	}
	if alg != "" {
		if err := k.Set(jwk.AlgorithmKey, alg); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jwksJSON(keys ...json.RawMessage) []byte {
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

// standardSet is the key set of most tests: one key per algorithm with
// kid and alg equal to the algorithm name, and two keys without alg.
func standardSet(t testing.TB) []byte {
	r := keys(t)
	var ks []json.RawMessage
	for _, a := range algs {
		ks = append(ks, jwkJSON(t, r.private(a).Public(), a, a))
	}
	ks = append(ks, jwkJSON(t, r.rsa2.Public(), "rsa-any", ""))
	ks = append(ks, jwkJSON(t, r.ec256.Public(), "ec-any", ""))
	return jwksJSON(ks...)
}

// sign makes a compact JWS over the raw header and claims JSON with priv.
func sign(t testing.TB, alg string, priv crypto.Signer, header, claims string) string {
	t.Helper()
	input := b64(header) + "." + b64(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(rawSign(t, alg, priv, []byte(input)))
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func rawSign(t testing.TB, alg string, priv crypto.Signer, input []byte) []byte {
	t.Helper()
	var h crypto.Hash
	switch alg[2:] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	}
	if alg == "EdDSA" {
		return ed25519.Sign(priv.(ed25519.PrivateKey), input)
	}
	d := digest(h, input)
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		var sig []byte
		var err error
		if alg[0] == 'P' {
			sig, err = rsa.SignPSS(rand.Reader, k, h, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, h, d)
		}
		if err != nil {
			t.Fatal(err)
		}
		return sig
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, d)
		if err != nil {
			t.Fatal(err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	}
	t.Fatalf("cannot sign %s with %T", alg, priv)
	return nil
}

func digest(h crypto.Hash, in []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(in)
		return s[:]
	case crypto.SHA384:
		s := sha512.Sum384(in)
		return s[:]
	}
	s := sha512.Sum512(in)
	return s[:]
}

// claimsJSON is a valid claim set for the test issuer, valid for an hour.
func claimsJSON(now time.Time, extra string) string {
	c := `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","sub":"alice","client_id":"app",` +
		`"iat":` + itoa(now.Unix()) + `,"exp":` + itoa(now.Add(time.Hour).Unix()) + `,"jti":"j1","scope":"items:read items:write"`
	if extra != "" {
		c += "," + extra
	}
	return c + "}"
}

func itoa(n int64) string { return jsonNum(n) }

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

// validToken signs the standard claims with the key for alg.
func validToken(t testing.TB, alg string, now time.Time) string {
	return sign(t, alg, keys(t).private(alg), `{"alg":"`+alg+`","kid":"`+alg+`","typ":"at+jwt"}`, claimsJSON(now, ""))
}

// jwksServer serves a swappable key set document and counts fetches.
type jwksServer struct {
	body    atomic.Pointer[[]byte]
	handler atomic.Pointer[http.HandlerFunc]
	fetches atomic.Int64
}

func newJWKSServer(body []byte) *jwksServer {
	s := &jwksServer{}
	s.set(body)
	return s
}

func (s *jwksServer) set(body []byte) { s.body.Store(&body) }

// override replaces the normal answer (nil restores it).
func (s *jwksServer) override(h http.HandlerFunc) {
	if h == nil {
		s.handler.Store(nil)
		return
	}
	s.handler.Store(&h)
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	if h := s.handler.Load(); h != nil {
		(*h)(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(*s.body.Load())
}

// serve starts a real loopback HTTP server for h.
func serve(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// inMemoryClient answers requests from h without a network, so tests in a
// synctest bubble (where only durably blocked goroutines let time move)
// can fetch key sets.
func inMemoryClient(h http.Handler) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if err := req.Context().Err(); err != nil {
			return nil, err // the fetch timed out while the handler stalled
		}
		return rec.Result(), nil
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newVerifier builds a JWT verifier against a real loopback key set server.
func newVerifier(t testing.TB, srv *jwksServer, mod func(*auth.JWTConfig)) *auth.JWT {
	t.Helper()
	cfg := auth.JWTConfig{
		Issuer:   testIssuer,
		Audience: []string{testAudience},
		JWKSURL:  serve(t, srv) + "/jwks",
		Logger:   discardLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	j, err := auth.NewJWT(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func cryptoRandRead(p []byte) (int, error) { return rand.Read(p) }

func hashOf(alg string) crypto.Hash {
	switch alg[len(alg)-3:] {
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	return crypto.SHA256
}

func encodeDER(r, s *big.Int) []byte {
	b, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		panic(err)
	}
	return b
}
