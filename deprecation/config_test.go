package deprecation_test

import (
	"errors"
	"testing"
	"time"

	"github.com/apishield/apishield/deprecation"
)

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	ok := deprecation.Policy{Deprecated: depDate}
	with := func(f func(*deprecation.Policy)) deprecation.Config {
		p := ok
		f(&p)
		return deprecation.Config{Prefixes: map[string]deprecation.Policy{"/v1/": p}}
	}
	url := func(u string) deprecation.Config {
		return with(func(p *deprecation.Policy) { p.Successor = u })
	}
	tests := []struct {
		name string
		cfg  deprecation.Config
	}{
		{"no Deprecated date", with(func(p *deprecation.Policy) { p.Deprecated = time.Time{} })},
		{"Sunset before Deprecated", with(func(p *deprecation.Policy) { p.Sunset = depDate.Add(-time.Second) })},
		{"Deprecated past year 9999", with(func(p *deprecation.Policy) { p.Deprecated = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"Sunset past year 9999", with(func(p *deprecation.Policy) { p.Sunset = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"http URL", url("http://example.com/v2")},
		{"javascript URL", url("javascript:alert(1)")},
		{"data URL", url("data:text/html,hi")},
		{"https without host", url("https:/v2")},
		{"https with user info", url("https://user:pw@example.com/v2")},
		{"scheme-relative", url("//evil.example/v2")},
		{"CR LF", url("/v2\r\nSet-Cookie: a=b")},
		{"LF", url("/v2\nX: y")},
		{"angle bracket closes the reference", url(`/v2>; rel="canonical"`)},
		{"opening angle bracket", url("/v2<")},
		{"quote", url(`/v2"`)},
		{"blank", url("/v 2")},
		{"tab", url("/v2\t")},
		{"NUL", url("/v2\x00")},
		{"DEL", url("/v2\x7f")},
		{"backslash", url(`/v2\x`)},
		{"non-ASCII", url("/v2/café")},
		{"template braces", url("/v2/items/{id}")},
		{"bad Docs", with(func(p *deprecation.Policy) { p.Docs = "http://example.com/docs" })},
		{"prefix not absolute", deprecation.Config{Prefixes: map[string]deprecation.Policy{"v1/": ok}}},
		{"empty prefix", deprecation.Config{Prefixes: map[string]deprecation.Policy{"": ok}}},
		{"prefix with dot-dot", deprecation.Config{Prefixes: map[string]deprecation.Policy{"/v1/../admin": ok}}},
		{"prefix with dot", deprecation.Config{Prefixes: map[string]deprecation.Policy{"/./v1": ok}}},
		{"prefix with double slash", deprecation.Config{Prefixes: map[string]deprecation.Policy{"//v1": ok}}},
		{"prefix with query", deprecation.Config{Prefixes: map[string]deprecation.Policy{"/v1?x": ok}}},
		{"prefix with blank", deprecation.Config{Prefixes: map[string]deprecation.Policy{"/v 1": ok}}},
		{"prefix listed twice", deprecation.Config{Prefixes: map[string]deprecation.Policy{"/v1": ok, "/v1/": ok}}},
		{"route key without slash", deprecation.Config{Routes: map[string]deprecation.Policy{"GET items": ok}}},
		{"route key lower-case method", deprecation.Config{Routes: map[string]deprecation.Policy{"get /items": ok}}},
		{"route listed twice", deprecation.Config{Routes: map[string]deprecation.Policy{"GET /x": ok, "GET  /x": ok}}},
		{"route without Deprecated", deprecation.Config{Routes: map[string]deprecation.Policy{"GET /x": {}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := deprecation.New(tt.cfg)
			if !errors.Is(err, deprecation.ErrInvalidConfig) {
				t.Errorf("New = %v, %v; want an error wrapping ErrInvalidConfig", m, err)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy deprecation.Policy
		prefix string
	}{
		{"https URL", deprecation.Policy{Deprecated: depDate, Docs: "https://example.com/docs?a=1&b=%20#x"}, "/v1/"},
		{"https URL with port", deprecation.Policy{Deprecated: depDate, Successor: "https://api.example.com:8443/v2"}, "/v1"},
		{"relative path", deprecation.Policy{Deprecated: depDate, Successor: "../v2/items"}, "/v1"},
		{"absolute path", deprecation.Policy{Deprecated: depDate, Successor: "/v2/items"}, "/v1"},
		{"fragment", deprecation.Policy{Deprecated: depDate, Docs: "#deprecations"}, "/v1"},
		{"sunset equals deprecation", deprecation.Policy{Deprecated: depDate, Sunset: depDate}, "/v1"},
		{"root prefix", deprecation.Policy{Deprecated: depDate}, "/"},
		{"nested prefix", deprecation.Policy{Deprecated: depDate}, "/api/v1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := deprecation.New(deprecation.Config{Prefixes: map[string]deprecation.Policy{tt.prefix: tt.policy}})
			if err != nil {
				t.Errorf("New: %v, want no error", err)
			}
		})
	}
}

// TestHeaderFormats checks the Deprecation header is an RFC 9651 Date
// (RFC 9745's example) and the Sunset header an IMF-fixdate in GMT, from
// times in any zone and with fractions of a second.
func TestHeaderFormats(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("UTC+2", 2*3600)
	tests := []struct {
		name       string
		dep, sun   time.Time
		wantDep    string
		wantSunset string
	}{
		{"RFC 9745 example", time.Date(2023, 6, 30, 23, 59, 59, 0, time.UTC), time.Date(2024, 6, 30, 23, 59, 59, 0, time.UTC),
			"@1688169599", "Sun, 30 Jun 2024 23:59:59 GMT"},
		{"other zone, fraction dropped", time.Date(2023, 7, 1, 1, 59, 59, 999_000_000, zone), time.Date(2024, 7, 1, 2, 0, 0, 500, zone),
			"@1688169599", "Mon, 01 Jul 2024 00:00:00 GMT"},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Time{}, "@-1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := deprecation.New(deprecation.Config{Prefixes: map[string]deprecation.Policy{"/": {Deprecated: tt.dep, Sunset: tt.sun}}})
			if err != nil {
				t.Fatal(err)
			}
			n := m.Lookup("", "/x")
			if n == nil {
				t.Fatal("Lookup = nil, want the / prefix")
			}
			h := make(map[string][]string)
			n.SetHeaders(h)
			if got := h["Deprecation"]; len(got) != 1 || got[0] != tt.wantDep {
				t.Errorf("Deprecation = %q, want %q", got, tt.wantDep)
			}
			if got := h["Sunset"]; tt.wantSunset == "" && got != nil || tt.wantSunset != "" && (len(got) != 1 || got[0] != tt.wantSunset) {
				t.Errorf("Sunset = %q, want %q", got, tt.wantSunset)
			}
		})
	}
}
