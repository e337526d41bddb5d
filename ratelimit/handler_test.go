package ratelimit

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

func mustByIP(t *testing.T, cfg IPConfig) KeyFunc {
	t.Helper()
	k, err := ByIP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mustKey is a key function whose configuration a test knows is valid.
func mustKey(k KeyFunc, err error) KeyFunc {
	if err != nil {
		panic(err)
	}
	return k
}

// serve runs one request through h inside apierrors.Recover and returns the
// response and the record.
func serve(h http.Handler, r *http.Request) (*httptest.ResponseRecorder, *record.Record) {
	var rec *record.Record
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec = record.From(r.Context())
		h.ServeHTTP(w, r)
	})
	w := httptest.NewRecorder()
	quietResponder.Handler(inner).ServeHTTP(w, r)
	return w, rec
}

// quietResponder keeps the expected 5xx causes of these tests out of the
// test log.
var quietResponder, _ = apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.DiscardHandler)})

func TestHandlerDeniesWithHeaders(t *testing.T) {
	t.Parallel()
	l := MustNew(Config{Name: "ip", Key: mustByIP(t, IPConfig{}), LegacyHeaders: true, Policies: []Policy{
		{Name: "burst", Limit: 2, Period: time.Second},
		{Name: "hourly", Limit: 100, Period: time.Hour},
	}})
	h := l.Handler(okHandler)
	req := func() *http.Request {
		r := httptest.NewRequest("GET", "/v1/items", nil)
		r.RemoteAddr = "192.0.2.7:5555"
		return r
	}
	for i := range 2 {
		w, rec := serve(h, req())
		if w.Code != http.StatusNoContent {
			t.Fatalf("request %d: %d", i, w.Code)
		}
		// Bursts of 2 and of 100 on top of the rates: 4 within a second
		// and 200 within an hour. The burst policy admits one more in half
		// a second, the hourly one in 36 seconds.
		if got, want := w.Header().Get("RateLimit-Policy"), `"burst";q=4;w=1, "hourly";q=200;w=3600`; got != want {
			t.Errorf("RateLimit-Policy %q, want %q", got, want)
		}
		if got, want := w.Header().Get("RateLimit"), []string{`"burst";r=1;t=1, "hourly";r=99;t=36`, `"burst";r=0;t=1, "hourly";r=98;t=36`}[i]; got != want {
			t.Errorf("RateLimit %q, want %q", got, want)
		}
		if got := rec.ClientIP().String(); got != "192.0.2.7" {
			t.Errorf("recorded client IP %q", got)
		}
		if ds := rec.Decisions(); len(ds) != 1 || ds[0].Outcome != record.Allow || ds[0].Package != "ratelimit" {
			t.Errorf("decisions %+v", ds)
		}
	}
	w, rec := serve(h, req())
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", w.Code)
	}
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if !strings.Contains(w.Body.String(), `"reason":"rate_limited"`) || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("body %s", w.Body)
	}
	for k, want := range map[string]string{"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s %q, want %q", k, got, want)
		}
	}
	rl, ok := rec.RateLimit()
	if !ok || rl.Allowed || rl.Policy != "burst" || rl.Key != "ip" || rl.Limit != 2 || rl.RetryAfter <= 0 {
		t.Errorf("recorded rate limit %+v", rl)
	}
	if ds := rec.Decisions(); len(ds) != 1 || ds[0].Outcome != record.Deny || ds[0].Reason != apierrors.ReasonRateLimited || ds[0].Rule != "burst" {
		t.Errorf("decisions %+v", ds)
	}
	// A different client is unaffected.
	r := req()
	r.RemoteAddr = "192.0.2.8:1"
	if w, _ := serve(h, r); w.Code != http.StatusNoContent {
		t.Errorf("other client: %d", w.Code)
	}
}

func TestHandlerCostExceedsBurst(t *testing.T) {
	t.Parallel()
	l := MustNew(Config{Key: mustByIP(t, IPConfig{}), Policies: []Policy{{Name: "p", Limit: 5, Period: time.Second}},
		Cost: func(r *http.Request) int { return len(r.URL.Query()["n"]) }})
	w, _ := serve(l.Handler(okHandler), httptest.NewRequest("GET", "/?n=1&n=2&n=3&n=4&n=5&n=6", nil))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "" || !strings.Contains(w.Body.String(), "retrying will not help") {
		t.Fatalf("cost 6 > burst 5: %d Retry-After=%q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	l2 := MustNew(Config{Key: mustByIP(t, IPConfig{}), Policies: []Policy{{Name: "p", Limit: 5, Period: time.Second}},
		Cost: func(*http.Request) int { return -1 }})
	if w, _ := serve(l2.Handler(okHandler), httptest.NewRequest("GET", "/", nil)); w.Code != http.StatusInternalServerError {
		t.Fatalf("negative cost: %d, want 500", w.Code)
	}
}

func TestHandlerShadow(t *testing.T) {
	t.Parallel()
	l := MustNew(Config{Shadow: true, Key: mustByIP(t, IPConfig{}), Policies: []Policy{{Name: "p", Limit: 1, Period: time.Hour}}})
	h := l.Handler(okHandler)
	serve(h, httptest.NewRequest("GET", "/", nil))
	w, rec := serve(h, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusNoContent || w.Header().Get("RateLimit") != "" {
		t.Fatalf("shadow: %d, headers %v; want passed through without headers", w.Code, w.Header())
	}
	rl, _ := rec.RateLimit()
	if rl.Allowed || !rl.Shadow {
		t.Errorf("recorded %+v, want a shadow denial", rl)
	}
	if ds := rec.Decisions(); ds[0].Outcome != record.Skip || ds[0].Reason != apierrors.ReasonRateLimited {
		t.Errorf("decisions %+v", ds)
	}
}

func TestHandlerNoKeyAndKeyError(t *testing.T) {
	t.Parallel()
	l := MustNew(Config{Key: BySubject(), Policies: []Policy{{Name: "p", Limit: 1, Period: time.Hour}}})
	h := l.Handler(okHandler)
	for range 3 {
		w, rec := serve(h, httptest.NewRequest("GET", "/", nil))
		if w.Code != http.StatusNoContent {
			t.Fatalf("anonymous request: %d, want passed through", w.Code)
		}
		if ds := rec.Decisions(); ds[0].Outcome != record.Skip {
			t.Errorf("decisions %+v", ds)
		}
	}
	bad := MustNew(Config{Key: func(dst []byte, _ *http.Request) ([]byte, error) { return dst, errors.New("broken") },
		Policies: []Policy{{Name: "p", Limit: 1, Period: time.Hour}}})
	if w, _ := serve(bad.Handler(okHandler), httptest.NewRequest("GET", "/", nil)); w.Code != http.StatusInternalServerError {
		t.Fatalf("key error: %d, want 500 (fail closed)", w.Code)
	}
}

func TestHandlerStoreUnavailable(t *testing.T) {
	t.Parallel()
	ps := []Policy{{Name: "p", Limit: 1, Period: time.Hour}}
	closed := MustNew(Config{Store: failingStore{errors.New("down")}, Key: mustByIP(t, IPConfig{}), Policies: ps})
	w, rec := serve(closed.Handler(okHandler), httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"reason":"overloaded"`) {
		t.Fatalf("FailClosed: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if strings.Contains(w.Body.String(), "down") {
		t.Error("the store's error leaked into the response")
	}
	if ds := rec.Decisions(); ds[0].Outcome != record.Error || ds[0].Reason != apierrors.ReasonOverloaded {
		t.Errorf("decisions %+v", ds)
	}
	open := MustNew(Config{Store: failingStore{errors.New("down")}, Key: mustByIP(t, IPConfig{}), Policies: ps, OnStoreError: FailOpen})
	w, rec = serve(open.Handler(okHandler), httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusNoContent {
		t.Fatalf("FailOpen: %d", w.Code)
	}
	if ds := rec.Decisions(); ds[0].Outcome != record.Error || ds[0].Rule != "fail_open" {
		t.Errorf("decisions %+v", ds)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	key := func(fn KeyFunc, r *http.Request) (string, error) {
		b, err := fn(nil, r)
		return string(b), err
	}
	withPrincipal := func(iss, sub string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		return r.WithContext(auth.NewContext(r.Context(), &auth.Principal{Issuer: iss, Subject: sub}))
	}
	a, _ := key(BySubject(), withPrincipal("https://a", "alice"))
	b, _ := key(BySubject(), withPrincipal("https://b", "alice"))
	if a == b || a == "" {
		t.Errorf("same subject of two issuers: %q and %q, want different keys", a, b)
	}
	if _, err := key(BySubject(), httptest.NewRequest("GET", "/", nil)); !errors.Is(err, ErrNoKey) {
		t.Errorf("anonymous BySubject: %v", err)
	}

	r1 := httptest.NewRequest("GET", "/", nil)
	r1.Header.Set("X-Api-Key", "secret-key-1")
	k1, _ := key(mustKey(ByAPIKey("x-api-key")), r1)
	if strings.Contains(k1, "secret") || !strings.HasPrefix(k1, "key:") {
		t.Errorf("ByAPIKey %q: must be a hash", k1)
	}
	r2 := httptest.NewRequest("GET", "/", nil)
	r2.Header.Set("Authorization", "Bearer secret-key-1")
	if k2, _ := key(mustKey(ByAPIKey("Authorization")), r2); k2 != k1 {
		t.Errorf("Authorization credentials %q != header key %q", k2, k1)
	}
	if _, err := key(mustKey(ByAPIKey("X-Api-Key")), httptest.NewRequest("GET", "/", nil)); !errors.Is(err, ErrNoKey) {
		t.Errorf("no API key: %v", err)
	}

	// First falls back; Join needs all.
	fallback := mustKey(First(BySubject(), mustByIP(t, IPConfig{})))
	r := httptest.NewRequest("GET", "/", nil)
	if k, err := key(fallback, r); err != nil || k != "ip:192.0.2.1" {
		t.Errorf("First on anonymous: %q %v", k, err)
	}
	if k, _ := key(fallback, withPrincipal("i", "s")); !strings.HasPrefix(k, "sub:") {
		t.Errorf("First with principal: %q", k)
	}
	if _, err := key(mustKey(Join(mustByIP(t, IPConfig{}), BySubject())), r); !errors.Is(err, ErrNoKey) {
		t.Errorf("Join with a missing part: %v", err)
	}
	if k, _ := key(mustKey(Join(mustByIP(t, IPConfig{}), BySubject())), withPrincipal("i", "s")); k != "ip:192.0.2.1\x00sub:i\x01is" {
		t.Errorf("Join: %q", k)
	}
}

func TestByIP(t *testing.T) {
	t.Parallel()
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	xff := mustByIP(t, IPConfig{TrustedProxies: trusted})
	fwd := mustByIP(t, IPConfig{TrustedProxies: trusted, Header: "Forwarded", IPv6Bits: 56})
	none := mustByIP(t, IPConfig{})
	cf := mustByIP(t, IPConfig{TrustedProxies: trusted, Header: "CF-Connecting-IP"})
	for _, tc := range []struct {
		name, peer, header, value string
		fn                        KeyFunc
		want                      string
	}{
		{"peer, no trust list", "198.51.100.1:1", "X-Forwarded-For", "203.0.113.9", none, "ip:198.51.100.1"},
		{"untrusted peer's header ignored", "198.51.100.1:1", "X-Forwarded-For", "203.0.113.9", xff, "ip:198.51.100.1"},
		{"trusted proxy", "10.1.1.1:1", "X-Forwarded-For", "203.0.113.9", xff, "ip:203.0.113.9"},
		{"right to left, spoofed left entry", "10.1.1.1:1", "X-Forwarded-For", "1.2.3.4, 203.0.113.9, 10.2.2.2", xff, "ip:203.0.113.9"},
		{"IPv6 /64 bucket", "[2001:db8:1:2:3:4:5:6]:1", "", "", xff, "ip:2001:db8:1:2::/64"},
		{"Forwarded with /56", "10.1.1.1:1", "Forwarded", `for="[2001:db8:1:2ff::1]:80"`, fwd, "ip:2001:db8:1:200::/56"},
		{"unix socket peer shares one bucket", "@", "", "", xff, "ip:unknown"},
		{"CDN header from trusted edge", "10.1.1.1:1", "CF-Connecting-IP", "203.0.113.9", cf, "ip:203.0.113.9"},
		{"CDN header from untrusted peer", "198.51.100.1:1", "CF-Connecting-IP", "203.0.113.9", cf, "ip:198.51.100.1"},
		{"CDN header with a list", "10.1.1.1:1", "CF-Connecting-IP", "1.2.3.4, 203.0.113.9", cf, "ip:10.1.1.1"},
		{"CDN header ignores XFF", "10.1.1.1:1", "X-Forwarded-For", "203.0.113.9", cf, "ip:10.1.1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			if tc.header != "" {
				r.Header.Set(tc.header, tc.value)
			}
			got, err := tc.fn(nil, r)
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, cfg := range []IPConfig{{IPv6Bits: 32}, {IPv6Bits: 129}, {Header: "X-Client-IP"}, {MaxHops: -1},
		{Header: "X-Forwarded-For"}, {Header: "CF-Connecting-IP"}} {
		if _, err := ByIP(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ByIP(%+v): %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := ParseTrustedProxies([]string{"10.0.0.0/33"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad prefix: %v", err)
	}
}

// TestByRoute: each route of each router gets its own budget.
func TestByRoute(t *testing.T) {
	t.Parallel()
	ps := []Policy{{Name: "p", Limit: 1, Period: time.Hour}}
	newL := func(fn KeyFunc) *Limiter { return MustNew(Config{Key: fn, Policies: ps}) }

	std := http.NewServeMux()
	ls := newL(ByRoute(mustByIP(t, IPConfig{})))
	std.Handle("GET /a/{id}", ls.Handler(okHandler))
	std.Handle("GET /b", ls.Handler(okHandler))

	cr := chi.NewRouter()
	lc := newL(ByRoute(nil))
	cr.With(lc.Handler).Get("/a/{id}", okHandler)
	cr.With(lc.Handler).Get("/b", okHandler)

	gr := mux.NewRouter()
	lg := newL(mustKey(ByRouteFunc(func(r *http.Request) string {
		tpl, _ := mux.CurrentRoute(r).GetPathTemplate()
		return r.Method + " " + tpl
	}, nil)))
	gr.Use(lg.Handler)
	gr.Handle("/a/{id}", okHandler).Methods("GET")
	gr.Handle("/b", okHandler).Methods("GET")

	for name, h := range map[string]http.Handler{"ServeMux": std, "chi": cr, "gorilla": gr} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			codes := []int{}
			for _, p := range []string{"/a/1", "/a/2", "/b", "/b"} {
				w, _ := serve(h, httptest.NewRequest("GET", p, nil))
				codes = append(codes, w.Code)
			}
			// /a/1 and /a/2 are one route; /b is another.
			want := []int{204, 429, 204, 429}
			for i := range want {
				if codes[i] != want[i] {
					t.Fatalf("codes %v, want %v", codes, want)
				}
			}
		})
	}
	// Outside the router there is no pattern: a server error, not silence.
	w, _ := serve(newL(ByRoute(nil)).Handler(std), httptest.NewRequest("GET", "/b", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("ByRoute before routing: %d, want 500", w.Code)
	}
}

// TestHandlerStoreFull: a new client the memory store has no room for gets
// 503 overloaded with Retry-After, whatever the failure mode, and the
// exhausted client it would have displaced stays limited.
func TestHandlerStoreFull(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s, err := NewMemoryStore(MemoryConfig{MaxKeys: memShards})
		if err != nil {
			t.Fatal(err)
		}
		ps := []Policy{{Name: "p", Limit: 1, Period: time.Minute}}
		l := MustNew(Config{Name: "ip", Store: s, Key: mustByIP(t, IPConfig{}), Policies: ps, OnStoreError: FailOpen})
		h := l.Handler(okHandler)
		req := func(i int) *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}).String() + ":1"
			return r
		}
		var full *httptest.ResponseRecorder
		var fullRec *record.Record
		for i := range 20 * memShards {
			w, rec := serve(h, req(i))
			switch w.Code {
			case http.StatusNoContent:
			case http.StatusServiceUnavailable:
				full, fullRec = w, rec
			default:
				t.Fatalf("client %d: got %d, want 204 or 503", i, w.Code)
			}
		}
		if full == nil {
			t.Fatal("no client was refused by a store with one slot per shard")
		}
		if got := full.Header().Get("Retry-After"); got != "60" {
			t.Errorf("Retry-After: got %q, want 60", got)
		}
		if !strings.Contains(full.Body.String(), `"reason":"overloaded"`) || full.Header().Get("RateLimit") != "" {
			t.Errorf("got %s with RateLimit %q; want an overloaded problem without rate-limit fields", full.Body, full.Header().Get("RateLimit"))
		}
		if ds := fullRec.Decisions(); len(ds) != 1 || ds[0].Outcome != record.Deny || ds[0].Reason != apierrors.ReasonOverloaded || ds[0].Rule != "store_full" {
			t.Errorf("decisions %+v, want one overloaded store_full denial", ds)
		}
		// Every admitted client is still held and limited.
		for i := range 20 * memShards {
			if w, _ := serve(h, req(i)); w.Code == http.StatusNoContent {
				t.Fatalf("client %d admitted twice within its minute", i)
			}
		}
		time.Sleep(time.Minute)
		if w, _ := serve(h, req(0)); w.Code != http.StatusNoContent {
			t.Errorf("a minute later: got %d, want 204", w.Code)
		}
	})
}
