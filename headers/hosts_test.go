package headers

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

func TestParseHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		ok   bool
		name string
		addr string
		port int
	}{
		{"api.example.com", true, "api.example.com", "", -1},
		{"API.Example.COM:8443", true, "API.Example.COM", "", 8443},
		{"api.example.com.", true, "api.example.com", "", -1},
		{"api.example.com.:443", true, "api.example.com", "", 443},
		{"api.example.com:", true, "api.example.com", "", -1},
		{"localhost", true, "localhost", "", -1},
		{"my_host.internal", true, "my_host.internal", "", -1},
		{"192.0.2.10", true, "", "192.0.2.10", -1},
		{"192.0.2.10:80", true, "", "192.0.2.10", 80},
		{"[2001:db8::1]", true, "", "2001:db8::1", -1},
		{"[2001:DB8:0::1]:8080", true, "", "2001:db8::1", 8080},
		{"[::ffff:192.0.2.1]", true, "", "::ffff:192.0.2.1", -1},
		{"api.example.com:0080", true, "api.example.com", "", 80},

		{"", false, "", "", 0},
		{".", false, "", "", 0},
		{"api.example.com..", false, "", "", 0},
		{".example.com", false, "", "", 0},
		{"a..example.com", false, "", "", 0},
		{"api.example.com:0", false, "", "", 0},
		{"api.example.com:65536", false, "", "", 0},
		{"api.example.com:123456", false, "", "", 0},
		{"api.example.com:80:80", false, "", "", 0},
		{"api.example.com:http", false, "", "", 0},
		{"api.example.com:-1", false, "", "", 0},
		{"user@api.example.com", false, "", "", 0},
		{"api.example.com/path", false, "", "", 0},
		{"api%2eexample.com", false, "", "", 0},
		{"ápi.example.com", false, "", "", 0},
		{"xn--pi-dka.example.com", true, "xn--pi-dka.example.com", "", -1},
		{"api example.com", false, "", "", 0},
		{"api.example.com\r\nX: y", false, "", "", 0},
		{"*.example.com", false, "", "", 0},
		{"2001:db8::1", false, "", "", 0},
		{"[2001:db8::1", false, "", "", 0},
		{"[2001:db8::1]x", false, "", "", 0},
		{"[fe80::1%25eth0]", false, "", "", 0},
		{"[fe80::1%eth0]", false, "", "", 0},
		{"[192.0.2.1]", false, "", "", 0},
		{"[]", false, "", "", 0},
		{"127.1", false, "", "", 0},
		{"0x7f.0.0.1", false, "", "", 0},
		{"010.0.0.1", false, "", "", 0},
		{"2130706433", false, "", "", 0},
		{"256.0.0.1", false, "", "", 0},
		{"example.123", false, "", "", 0},
		{strings.Repeat("a", 64) + ".example.com", false, "", "", 0},
		{strings.Repeat("a.", 127) + "com", false, "", "", 0},
		{strings.Repeat("a", maxHostLen+1), false, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			h, ok := parseHost(tt.in)
			if ok != tt.ok {
				t.Fatalf("parseHost(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if !ok {
				return
			}
			var want netip.Addr
			if tt.addr != "" {
				want = netip.MustParseAddr(tt.addr)
			}
			if h.name != tt.name || h.addr != want || h.port != tt.port {
				t.Errorf("parseHost(%q) = {%q %v %d}, want {%q %v %d}", tt.in, h.name, h.addr, h.port, tt.name, want, tt.port)
			}
		})
	}
}

func TestNewHostsRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		allow []string
	}{
		{"nil list", nil},
		{"empty list", []string{}},
		{"empty entry", []string{""}},
		{"match-all", []string{"*"}},
		{"wildcard TLD", []string{"*.com"}},
		{"wildcard address", []string{"*.0.2.1"}},
		{"two wildcards", []string{"*.*.example.com"}},
		{"inner wildcard", []string{"api.*.example.com"}},
		{"URL", []string{"https://api.example.com"}},
		{"path", []string{"api.example.com/v1"}},
		{"bad port", []string{"api.example.com:99999"}},
		{"zone", []string{"[fe80::1%25eth0]"}},
		{"bare IPv6", []string{"::1"}},
		{"short IPv4", []string{"127.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewHosts(HostsConfig{Allow: tt.allow}); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("NewHosts(%q) error = %v, want ErrInvalidConfig", tt.allow, err)
			}
		})
	}
}

func testHosts(t testing.TB) *Hosts {
	t.Helper()
	hs, err := NewHosts(HostsConfig{Allow: []string{
		"api.example.com", "API.Example.org.", "*.tenants.example.com", "admin.example.com:8443",
		"admin.example.com:9443", "192.0.2.10", "[2001:db8::1]:8080", " localhost ",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func TestHostsAllowed(t *testing.T) {
	t.Parallel()
	hs := testHosts(t)
	tests := []struct {
		host string
		want bool
	}{
		{"api.example.com", true},
		{"API.EXAMPLE.COM", true},
		{"api.example.com.", true},
		{"api.example.com:8080", true},
		{"api.example.org", true},
		{"api.example.org.:443", true},
		{"eu.tenants.example.com", true},
		{"EU.Tenants.Example.Com:443", true},
		{"tenants.example.com", false},
		{"a.eu.tenants.example.com", false},
		{"admin.example.com:8443", true},
		{"admin.example.com:9443", true},
		{"admin.example.com", false},
		{"admin.example.com:443", false},
		{"192.0.2.10", true},
		{"192.0.2.10:8080", true},
		{"192.0.2.11", false},
		{"[2001:db8::1]:8080", true},
		{"[2001:DB8:0:0::1]:8080", true},
		{"[2001:db8::1]", false},
		{"[2001:db8::1]:8081", false},
		{"localhost:3000", true},
		{"evil.example", false},
		{"api.example.com.evil.example", false},
		{"evilapi.example.com", false},
		{"api.example.com@evil.example", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			if got := hs.Allowed(tt.host); got != tt.want {
				t.Errorf("Allowed(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}

func TestHostsCheck(t *testing.T) {
	t.Parallel()
	hs := testHosts(t)
	tests := []struct {
		name       string
		req        func() *http.Request
		wantErr    error
		wantStatus int
	}{
		{"allowed", func() *http.Request { return httptest.NewRequest("GET", "http://api.example.com/", nil) }, nil, 0},
		{"not listed", func() *http.Request { return httptest.NewRequest("GET", "http://evil.example/", nil) },
			ErrHostNotAllowed, 421},
		{"no host", func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host, r.URL.Host = "", ""
			return r
		}, ErrNoHost, 421},
		{"malformed", func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = "api.example.com:http"
			return r
		}, ErrMalformedHost, 400},
		{"absolute-form authority differs", func() *http.Request {
			r := httptest.NewRequest("GET", "http://evil.example/", nil)
			r.Host = "api.example.com"
			return r
		}, ErrHostMismatch, 421},
		{"absolute-form authority same host, other case", func() *http.Request {
			r := httptest.NewRequest("GET", "http://API.example.com/", nil)
			r.Host = "api.example.com"
			return r
		}, nil, 0},
		{"Host header differs", func() *http.Request {
			r := httptest.NewRequest("GET", "http://api.example.com/", nil)
			r.Header["Host"] = []string{"evil.example"}
			return r
		}, ErrHostMismatch, 421},
		{"two Host headers", func() *http.Request {
			r := httptest.NewRequest("GET", "http://api.example.com/", nil)
			r.Header["Host"] = []string{"api.example.com", "api.example.com"}
			return r
		}, ErrMalformedHost, 400},
		{"X-Forwarded-Host not consulted", func() *http.Request {
			r := httptest.NewRequest("GET", "http://evil.example/", nil)
			r.Header.Set("X-Forwarded-Host", "api.example.com")
			r.Header.Set("Forwarded", "host=api.example.com")
			return r
		}, ErrHostNotAllowed, 421},
		{"X-Forwarded-Host does not refuse", func() *http.Request {
			r := httptest.NewRequest("GET", "http://api.example.com/", nil)
			r.Header.Set("X-Forwarded-Host", "evil.example")
			return r
		}, nil, 0},
		{"URL host only", func() *http.Request {
			r := httptest.NewRequest("GET", "http://api.example.com/", nil)
			r.Host = ""
			return r
		}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := hs.Check(tt.req())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Check error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			var p *apierrors.Problem
			if !errors.As(err, &p) || p.Status != tt.wantStatus {
				t.Errorf("Check problem = %+v, want status %d", p, tt.wantStatus)
			}
		})
	}
}

func TestHostsHandlerAnswersAndRecords(t *testing.T) {
	t.Parallel()
	hs := testHosts(t)
	tests := []struct {
		name       string
		host       string
		wantStatus int
		wantReason string
		wantOut    record.Outcome
	}{
		{"allowed", "api.example.com", 200, "", record.Allow},
		{"refused", "evil.example", 421, apierrors.ReasonHostNotAllowed, record.Deny},
		{"malformed", "evil.example:x", 400, apierrors.ReasonMalformedRequest, record.Deny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec *record.Record
			spy := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w, r, rec = record.Install(w, r)
					next.ServeHTTP(w, r)
				})
			}
			called := false
			h := spy(hs.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })))
			req := httptest.NewRequest("GET", "/", nil)
			req.Host = tt.host
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			if rr.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rr.Code, tt.wantStatus)
			}
			if called != (tt.wantStatus == 200) {
				t.Errorf("next called = %v", called)
			}
			ds := rec.Decisions()
			if len(ds) != 1 || ds[0].Package != "headers" || ds[0].Outcome != tt.wantOut || ds[0].Reason != tt.wantReason {
				t.Errorf("decisions = %+v, want one %s %q", ds, tt.wantOut, tt.wantReason)
			}
			if tt.wantStatus == 200 {
				return
			}
			var body struct {
				Reason string `json:"reason"`
				Status int    `json:"status"`
			}
			if err := json.NewDecoder(rr.Body).Decode(&body); err != nil || body.Reason != tt.wantReason || body.Status != tt.wantStatus {
				t.Errorf("body = %+v (%v), want reason %q status %d", body, err, tt.wantReason, tt.wantStatus)
			}
			if ct := rr.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

// TestHostsOverTheWire sends raw requests to a real server: net/http takes
// an absolute-form target's authority as the host, and lets HTTP/1.0
// requests through without Host.
func TestHostsOverTheWire(t *testing.T) {
	t.Parallel()
	hs := testHosts(t)
	srv := httptest.NewServer(hs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)
	tests := []struct {
		name, raw  string
		wantStatus int
	}{
		{"allowed", "GET / HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n", 200},
		{"refused", "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", 421},
		{"absolute form to another host", "GET http://evil.example/ HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n", 421},
		{"absolute form to an allowed host", "GET http://api.example.com/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", 200},
		{"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 421},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.raw); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
		})
	}
}

// TestRefusalCarriesSecurityHeaders: in the documented order the 421 gets
// the profile like any other response.
func TestRefusalCarriesSecurityHeaders(t *testing.T) {
	t.Parallel()
	hs := testHosts(t)
	h := MustNew(Config{}).Handler(hs.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("next ran for a refused host")
	})))
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "evil.example"
	res := serve(t, h, req)
	if res.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("status = %d, want 421", res.StatusCode)
	}
	wantHeaders(t, res.Header, profile)
}

// TestHostsLengthSet checks the key-length sets that let match skip a
// lookup, at the edges of their words, and that names of a length no
// entry has still match through a wildcard and are refused otherwise.
func TestHostsLengthSet(t *testing.T) {
	t.Parallel()
	var s lengthSet
	in := []int{1, 63, 64, 127, 128, 191, 192, 253, 255}
	for _, n := range in {
		s.add(n)
	}
	for n := 0; n < 300; n++ {
		if got, want := s.has(n), slices.Contains(in, n); got != want {
			t.Errorf("has(%d) = %v, want %v", n, got, want)
		}
	}

	label := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	long := label('a', 63) + "." + label('b', 63) + "." + label('c', 63) + "." + label('d', 61) // 253 bytes
	suffix := label('b', 63) + "." + label('c', 63) + "." + label('d', 61)
	hs, err := NewHosts(HostsConfig{Allow: []string{long, "*." + suffix, "x.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host string
		want bool
	}{
		{long, true},
		{strings.ToUpper(long) + ".:443", true},
		{label('z', 63) + "." + suffix, true}, // same length as long, via the wildcard
		{"q." + suffix, true},                 // a length no exact entry has
		{"q.example.com", false},              // the exact entry's length, another name
		{"x.example.com", true},
		{"xx.example.com", false},
		{suffix, false},
	} {
		if got := hs.Allowed(tt.host); got != tt.want {
			t.Errorf("Allowed(%.20q…, len %d) = %v, want %v", tt.host, len(tt.host), got, tt.want)
		}
	}
}
