package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// oneTimeToken signs the standard claims for the test issuer with jti
// (none if empty) and the given lifetime.
func oneTimeToken(t testing.TB, jti string, now time.Time, life time.Duration) string {
	t.Helper()
	c := `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","sub":"alice","client_id":"app",` +
		`"iat":` + itoa(now.Unix()) + `,"exp":` + itoa(now.Add(life).Unix())
	if jti != "" {
		c += `,"jti":"` + jti + `"`
	}
	return sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`, c+"}")
}

// recordingCache is a ReplayCache that records what it is asked and answers
// from a map, or with err.
type recordingCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
	keys []string
	err  error
}

func (c *recordingCache) Remember(_ context.Context, key string, exp time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, key)
	if c.err != nil {
		return false, c.err
	}
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	if _, ok := c.seen[key]; ok {
		return false, nil
	}
	c.seen[key] = exp
	return true, nil
}

func wantCheck(t *testing.T, what string, err error, sentinel error, check string) {
	t.Helper()
	if !errors.Is(err, sentinel) || auth.CheckOf(err) != check {
		t.Errorf("%s: %v, want %v with check %q", what, err, sentinel, check)
	}
}

func TestOneTimeTokens(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(standardSet(t))
	now := time.Now()
	for _, cacheSize := range []int{0, -1} { // with and without the verified-token cache
		shared := must(auth.NewMemoryReplayCache(auth.MemoryReplayConfig{}))
		j1 := newVerifier(t, srv, func(c *auth.JWTConfig) { c.OneTime = shared; c.CacheSize = cacheSize })
		j2 := newVerifier(t, srv, func(c *auth.JWTConfig) { c.OneTime = shared; c.CacheSize = cacheSize })
		ctx := context.Background()
		tok := oneTimeToken(t, "once-1", now, time.Hour)
		if _, err := j1.Verify(ctx, tok); err != nil {
			t.Fatalf("cache %d: first use: %v", cacheSize, err)
		}
		_, err := j1.Verify(ctx, tok)
		wantCheck(t, "second use, same verifier", err, auth.ErrInvalidToken, "token_replayed")
		_, err = j2.Verify(ctx, tok)
		wantCheck(t, "second use, another verifier sharing the cache", err, auth.ErrInvalidToken, "token_replayed")
		if _, err := j2.Verify(ctx, oneTimeToken(t, "once-2", now, time.Hour)); err != nil {
			t.Errorf("cache %d: another jti: %v", cacheSize, err)
		}
		_, err = j1.Verify(ctx, oneTimeToken(t, "", now, time.Hour))
		wantCheck(t, "no jti", err, auth.ErrInvalidToken, "jti_missing")
		_, err = j1.Verify(ctx, sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
			`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":`+itoa(now.Add(time.Hour).Unix())+`,"jti":7}`))
		wantCheck(t, "a numeric jti", err, auth.ErrInvalidToken, "claim_not_string") // refused by every verifier, OneTime or not
	}
	// Without OneTime a token is reusable.
	j := newVerifier(t, srv, nil)
	tok := oneTimeToken(t, "many", now, time.Hour)
	for range 3 {
		if _, err := j.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOneTimeTwinSignature: anyone who saw an ES256 token can make a
// second, different token from it by replacing s with n−s, which verifies
// too. It misses the verified-token cache (another byte string) but names
// the same issuer and jti, so it is refused as a replay.
func TestOneTimeTwinSignature(t *testing.T) {
	t.Parallel()
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.OneTime = must(auth.NewMemoryReplayCache(auth.MemoryReplayConfig{}))
	})
	tok := oneTimeToken(t, "twin", time.Now(), time.Hour)
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil {
		t.Fatal(err)
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(keys(t).ec256.Curve.Params().N, s)
	s.FillBytes(sig[32:])
	twin := tok[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
	if twin == tok {
		t.Fatal("the twin is the token")
	}
	if _, err := j.Verify(context.Background(), twin); err != nil {
		t.Fatalf("the twin does not verify on its own, so the test proves nothing: %v", err)
	}
	_, err = j.Verify(context.Background(), tok)
	wantCheck(t, "the original after its twin", err, auth.ErrInvalidToken, "token_replayed")
}

// TestOneTimeSpendsOnlyValidTokens: a token refused for another reason
// (forged, expired, not yet valid) does not spend its jti, and the
// remembered expiry is the token's exp plus the leeway.
func TestOneTimeSpendsOnlyValidTokens(t *testing.T) {
	t.Parallel()
	rc := &recordingCache{}
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) { c.OneTime = rc; c.Leeway = 10 * time.Second })
	ctx := context.Background()
	now := time.Now()
	forged := sign(t, "ES256", keys(t).attacker, `{"alg":"ES256","kid":"ES256"}`,
		`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":`+itoa(now.Add(time.Hour).Unix())+`,"jti":"victim"}`)
	_, err := j.Verify(ctx, forged)
	wantCheck(t, "forged", err, auth.ErrInvalidToken, "bad_signature")
	expired := oneTimeToken(t, "victim", now.Add(-2*time.Hour), time.Hour)
	_, err = j.Verify(ctx, expired)
	wantCheck(t, "expired", err, auth.ErrTokenExpired, "expired")
	if len(rc.keys) != 0 {
		t.Fatalf("refused tokens were remembered: %d keys", len(rc.keys))
	}
	genuine := oneTimeToken(t, "victim", now, time.Hour)
	if _, err := j.Verify(ctx, genuine); err != nil {
		t.Fatalf("the genuine token after the forged and expired ones: %v", err)
	}
	if len(rc.seen) != 1 {
		t.Fatalf("remembered %d keys, want 1", len(rc.seen))
	}
	for key, exp := range rc.seen {
		if want := time.Unix(now.Add(time.Hour).Unix(), 0).Add(10 * time.Second); !exp.Equal(want) {
			t.Errorf("remembered until %v, want exp plus the leeway, %v", exp, want)
		}
		if len(key) != 43 || strings.Contains(key, "victim") {
			t.Errorf("replay key %q: want a 43-byte hash", key)
		}
	}
}

// TestOneTimeCacheUnavailable: a replay cache that cannot answer refuses
// the token as an outage (ErrKeysUnavailable), also on a cache hit.
func TestOneTimeCacheUnavailable(t *testing.T) {
	t.Parallel()
	down := errors.New("replay store down")
	rc := &recordingCache{}
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) { c.OneTime = rc })
	tok := oneTimeToken(t, "u1", time.Now(), time.Hour)
	rc.err = down
	for i := range 2 { // a miss, then a hit of the verified-token cache
		_, err := j.Verify(context.Background(), tok)
		wantCheck(t, "cache down", err, auth.ErrKeysUnavailable, "replay_cache_unavailable")
		if !errors.Is(err, down) {
			t.Errorf("call %d: %v does not wrap the cache's error", i, err)
		}
	}
	rc.err = nil
	if _, err := j.Verify(context.Background(), tok); err != nil {
		t.Errorf("after the cache came back: %v", err)
	}
}

// TestOneTimeMiddleware: through the middleware, the second request with a
// one-time token is a 401 invalid_token problem that does not name the check.
func TestOneTimeMiddleware(t *testing.T) {
	t.Parallel()
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.OneTime = must(auth.NewMemoryReplayCache(auth.MemoryReplayConfig{}))
	})
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	tok := oneTimeToken(t, "mw-1", time.Now(), time.Hour)
	codes := []int{}
	var body string
	for range 2 {
		req := httptest.NewRequest(http.MethodGet, "/items", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
		body = rec.Body.String()
	}
	if codes[0] != http.StatusNoContent || codes[1] != http.StatusUnauthorized {
		t.Fatalf("statuses %v, want [204 401]", codes)
	}
	if !strings.Contains(body, `"reason":"`+apierrors.ReasonInvalidToken+`"`) || strings.Contains(body, "replayed") {
		t.Errorf("second response %s: want invalid_token without the check", body)
	}
}
