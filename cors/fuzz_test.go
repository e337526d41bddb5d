package cors

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var originSeeds = []string{
	"https://app.example.com", "https://a.example.com", "http://localhost:5173", "http://[::1]:8080",
	"http://127.0.0.1:3000", "null", "", "https://example.com.evil.test", "https://evilexample.com",
	"https://app.example.com@evil.test", "https://APP.example.com", "https://app.example.com.",
	"https://app.example.com:443", "https://app.example.com/", "https://\u0430pp.example.com",
	"http://0x7f.0.0.1", "http://127.1", "http://[0:0::1]", "http://[fe80::1%eth0]", "capacitor://localhost",
	"https://a.b.example.com", "https://*.example.com", "https://xn--bcher-kva.example:8443",
}

// FuzzParseOrigin: what the header parser accepts is exactly a browser's
// serialization, which the config parser accepts unchanged; a wildcard
// allows only one more label under its suffix, with its scheme and port.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range originSeeds {
		f.Add(s)
	}
	wild, err := parseAllowedOrigin("https://*.example.com")
	if err != nil {
		f.Fatal(err)
	}
	wildPort, err := parseAllowedOrigin("http://*.eu.example.com:8080")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("http://a.eu.example.com:8080")
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := parseOrigin(s)
		for _, w := range []*allowedOrigin{&wild, &wildPort} {
			if raw := w.matchesRaw(s); raw != (ok && w.matches(o)) {
				t.Fatalf("%q against %s: matchesRaw = %v, parseOrigin and matches = %v", s, w.canonical, raw, ok && w.matches(o))
			}
		}
		if !ok {
			return
		}
		if len(s) > maxOriginLen || s != strings.ToLower(s) {
			t.Fatalf("parseOrigin accepted %q", s)
		}
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 || s[i] <= ' ' {
				t.Fatalf("parseOrigin accepted a non-ASCII or control byte in %q", s)
			}
		}
		rebuilt := o.scheme + "://" + o.host
		if o.port != "" {
			rebuilt += ":" + o.port
		}
		if rebuilt != s || strings.ContainsAny(s[len(o.scheme)+3:], "/?#@\\%*") {
			t.Fatalf("parseOrigin(%q) = %+v", s, o)
		}
		ao, err := parseAllowedOrigin(s)
		if err != nil || ao.canonical != s {
			t.Fatalf("config parser: %q → %q, %v; want it unchanged", s, ao.canonical, err)
		}
		if wild.matches(o) {
			label, found := strings.CutSuffix(s, ".example.com")
			label, isHTTPS := strings.CutPrefix(label, "https://")
			if !found || !isHTTPS || label == "" || strings.ContainsAny(label, ".:") {
				t.Fatalf("https://*.example.com matched %q", s)
			}
		}
	})
}

// FuzzCheck: whatever a request's Origin and preflight headers say, Check
// allows a cross-site request only from a listed origin, and never panics.
func FuzzCheck(f *testing.F) {
	for _, s := range originSeeds {
		f.Add(s, "PUT", "content-type, x-trace", true)
		f.Add(s, "GET", "", false)
	}
	f.Add("https://app.example.com", "put", "X-Trace,,", true)
	m := MustNew(Config{Policy: testPolicy})
	f.Fuzz(func(t *testing.T, origin, method, headers string, isPreflight bool) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Origin"] = []string{origin}
		req.Header["Sec-Fetch-Site"] = []string{"cross-site"}
		if isPreflight {
			req.Method = http.MethodOptions
			req.Header["Access-Control-Request-Method"] = []string{method}
			req.Header["Access-Control-Request-Headers"] = []string{headers}
		}
		if m.Check(req) != nil {
			return
		}
		switch {
		case origin == "https://app.example.com", origin == "http://localhost:5173", origin == "http://[::1]:8080", origin == "https://admin.example.org":
		case strings.HasPrefix(origin, "https://") && strings.HasSuffix(origin, ".example.com") &&
			!strings.ContainsAny(strings.TrimSuffix(strings.TrimPrefix(origin, "https://"), ".example.com"), ".:/@"):
		default:
			t.Fatalf("Check allowed Origin %q", origin)
		}
		if isPreflight && method != "GET" && method != "POST" && method != "PUT" {
			t.Fatalf("Check allowed a preflight for method %q", method)
		}
	})
}
