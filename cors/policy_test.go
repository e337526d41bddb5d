package cors

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	next := func(h http.Handler) http.Handler { return h }
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"* with credentials", Config{Policy: Policy{AllowedOrigins: []string{"*"}, AllowCredentials: true}}},
		{"* with others", Config{Policy: Policy{AllowedOrigins: []string{"*", "https://a.example.com"}}}},
		{"null", Config{Policy: Policy{AllowedOrigins: []string{"null"}}}},
		{"no scheme", Config{Policy: Policy{AllowedOrigins: []string{"app.example.com"}}}},
		{"bare wildcard host", Config{Policy: Policy{AllowedOrigins: []string{"*.example.com"}}}},
		{"trailing slash", Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com/"}}}},
		{"path", Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com/app"}}}},
		{"query", Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com?x=1"}}}},
		{"user info", Config{Policy: Policy{AllowedOrigins: []string{"https://user@app.example.com"}}}},
		{"trailing dot", Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com."}}}},
		{"unicode host", Config{Policy: Policy{AllowedOrigins: []string{"https://bücher.example"}}}},
		{"blank", Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com "}}}},
		{"empty", Config{Policy: Policy{AllowedOrigins: []string{""}}}},
		{"bad port", Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com:70000"}}}},
		{"empty port", Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com:"}}}},
		{"wildcard TLD", Config{Policy: Policy{AllowedOrigins: []string{"https://*.com"}}}},
		{"wildcard in the middle", Config{Policy: Policy{AllowedOrigins: []string{"https://a.*.example.com"}}}},
		{"partial wildcard", Config{Policy: Policy{AllowedOrigins: []string{"https://*app.example.com"}}}},
		{"two wildcards", Config{Policy: Policy{AllowedOrigins: []string{"https://*.*.example.com"}}}},
		{"wildcard on an address", Config{Policy: Policy{AllowedOrigins: []string{"http://*.0.0.1"}}}},
		{"IPv4 not dotted-decimal", Config{Policy: Policy{AllowedOrigins: []string{"http://127.1"}}}},
		{"IPv4 in hex", Config{Policy: Policy{AllowedOrigins: []string{"http://0x7f.0.0.1"}}}},
		{"IPv6 zone", Config{Policy: Policy{AllowedOrigins: []string{"http://[fe80::1%25eth0]"}}}},
		{"IPv4-mapped IPv6", Config{Policy: Policy{AllowedOrigins: []string{"http://[::ffff:127.0.0.1]"}}}},
		{"bad IPv6", Config{Policy: Policy{AllowedOrigins: []string{"http://[::g]"}}}},
		{"method wildcard", Config{Policy: Policy{AllowedMethods: []string{"*"}}}},
		{"method not a token", Config{Policy: Policy{AllowedMethods: []string{"GET POST"}}}},
		{"method CONNECT", Config{Policy: Policy{AllowedMethods: []string{"CONNECT"}}}},
		{"header wildcard", Config{Policy: Policy{AllowedHeaders: []string{"*"}}}},
		{"header not a token", Config{Policy: Policy{AllowedHeaders: []string{"X-A:"}}}},
		{"exposed wildcard", Config{Policy: Policy{ExposedHeaders: []string{"*"}}}},
		{"exposed not a token", Config{Policy: Policy{ExposedHeaders: []string{"X A"}}}},
		{"negative max age", Config{Policy: Policy{MaxAge: -time.Second}}},
		{"max age past 24h", Config{Policy: Policy{MaxAge: 25 * time.Hour}}},
		{"sub-second max age", Config{Policy: Policy{MaxAge: time.Millisecond}}},
		{"routes without Route", Config{Routes: map[string]Policy{"/x": {}}}},
		{"bad route key", Config{Routes: map[string]Policy{"get /x": {}}, Route: next}},
		{"bad route policy", Config{Routes: map[string]Policy{"/x": {AllowedOrigins: []string{"*"}, AllowCredentials: true}}, Route: next}},
		{"Route returns nil", Config{Routes: map[string]Policy{"/x": {}}, Route: func(http.Handler) http.Handler { return nil }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New = %v, want an error wrapping ErrInvalidConfig", err)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	t.Parallel()
	for _, o := range []string{
		"https://app.example.com", "HTTPS://APP.EXAMPLE.COM", "https://app.example.com:443", "http://localhost:80",
		"https://*.example.com", "https://*.eu.example.com:8443", "http://127.0.0.1:3000", "http://[::1]", "http://[0:0::1]:8080",
		"https://xn--bcher-kva.example", "capacitor://localhost", "https://under_score.example.com",
	} {
		if _, err := New(Config{Policy: Policy{AllowedOrigins: []string{o}, AllowCredentials: true}}); err != nil {
			t.Errorf("New refused %q: %v", o, err)
		}
	}
}

// TestNewSaysWhy: a config error names what is wrong, since it is the
// user's guide to fixing it.
func TestNewSaysWhy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ origin, want string }{
		{"https://app.example.com/", "no path"},
		{"https://app.example.com/app", "no path"},
		{"https://user@app.example.com", "no user info"},
		{"https://app.example.com.", "trailing dot"},
		{"https://bücher.example", "punycode"},
		{"null", "never allowed"},
		{"https://*.com", "two labels"},
		{"http://127.1", "dotted-decimal"},
	} {
		_, err := New(Config{Policy: Policy{AllowedOrigins: []string{tc.origin}}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q) = %v, want an error saying %q", tc.origin, err, tc.want)
		}
	}
}
