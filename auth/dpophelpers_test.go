package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const testOrigin = "https://api.example.com"

// fakeReplay is a map-based ReplayCache for tests: the real ones are
// tested in their own files.
type fakeReplay struct {
	mu   sync.Mutex
	seen map[string]time.Time
	err  error // returned by Remember when set
}

func newFakeReplay() *fakeReplay { return &fakeReplay{seen: map[string]time.Time{}} }

func (c *fakeReplay) Remember(_ context.Context, key string, exp time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return false, c.err
	}
	if old, ok := c.seen[key]; ok && time.Now().Before(old) {
		return false, nil
	}
	c.seen[key] = exp
	return true, nil
}

func (c *fakeReplay) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// alwaysFresh is a ReplayCache that never sees a replay, for benchmarks
// that reuse one proof.
type alwaysFresh struct{}

func (alwaysFresh) Remember(context.Context, string, time.Time) (bool, error) { return true, nil }

var errCacheDown = errors.New("replay cache down")

// dpopClient is a client's DPoP key.
type dpopClient struct {
	priv *ecdsa.PrivateKey
	jwk  string // public JWK JSON
	jkt  string // its RFC 7638 thumbprint, computed by jwx
	// jwkPrivate is the JWK with the private key, which no proof may carry.
	jwkPrivate string
}

func newDPoPClient(t testing.TB) *dpopClient {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.Import(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	full, err := jwk.Import(priv)
	if err != nil {
		t.Fatal(err)
	}
	pj, _ := json.Marshal(pub)
	fj, _ := json.Marshal(full)
	return &dpopClient{priv: priv, jwk: string(pj), jkt: base64.RawURLEncoding.EncodeToString(tp), jwkPrivate: string(fj)}
}

// proof signs a DPoP proof with the client's key over raw header and
// claims JSON.
func (c *dpopClient) proof(t testing.TB, header, claims string) string {
	return sign(t, "ES256", c.priv, header, claims)
}

// standardProof is a valid proof for method and path with ath for token.
func (c *dpopClient) standardProof(t testing.TB, method, path, token, nonce string) string {
	claims := `{"jti":"` + randomJTI() + `","htm":"` + method + `","htu":"` + testOrigin + path + `","iat":` + itoa(time.Now().Unix()) +
		`,"ath":"` + athOf(token) + `"`
	if nonce != "" {
		claims += `,"nonce":"` + nonce + `"`
	}
	return c.proof(t, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+c.jwk+`}`, claims+"}")
}

func randomJTI() string {
	var b [12]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func athOf(token string) string {
	s := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// boundToken is a token of the test issuer bound to jkt (or unbound if jkt
// is empty).
func boundToken(t testing.TB, jkt string) string {
	extra := ""
	if jkt != "" {
		extra = `"cnf":{"jkt":"` + jkt + `"}`
	}
	return sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256","typ":"at+jwt"}`, claimsJSON(time.Now(), extra))
}

// testNonce makes a server nonce the documented way: base64url(bucket ||
// HMAC-SHA256(key, domain || bucket)).
func testNonce(key []byte, bucket uint64) string {
	const domain = "apishield dpop nonce v1\x00"
	m := hmac.New(sha256.New, key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], bucket)
	m.Write([]byte(domain))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(b[:]))
}

var nonceKey = []byte("0123456789abcdef0123456789abcdef")

const noncePeriod = time.Minute

func nonceBucket(now time.Time) uint64 { return uint64(now.Unix() / int64(noncePeriod/time.Second)) }

// dpopStack is a middleware with one JWT authenticator configured for DPoP.
type dpopStack struct {
	m     *auth.Middleware
	h     http.Handler
	cache *fakeReplay
	// The last request's record and principal, for tests that send one
	// request at a time; tests sharing a stack in parallel read their own
	// request's check from the X-Test-Check header instead.
	mu      sync.Mutex
	lastRec *record.Record
	lastP   *auth.Principal
}

func newDPoPStack(t testing.TB, mod func(*auth.JWTConfig)) *dpopStack {
	t.Helper()
	s := &dpopStack{cache: newFakeReplay()}
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.DPoP = auth.DPoPConfig{Mode: auth.DPoPAllowed, PublicOrigin: testOrigin, ReplayCache: s.cache}
		if mod != nil {
			mod(c)
		}
	})
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s.m = m
	inner := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		s.mu.Lock()
		s.lastP = p
		s.mu.Unlock()
		w.Write([]byte("ok"))
	}))
	s.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		s.mu.Lock()
		s.lastRec = rec
		s.mu.Unlock()
		inner.ServeHTTP(&checkWriter{ResponseWriter: w, rec: rec}, r)
	})
	return s
}

// checkWriter copies the failed check of the request's auth decision into
// the X-Test-Check response header, so that tests running in parallel on
// one stack can read their own request's check.
type checkWriter struct {
	http.ResponseWriter
	rec *record.Record
}

func (w *checkWriter) WriteHeader(code int) {
	if d := w.rec.Decisions(); len(d) == 1 && d[0].Outcome != record.Allow {
		_, c, _ := cutLast(d[0].Rule)
		w.Header().Set("X-Test-Check", c)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *checkWriter) Write(b []byte) (int, error) { return w.ResponseWriter.Write(b) }

// check is the failed check the last request's decision names ("" if
// it was allowed).
func (s *dpopStack) check() string {
	d := s.lastRec.Decisions()
	if len(d) != 1 || d[0].Outcome == record.Allow {
		return ""
	}
	_, c, _ := cutLast(d[0].Rule)
	return c
}

func cutLast(rule string) (string, string, bool) {
	for i := 0; i < len(rule); i++ {
		if rule[i] == ':' {
			return rule[:i], rule[i+1:], true
		}
	}
	return rule, "", false
}
