package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/redistest"
)

// TestRedisSharesLimits: two gateway instances on one Redis (-redis) share
// the per-subject limit, a burst of 20, whichever instance a request
// reaches.
func TestRedisSharesLimits(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	secret := []byte("a-secret-of-at-least-16-bytes")
	var instances []http.Handler
	for range 2 {
		store, closeFn, err := newRedisStore(t.Context(), "redis://"+srv.Addr+"/0", secret)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeFn)
		_, perSubject, err := rateLimits(slog.New(slog.DiscardHandler), nil, store)
		if err != nil {
			t.Fatal(err)
		}
		instances = append(instances, perSubject.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	}
	var codes []int
	for i := range 22 {
		r := httptest.NewRequest("GET", "/v1/items", nil)
		r = r.WithContext(auth.NewContext(r.Context(), &auth.Principal{Subject: "carol", Issuer: "https://issuer.example"}))
		w := httptest.NewRecorder()
		instances[i%2].ServeHTTP(w, r)
		codes = append(codes, w.Code)
	}
	if codes[19] != http.StatusOK || codes[20] != http.StatusTooManyRequests || codes[21] != http.StatusTooManyRequests {
		t.Fatalf("codes %v, want 20 admitted between the two instances, then 429 on both", codes)
	}
}

// TestRedisFlag: -redis fails at start-up, naming what is wrong, rather
// than on the first requests. Not parallel: it sets the environment.
func TestRedisFlag(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String() // nothing listens once closed
	ln.Close()
	for _, tc := range []struct {
		name, secret, url, want string
	}{
		{"no secret", "", "redis://" + closed + "/0", "RATELIMIT_SECRET"},
		{"short secret", "short", "redis://" + closed + "/0", "RATELIMIT_SECRET"},
		{"bad URL", "a-secret-of-at-least-16-bytes", "redis://" + closed + "/notadb", "-redis"},
		{"no Redis", "a-secret-of-at-least-16-bytes", "redis://" + closed + "/0", "does not answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("RATELIMIT_SECRET", tc.secret)
			err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-demo-upstream", "-redis", tc.url}, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a start-up error naming %q", err, tc.want)
			}
		})
	}
}
