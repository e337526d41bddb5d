package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/auth"
)

// bubbleVerifier builds a verifier whose key set is fetched from srv in
// memory, for tests inside a synctest bubble.
func bubbleVerifier(t *testing.T, srv *jwksServer, mod func(*auth.JWTConfig)) *auth.JWT {
	t.Helper()
	cfg := auth.JWTConfig{
		Issuer:     testIssuer,
		Audience:   []string{testAudience},
		JWKSURL:    "https://keys.example/jwks",
		HTTPClient: inMemoryClient(srv),
		Logger:     discardLogger(),
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

// TestUnknownKIDFlood: 1000 concurrent tokens with random kids cause one
// fetch, not 1000; the next flood inside the refetch interval causes none;
// after the interval, one more. Counted, not timed.
func TestUnknownKIDFlood(t *testing.T) {
	r := keys(t)
	now0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // synctest's epoch
	toks := make([]string, 1000)
	for i := range toks {
		toks[i] = sign(t, "ES256", r.attacker, fmt.Sprintf(`{"alg":"ES256","kid":"random-%d"}`, i), claimsJSON(now0, ""))
	}
	good := validToken(t, "ES256", now0)
	synctest.Test(t, func(t *testing.T) {
		srv := newJWKSServer(standardSet(t))
		j := bubbleVerifier(t, srv, nil) // RefetchInterval: default 10 s
		time.Sleep(11 * time.Second)     // the start-up fetch no longer blocks an on-demand one
		flood := func() {
			var wg sync.WaitGroup
			for _, tok := range toks {
				wg.Go(func() {
					if _, err := j.Verify(context.Background(), tok); auth.CheckOf(err) != "unknown_kid" {
						t.Errorf("random kid: %v", err)
					}
				})
			}
			wg.Go(func() {
				if _, err := j.Verify(context.Background(), good); err != nil {
					t.Errorf("a good token during the flood: %v", err)
				}
			})
			wg.Wait()
		}
		flood()
		if n := srv.fetches.Load(); n != 2 {
			t.Fatalf("fetches after the first flood = %d, want 2 (start-up + one on demand)", n)
		}
		flood()
		if n := srv.fetches.Load(); n != 2 {
			t.Fatalf("fetches after a second flood within the interval = %d, want still 2", n)
		}
		time.Sleep(11 * time.Second)
		flood()
		if n := srv.fetches.Load(); n != 3 {
			t.Fatalf("fetches after the interval = %d, want 3", n)
		}
	})
}

// TestRotation: a token signed by a key the issuer just published
// verifies, through one on-demand fetch.
func TestRotation(t *testing.T) {
	r := keys(t)
	synctest.Test(t, func(t *testing.T) {
		srv := newJWKSServer(jwksJSON(jwkJSON(t, r.ec256.Public(), "old", "ES256")))
		j := bubbleVerifier(t, srv, nil)
		now := time.Now()
		newTok := sign(t, "EdDSA", r.ed, `{"alg":"EdDSA","kid":"new"}`, claimsJSON(now, ""))
		srv.set(jwksJSON(jwkJSON(t, r.ec256.Public(), "old", "ES256"), jwkJSON(t, r.ed.Public(), "new", "EdDSA")))
		time.Sleep(10 * time.Second)
		if _, err := j.Verify(context.Background(), newTok); err != nil {
			t.Fatalf("token from the rotated-in key: %v", err)
		}
		if n := srv.fetches.Load(); n != 2 {
			t.Errorf("fetches = %d, want 2", n)
		}
	})
}

// TestKeyRemoved: a key removed upstream stops verifying, even cached
// tokens, once the next scheduled refresh has run.
func TestKeyRemoved(t *testing.T) {
	r := keys(t)
	synctest.Test(t, func(t *testing.T) {
		k1 := jwkJSON(t, r.ec256.Public(), "k1", "ES256")
		k2 := jwkJSON(t, r.ed.Public(), "k2", "EdDSA")
		srv := newJWKSServer(jwksJSON(k1, k2))
		j := bubbleVerifier(t, srv, func(c *auth.JWTConfig) { c.RefreshMin, c.RefreshMax = time.Minute, time.Minute })
		tok := sign(t, "ES256", r.ec256, `{"alg":"ES256","kid":"k1"}`, claimsJSON(time.Now(), ""))
		if _, err := j.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		srv.set(jwksJSON(k2))
		time.Sleep(61 * time.Second)
		// This call finds the set due; the refresh runs in the background
		// while it is answered from the old set.
		if _, err := j.Verify(context.Background(), tok); err != nil {
			t.Fatalf("before the refresh completed: %v", err)
		}
		synctest.Wait()
		if n := srv.fetches.Load(); n != 2 {
			t.Fatalf("fetches = %d, want 2", n)
		}
		if _, err := j.Verify(context.Background(), tok); auth.CheckOf(err) != "unknown_kid" {
			t.Fatalf("after removal: %v, want unknown_kid", err)
		}
	})
}

// TestJWKSDown: while fetches fail, the last good set serves up to
// MaxStale; after that every token is refused as keys unavailable; when
// the issuer recovers, verification resumes.
func TestJWKSDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newJWKSServer(standardSet(t))
		j := bubbleVerifier(t, srv, func(c *auth.JWTConfig) { c.MaxStale = 2 * time.Hour })
		srv.override(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
		time.Sleep(90 * time.Minute)
		if _, err := j.Verify(context.Background(), validToken(t, "ES256", time.Now())); err != nil {
			t.Fatalf("stale but within MaxStale: %v", err)
		}
		synctest.Wait()
		if n := srv.fetches.Load(); n < 2 {
			t.Errorf("no refresh was attempted: %d fetches", n)
		}
		time.Sleep(31 * time.Minute)
		_, err := j.Verify(context.Background(), validToken(t, "ES256", time.Now()))
		if !errors.Is(err, auth.ErrKeysUnavailable) {
			t.Fatalf("past MaxStale: %v, want ErrKeysUnavailable", err)
		}
		srv.override(nil)
		time.Sleep(11 * time.Second)
		if _, err := j.Verify(context.Background(), validToken(t, "ES256", time.Now())); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	})
}

// TestJWKSBadRefresh: garbage, an oversized body, or a set of unusable
// keys never replaces the good set.
func TestJWKSBadRefresh(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"garbage": func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>oops</html>")) },
		"oversized": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[` + strings.Repeat(" ", 2<<20) + `]}`))
		},
		"no keys":                  func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[]}`)) },
		"only hmac":                func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)) },
		"slower than FetchTimeout": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		"redirect to http": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://keys.example/jwks", http.StatusFound)
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newJWKSServer(standardSet(t))
				j := bubbleVerifier(t, srv, func(c *auth.JWTConfig) { c.FetchTimeout = 2 * time.Second })
				srv.override(h)
				time.Sleep(2 * time.Hour)
				for range 2 {
					if _, err := j.Verify(context.Background(), validToken(t, "ES256", time.Now())); err != nil {
						t.Fatalf("after a bad refresh: %v", err)
					}
					time.Sleep(3 * time.Second) // past FetchTimeout, within RefetchInterval
				}
				if n := srv.fetches.Load(); n != 2 {
					t.Errorf("fetches = %d, want 2", n)
				}
			})
		})
	}
}

// TestNewJWTFailsFast: NewJWT refuses to start without a key set, with a
// clear error, whether the server is down, slow, oversized or garbage.
func TestNewJWTFailsFast(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	for name, h := range map[string]http.HandlerFunc{
		"500":       func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", 500) },
		"garbage":   func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{")) },
		"oversized": func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 1<<20+1)) },
		"slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.NewJWT(context.Background(), auth.JWTConfig{
				Issuer: testIssuer, Audience: []string{testAudience},
				JWKSURL: serve(t, h) + "/jwks", FetchTimeout: 200 * time.Millisecond, Logger: discardLogger(),
			})
			if err == nil || !strings.Contains(err.Error(), "fetching the key set") {
				t.Fatalf("NewJWT = %v, want a key set fetch error", err)
			}
		})
	}
}

// TestCacheControl: the set is refreshed after the response's max-age,
// clamped to RefreshMin and RefreshMax.
func TestCacheControl(t *testing.T) {
	cases := []struct {
		name         string
		cacheControl string
		quiet, fetch time.Duration // no fetch at quiet; a fetch by fetch
	}{
		{"max-age honoured", "public, max-age=120", 119 * time.Second, 121 * time.Second},
		{"clamped up to RefreshMin", "max-age=5", 59 * time.Second, 61 * time.Second},
		{"clamped down to RefreshMax", "max-age=86400", 59 * time.Minute, 61 * time.Minute},
		{"none means RefreshMax", "", 59 * time.Minute, 61 * time.Minute},
		{"no-store means RefreshMin", "no-store", 59 * time.Second, 61 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				body := standardSet(t)
				srv := newJWKSServer(body)
				srv.override(func(w http.ResponseWriter, r *http.Request) {
					if tc.cacheControl != "" {
						w.Header().Set("Cache-Control", tc.cacheControl)
					}
					w.Write(body)
				})
				j := bubbleVerifier(t, srv, func(c *auth.JWTConfig) { c.RefreshMin, c.RefreshMax = time.Minute, time.Hour })
				start := time.Now()
				verify := func() {
					if _, err := j.Verify(context.Background(), validToken(t, "ES256", time.Now())); err != nil {
						t.Fatal(err)
					}
					synctest.Wait()
				}
				time.Sleep(tc.quiet)
				verify()
				if n := srv.fetches.Load(); n != 1 {
					t.Fatalf("fetches at %v = %d, want 1", time.Since(start), n)
				}
				time.Sleep(tc.fetch - tc.quiet)
				verify()
				if n := srv.fetches.Load(); n != 2 {
					t.Fatalf("fetches at %v = %d, want 2", time.Since(start), n)
				}
			})
		})
	}
}

// TestCachedTokenRechecksTime: a cached token expires on time.
func TestCachedTokenRechecksTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := bubbleVerifier(t, newJWKSServer(standardSet(t)), nil)
		tok := validToken(t, "ES256", time.Now()) // exp in one hour
		p1, err := j.Verify(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := j.Verify(context.Background(), tok)
		if err != nil || p2 != p1 {
			t.Fatalf("second Verify = %p, %v; want the cached principal %p", p2, err, p1)
		}
		time.Sleep(time.Hour + 29*time.Second)
		if _, err := j.Verify(context.Background(), tok); err != nil {
			t.Fatalf("within leeway: %v", err)
		}
		time.Sleep(2 * time.Second)
		if _, err := j.Verify(context.Background(), tok); !errors.Is(err, auth.ErrTokenExpired) {
			t.Fatalf("cached token past exp+leeway: %v, want ErrTokenExpired", err)
		}
	})
}

// TestRefreshKeepsCache: a scheduled refresh evicts from the
// verified-token cache exactly the tokens whose key it removed or
// changed. Tokens of keys it kept, byte for byte or re-serialised, are
// still answered from the cache (the same *Principal), not re-verified.
func TestRefreshKeepsCache(t *testing.T) {
	r := keys(t)
	type outcome int
	const (
		hit        outcome = iota // answered from the cache
		reverified                // verified again, and still valid
		refused                   // no longer verifies
	)
	cases := []struct {
		name   string
		after  func(t *testing.T) []byte // the key set the refresh fetches
		k1, k2 outcome                   // what happens to each key's token
		check1 string                    // the check that refuses k1's token
	}{
		{"identical document", func(t *testing.T) []byte {
			return jwksJSON(jwkJSON(t, r.ec256.Public(), "k1", "ES256"), jwkJSON(t, r.ed.Public(), "k2", "EdDSA"))
		}, hit, hit, ""},
		{"same keys, reordered and re-serialised", func(t *testing.T) []byte {
			k1 := jwkJSON(t, r.ec256.Public(), "k1", "ES256")
			var m map[string]any
			json.Unmarshal(k1, &m)
			m["use"] = "sig"
			k1, _ = json.Marshal(m) // members in another order, one more
			return jwksJSON(jwkJSON(t, r.ed.Public(), "k2", "EdDSA"), k1)
		}, hit, hit, ""},
		{"k1 removed", func(t *testing.T) []byte {
			return jwksJSON(jwkJSON(t, r.ed.Public(), "k2", "EdDSA"))
		}, refused, hit, "unknown_kid"},
		{"k1's kid names other key material", func(t *testing.T) []byte {
			return jwksJSON(jwkJSON(t, r.attacker.Public(), "k1", "ES256"), jwkJSON(t, r.ed.Public(), "k2", "EdDSA"))
		}, refused, hit, "bad_signature"},
		{"k1's declared alg dropped", func(t *testing.T) []byte {
			return jwksJSON(jwkJSON(t, r.ec256.Public(), "k1", ""), jwkJSON(t, r.ed.Public(), "k2", "EdDSA"))
		}, reverified, hit, ""},
		{"k1 under a new kid", func(t *testing.T) []byte {
			return jwksJSON(jwkJSON(t, r.ec256.Public(), "k1-renamed", "ES256"), jwkJSON(t, r.ed.Public(), "k2", "EdDSA"))
		}, refused, hit, "unknown_kid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newJWKSServer(jwksJSON(jwkJSON(t, r.ec256.Public(), "k1", "ES256"), jwkJSON(t, r.ed.Public(), "k2", "EdDSA")))
				j := bubbleVerifier(t, srv, func(c *auth.JWTConfig) {
					c.RefreshMin, c.RefreshMax = time.Minute, time.Minute
					c.RefetchInterval = time.Hour // no on-demand fetch muddles the count
				})
				now := time.Now()
				tok1 := sign(t, "ES256", r.ec256, `{"alg":"ES256","kid":"k1"}`, claimsJSON(now, ""))
				tok2 := sign(t, "EdDSA", r.ed, `{"alg":"EdDSA","kid":"k2"}`, claimsJSON(now, ""))
				p1, err1 := j.Verify(context.Background(), tok1)
				p2, err2 := j.Verify(context.Background(), tok2)
				if err1 != nil || err2 != nil {
					t.Fatalf("before the refresh: %v, %v", err1, err2)
				}
				srv.set(tc.after(t))
				time.Sleep(61 * time.Second)
				j.Verify(context.Background(), tok2) // starts the scheduled refresh
				synctest.Wait()
				if n := srv.fetches.Load(); n != 2 {
					t.Fatalf("fetches = %d, want 2 (start-up + the scheduled refresh)", n)
				}
				for _, k := range []struct {
					name string
					tok  string
					was  *auth.Principal
					want outcome
				}{{"k1", tok1, p1, tc.k1}, {"k2", tok2, p2, tc.k2}} {
					p, err := j.Verify(context.Background(), k.tok)
					switch k.want {
					case hit:
						if err != nil || p != k.was {
							t.Errorf("%s: got %p, %v; want the cached principal %p", k.name, p, err, k.was)
						}
					case reverified:
						if err != nil || p == k.was {
							t.Errorf("%s: got %p, %v; want a fresh verification, not %p", k.name, p, err, k.was)
						}
					case refused:
						if got := auth.CheckOf(err); got != tc.check1 {
							t.Errorf("%s: got %v (check %q), want refused by %q", k.name, err, got, tc.check1)
						}
					}
				}
			})
		})
	}
}
