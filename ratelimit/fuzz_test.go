package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// FuzzByIP feeds attacker-controlled forwarding headers through ByIP: it
// never fails or panics, always yields an address, a prefix or the unknown
// bucket, and never believes a header from an untrusted peer.
func FuzzByIP(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "1.2.3.4, 10.0.0.1", `for="[2001:db8::1]:80";proto=https`, "unknown", "_hidden", ",,,", "::ffff:1.2.3.4", `for=""`, strings.Repeat("1.1.1.1,", 100)} {
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	trusted, _ := ParseTrustedProxies([]string{"10.0.0.0/8"})
	xff, _ := ByIP(IPConfig{TrustedProxies: trusted})
	fwd, _ := ByIP(IPConfig{TrustedProxies: trusted, Header: "Forwarded"})
	f.Fuzz(func(t *testing.T, value string, fromProxy, forwarded bool) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "198.51.100.4:1000"
		if fromProxy {
			r.RemoteAddr = "10.9.9.9:1000"
		}
		fn := xff
		r.Header.Set("X-Forwarded-For", value)
		if forwarded {
			fn = fwd
			r.Header.Set("Forwarded", value)
		}
		b, err := fn(nil, r)
		if err != nil {
			t.Fatalf("ByIP failed: %v", err)
		}
		k, ok := strings.CutPrefix(string(b), "ip:")
		if !ok {
			t.Fatalf("key %q lacks its kind", b)
		}
		if !fromProxy && k != "198.51.100.4" {
			t.Fatalf("untrusted peer's header believed: key %q", k)
		}
		if _, err := netip.ParseAddr(k); err != nil {
			if _, err := netip.ParsePrefix(k); err != nil && k != "unknown" {
				t.Fatalf("key %q is neither an address, a prefix nor unknown", k)
			}
		}
	})
}

// FuzzByAPIKey feeds attacker-controlled credential headers through
// ByAPIKey: it never panics; an Authorization header auth cannot parse is
// malformed, never a key; and a key is always the hash of the credential
// auth parses, so no two spellings of one credential are two keys.
func FuzzByAPIKey(f *testing.F) {
	for _, s := range []string{"Bearer k", "ApiKey  k", "apikey k", "Bearer\tk", "Bearer", "Basic dTpw", "Bearer k=", "Bearer k==x", " Bearer k", "", "k", "ask_0123456789abcdef_x"} {
		f.Add(s)
	}
	fromAuthz, fromHeader := mustKey(ByAPIKey("Authorization")), mustKey(ByAPIKey("X-API-Key"))
	f.Fuzz(func(t *testing.T, value string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{value}
		r.Header["X-Api-Key"] = []string{value}
		got, err := fromAuthz(nil, r)
		kind, cred, ok := auth.ParseAuthorization(value)
		switch {
		case !ok:
			if !errors.Is(err, ErrMalformedKey) || len(got) != 0 {
				t.Fatalf("Authorization %q auth refuses: got %q, %v; want ErrMalformedKey", value, got, err)
			}
		case kind == 0:
			if !errors.Is(err, ErrNoKey) {
				t.Fatalf("Authorization %q, a scheme auth does not take: got %q, %v; want ErrNoKey", value, got, err)
			}
		default:
			want, _ := keyOf(fromHeader, "X-API-Key", cred)
			if err != nil || string(got) != want {
				t.Fatalf("Authorization %q: got %q, %v; want %q, the key of credential %q", value, got, err, want, cred)
			}
		}
		got, err = fromHeader(nil, r)
		if err == nil && (!strings.HasPrefix(string(got), "key:") || strings.TrimSpace(value) != value || value == "") {
			t.Fatalf("X-API-Key %q: key %q", value, got)
		}
		if err != nil && !errors.Is(err, ErrMalformedKey) {
			t.Fatalf("X-API-Key %q: %v, want a key or ErrMalformedKey", value, err)
		}
	})
}

// FuzzFieldsAfterOthers: whatever RateLimit-Policy and RateLimit values a
// response already holds (from another limiter, or the application), a
// limiter adds its items without panicking; when those values are
// well-formed lists, so are the fields it leaves, and its Retry-After is
// never earlier than an item it can read with r=0.
func FuzzFieldsAfterOthers(f *testing.F) {
	f.Add(`"ip";q=700;w=60`, `"ip";r=0;t=10`)
	f.Add(`"p";q=1;w=1`, `"p";r=3;t=1, "q";r=0;t=99`)
	f.Add(`"x";q=1`, `garbage;;;`)
	f.Add(``, `"p";r=0;t=999999999999999`)
	l := MustNew(Config{Name: "l", Key: BySubject(), Policies: []Policy{{Name: "p", Limit: 1, Period: time.Hour}}})
	f.Fuzz(func(t *testing.T, policy, rate string) {
		for _, cost := range []int{1, 1} { // the second is denied
			d, _ := l.Allow(context.Background(), "k", cost)
			h := http.Header{}
			if policy != "" {
				h["Ratelimit-Policy"] = []string{policy}
			}
			if rate != "" {
				h["Ratelimit"] = []string{rate}
			}
			l.addHeaders(h, &d)
			_, perr := parseSFList([]string{policy})
			_, rerr := parseSFList([]string{rate})
			if perr == nil && rerr == nil {
				if _, err := parseSFList(h["Ratelimit-Policy"]); err != nil {
					t.Fatalf("RateLimit-Policy after %q: %v", policy, err)
				}
				if _, err := parseSFList(h["Ratelimit"]); err != nil {
					t.Fatalf("RateLimit after %q: %v", rate, err)
				}
			}
			ra, err := strconv.ParseInt(retryAfter(h, d.RetryAfter), 10, 64)
			if err != nil || ra < 1 || ra < exhaustedWindow(rate) {
				t.Fatalf("Retry-After %d, %v after %q", ra, err, rate)
			}
		}
	})
}
