package ratelimit_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
)

// rateLimits builds a service's two limiters: one per client address, before
// authentication, so floods are refused before any crypto runs; and one per
// authenticated subject, after it. store keeps their state: nil gives each
// limiter a memory store of its own (one instance); a redisstore.Store
// shares the limits between instances (see the redisstore package's
// example). logger receives store failures (nil: not logged).
func rateLimits(store ratelimit.Store, logger *slog.Logger) (perIP, perSubject *ratelimit.Limiter, err error) {
	// Behind a reverse proxy, list it: ratelimit.ParseTrustedProxies([]string{"10.0.0.0/8"}).
	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{})
	if err != nil {
		return nil, nil, err
	}
	perIP, err = ratelimit.New(ratelimit.Config{
		Name:     "ip",
		Store:    store,
		Logger:   logger,
		Key:      byIP,
		Policies: []ratelimit.Policy{{Name: "ip", Limit: 600, Period: time.Minute, Burst: 100}},
	})
	if err != nil {
		return nil, nil, err
	}
	perSubject, err = ratelimit.New(ratelimit.Config{
		Name:   "subject",
		Store:  store,
		Logger: logger,
		Key:    ratelimit.BySubject(),
		Policies: []ratelimit.Policy{
			{Name: "subject", Limit: 1000, Period: time.Hour, Burst: 20},
			{Name: "daily", Limit: 10000, Period: 24 * time.Hour},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return perIP, perSubject, nil
}

// stack is the recommended order: errors → ratelimit by IP → auth →
// ratelimit by subject → routes. authenticate stands in for auth's
// middleware (auth.New(...).Handler).
func stack(perIP, perSubject *ratelimit.Limiter, authenticate func(http.Handler) http.Handler, routes http.Handler) http.Handler {
	return apierrors.Recover(perIP.Handler(authenticate(perSubject.Handler(routes))))
}

// fakeAuth puts a principal named by the Authorization header in the
// context, as auth's middleware does after verifying a token.
func fakeAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sub, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			r = r.WithContext(auth.NewContext(r.Context(), &auth.Principal{Subject: sub, Issuer: "https://issuer.example"}))
		}
		next.ServeHTTP(w, r)
	})
}

// Example wires a per-IP limit before authentication and a per-subject limit
// after it, with their state in memory.
func Example() {
	perIP, perSubject, err := rateLimits(nil, nil)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "[]") })
	h := stack(perIP, perSubject, fakeAuth, mux)

	codes := map[int]int{}
	var last *httptest.ResponseRecorder
	for range 21 {
		r := httptest.NewRequest("GET", "/v1/items", nil)
		r.Header.Set("Authorization", "Bearer alice")
		last = httptest.NewRecorder()
		h.ServeHTTP(last, r)
		codes[last.Code]++
	}
	fmt.Println("alice:", codes)
	fmt.Println("Retry-After:", last.Header().Get("Retry-After"))
	fmt.Println("RateLimit-Policy:", last.Header().Get("RateLimit-Policy"))

	r := httptest.NewRequest("GET", "/v1/items", nil)
	r.Header.Set("Authorization", "Bearer bob")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println("bob:", w.Code)
	// Output:
	// alice: map[200:20 429:1]
	// Retry-After: 4
	// RateLimit-Policy: "ip";q=700;w=60, "subject";q=1020;w=3600, "daily";q=20000;w=86400
	// bob: 200
}

// ExampleLimiter_Allow decides outside HTTP, e.g. for a job queue.
func ExampleLimiter_Allow() {
	l := ratelimit.MustNew(ratelimit.Config{
		Key:      ratelimit.BySubject(),
		Policies: []ratelimit.Policy{{Name: "exports", Limit: 3, Period: time.Hour}},
	})
	for i := range 4 {
		d, _ := l.Allow(context.Background(), "tenant-42", 1)
		fmt.Println(i, d.Allowed, d.Result(0).Remaining)
	}
	d, _ := l.Allow(context.Background(), "tenant-42", 5)
	fmt.Println("cost 5:", d.Allowed, d.CostExceedsBurst)
	// Output:
	// 0 true 2
	// 1 true 1
	// 2 true 0
	// 3 false 0
	// cost 5: false true
}
