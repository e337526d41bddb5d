package headers

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/route"
)

// profile is the zero Config's header set on every response.
var profile = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
	"Referrer-Policy":              "no-referrer",
	"Cross-Origin-Resource-Policy": "same-origin",
	"X-Frame-Options":              "DENY",
}

// quiet is errors.Recover without the panic log.
var quiet, _ = apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.DiscardHandler)})

// serve runs req through the errors package's Recover (which installs the
// request record, as in a full stack) and h, and returns the response.
func serve(t *testing.T, h http.Handler, req *http.Request) *http.Response {
	t.Helper()
	rr := httptest.NewRecorder()
	quiet.Handler(h).ServeHTTP(rr, req)
	return rr.Result()
}

func wantHeaders(t *testing.T, got http.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g := got.Get(k); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
}

func TestProfileOnEveryResponse(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "[]") })
	tests := []struct {
		name       string
		handler    http.Handler
		method     string
		path       string
		wantStatus int
	}{
		{"implicit 200", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }), "GET", "/", 200},
		{"handler's own WriteHeader", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }), "POST", "/", 201},
		{"nothing written", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "GET", "/", 200},
		{"problem from another package", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			apierrors.Write(w, r, apierrors.New(http.StatusForbidden, apierrors.ReasonForbidden, "no"))
		}), "GET", "/", 403},
		{"ServeMux 404 as problem", apierrors.Mux(mux), "GET", "/nowhere", 404},
		{"ServeMux 405 as problem", apierrors.Mux(mux), "DELETE", "/items", 405},
		{"plain http.NotFound", http.NotFoundHandler(), "GET", "/", 404},
		{"panic turned into 500", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), "GET", "/", 500},
	}
	m := MustNew(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, m.Handler(tt.handler), httptest.NewRequest(tt.method, tt.path, nil))
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			wantHeaders(t, res.Header, profile)
		})
	}
}

// principal records a principal in the request record, as auth does.
func principal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record.From(r.Context()).SetPrincipal(record.Principal{Subject: "alice", Method: "jwt"})
		next.ServeHTTP(w, r)
	})
}

func TestCacheControlOnAuthenticatedResponses(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") })
	tests := []struct {
		name    string
		cfg     Config
		header  map[string]string // request headers
		inner   func(http.Handler) http.Handler
		handler http.Handler
		want    string
	}{
		{name: "anonymous", handler: ok, want: ""},
		{name: "Authorization", header: map[string]string{"Authorization": "Bearer x"}, handler: ok, want: "no-store"},
		{name: "Cookie", header: map[string]string{"Cookie": "sid=1"}, handler: ok, want: "no-store"},
		{name: "X-API-Key", header: map[string]string{"X-API-Key": "k"}, handler: ok, want: "no-store"},
		{name: "configured credential header", cfg: Config{CredentialHeaders: []string{"x-session"}},
			header: map[string]string{"X-Session": "s"}, handler: ok, want: "no-store"},
		{name: "unconfigured credential header", header: map[string]string{"X-Session": "s"}, handler: ok, want: ""},
		{name: "principal recorded by auth (mTLS, no header)", inner: principal, handler: ok, want: "no-store"},
		{name: "principal and WriteHeader", inner: principal,
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }), want: "no-store"},
		{name: "principal and nothing written", inner: principal,
			handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), want: "no-store"},
		{name: "Cookie and nothing written", header: map[string]string{"Cookie": "sid=1"},
			handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), want: "no-store"},
		{name: "principal and Flush", inner: principal,
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = http.NewResponseController(w).Flush() }), want: "no-store"},
		{name: "handler's own Cache-Control kept", header: map[string]string{"Authorization": "Bearer x"},
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "private, max-age=60")
				w.WriteHeader(http.StatusOK)
			}), want: "private, max-age=60"},
		{name: "principal and handler's own Cache-Control kept", inner: principal,
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "private, max-age=60")
				w.WriteHeader(http.StatusOK)
			}), want: "private, max-age=60"},
		{name: "anonymous and handler's own Cache-Control kept",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=60")
				w.WriteHeader(http.StatusOK)
			}), want: "public, max-age=60"},
		{name: "principal and disabled", cfg: Config{Policy: Policy{Disable: []string{"Cache-Control"}}},
			inner: principal, handler: ok, want: ""},
		{name: "configured value", cfg: Config{Policy: Policy{CacheControl: "no-store, private"}},
			header: map[string]string{"Authorization": "Bearer x"}, handler: ok, want: "no-store, private"},
		{name: "disabled", cfg: Config{Policy: Policy{Disable: []string{"cache-control"}}},
			header: map[string]string{"Authorization": "Bearer x"}, handler: ok, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := MustNew(tt.cfg)
			h := tt.handler
			if tt.inner != nil {
				h = tt.inner(h)
			}
			req := httptest.NewRequest("GET", "/", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res := serve(t, m.Handler(h), req)
			if got := res.Header.Get("Cache-Control"); got != tt.want {
				t.Errorf("Cache-Control = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestServerHeadersRemoved(t *testing.T) {
	t.Parallel()
	leaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Server", "nginx/1.2.3")
		h.Set("X-Powered-By", "PHP/5.6")
		h.Set("X-AspNet-Version", "4.0")
		h.Set("X-AspNetMvc-Version", "5.2")
		_, _ = io.WriteString(w, "{}")
	})
	silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.2.3")
		w.Header().Set("X-Powered-By", "PHP/5.6")
	})
	tests := []struct {
		name     string
		cfg      Config
		handler  http.Handler
		wantGone []string
		wantKept []string
	}{
		{"default", Config{}, leaky, []string{"Server", "X-Powered-By"}, []string{"X-AspNet-Version"}},
		{"more removed", Config{Policy: Policy{Remove: []string{"x-aspnet-version", " X-AspNetMvc-Version"}}}, leaky,
			[]string{"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"}, nil},
		{"handler wrote nothing", Config{}, silent, []string{"Server", "X-Powered-By"}, nil},
		{"Server disabled", Config{Policy: Policy{Disable: []string{"Server"}}}, leaky,
			[]string{"X-Powered-By"}, []string{"Server"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, MustNew(tt.cfg).Handler(tt.handler), httptest.NewRequest("GET", "/", nil))
			for _, k := range tt.wantGone {
				if v := res.Header.Get(k); v != "" {
					t.Errorf("%s = %q, want it removed", k, v)
				}
			}
			for _, k := range tt.wantKept {
				if v := res.Header.Get(k); v == "" {
					t.Errorf("%s removed, want it kept", k)
				}
			}
		})
	}
}

func TestConfigOverridesAndDisables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    Config
		want   map[string]string // "" means absent
		absent []string
	}{
		{"zero is the API profile", Config{}, profile, nil},
		{"values overridden", Config{Policy: Policy{
			ContentSecurityPolicy:     "default-src 'none'; sandbox",
			ReferrerPolicy:            "strict-origin-when-cross-origin",
			CrossOriginResourcePolicy: "cross-origin",
			FrameOptions:              "SAMEORIGIN",
		}}, map[string]string{
			"Content-Security-Policy":      "default-src 'none'; sandbox",
			"Referrer-Policy":              "strict-origin-when-cross-origin",
			"Cross-Origin-Resource-Policy": "cross-origin",
			"X-Frame-Options":              "SAMEORIGIN",
			"X-Content-Type-Options":       "nosniff",
		}, nil},
		{"each disabled", Config{Policy: Policy{Disable: []string{
			"X-Content-Type-Options", "content-security-policy", "Referrer-Policy",
			"Cross-Origin-Resource-Policy", "X-Frame-Options"}}}, nil,
			[]string{"X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy",
				"Cross-Origin-Resource-Policy", "X-Frame-Options"}},
		{"extra headers", Config{Policy: Policy{Set: map[string]string{
			"Cross-Origin-Opener-Policy": "same-origin",
			"permissions-policy":         "geolocation=()",
		}}}, map[string]string{
			"Cross-Origin-Opener-Policy": "same-origin",
			"Permissions-Policy":         "geolocation=()",
			"X-Frame-Options":            "DENY",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, MustNew(tt.cfg).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})),
				httptest.NewRequest("GET", "/", nil))
			wantHeaders(t, res.Header, tt.want)
			for _, k := range tt.absent {
				if v, ok := res.Header[k]; ok {
					t.Errorf("%s = %q, want it absent", k, v)
				}
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"CSP with CRLF", Config{Policy: Policy{ContentSecurityPolicy: "default-src 'none'\r\nSet-Cookie: a=b"}}},
		{"CSP non-ASCII", Config{Policy: Policy{ContentSecurityPolicy: "default-src 'nöne'"}}},
		{"CSP blank ends", Config{Policy: Policy{ContentSecurityPolicy: " default-src 'none'"}}},
		{"Referrer-Policy typo", Config{Policy: Policy{ReferrerPolicy: "no-referer"}}},
		{"CORP unknown", Config{Policy: Policy{CrossOriginResourcePolicy: "same-host"}}},
		{"X-Frame-Options ALLOW-FROM", Config{Policy: Policy{FrameOptions: "ALLOW-FROM https://a.example"}}},
		{"Cache-Control with NUL", Config{Policy: Policy{CacheControl: "no-store\x00"}}},
		{"Disable unknown", Config{Policy: Policy{Disable: []string{"Strict-Transport-Security"}}}},
		{"value and Disable", Config{Policy: Policy{FrameOptions: "DENY", Disable: []string{"X-Frame-Options"}}}},
		{"Set a managed header", Config{Policy: Policy{Set: map[string]string{"x-frame-options": "DENY"}}}},
		{"Set Server", Config{Policy: Policy{Set: map[string]string{"Server": "x"}}}},
		{"Set bad name", Config{Policy: Policy{Set: map[string]string{"Bad Name": "x"}}}},
		{"Set empty value", Config{Policy: Policy{Set: map[string]string{"Permissions-Policy": ""}}}},
		{"Set twice by case", Config{Policy: Policy{Set: map[string]string{"A-B": "1", "a-b": "2"}}}},
		{"Remove bad name", Config{Policy: Policy{Remove: []string{"X Runtime"}}}},
		{"Remove a profile header", Config{Policy: Policy{Remove: []string{"Content-Security-Policy"}}}},
		{"Remove a Set header", Config{Policy: Policy{Set: map[string]string{"X-A": "1"}, Remove: []string{"x-a"}}}},
		{"route Remove bad", Config{Routes: map[string]Policy{"/items": {Remove: []string{""}}}}},
		{"credential header bad", Config{CredentialHeaders: []string{"X Key"}}},
		{"route key bad", Config{Routes: map[string]Policy{"items": {}}}},
		{"route value bad", Config{Routes: map[string]Policy{"/items": {FrameOptions: "allow"}}}},
		{"route Disable unknown", Config{Routes: map[string]Policy{"/items": {Disable: []string{"Vary"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("New error = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestRouteOverrides(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{
		Policy: Policy{Disable: []string{"X-Frame-Options"}, Set: map[string]string{"Permissions-Policy": "camera=()"}},
		Routes: map[string]Policy{
			"GET /files/{id}": {ContentSecurityPolicy: "sandbox", CacheControl: "private, max-age=300"},
			"/legacy":         {FrameOptions: "SAMEORIGIN", Disable: []string{"Referrer-Policy"}},
			"POST /items":     {Set: map[string]string{"Permissions-Policy": "()"}},
		},
	})
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }
	mux.HandleFunc("GET /files/{id}", ok)
	mux.HandleFunc("/legacy", ok)
	mux.HandleFunc("/items", ok)
	mux.HandleFunc("POST /items", ok)
	// route.Mux outermost, as the route package asks, then headers.
	h := route.Mux(mux)(m.Handler(mux))

	tests := []struct {
		name, method, path string
		want               map[string]string
		absent             []string
	}{
		{"top level", "GET", "/items", map[string]string{
			"Content-Security-Policy": DefaultContentSecurityPolicy, "Cache-Control": "no-store",
			"Permissions-Policy": "camera=()", "Referrer-Policy": "no-referrer",
		}, []string{"X-Frame-Options"}},
		{"download route", "GET", "/files/7", map[string]string{
			"Content-Security-Policy": "sandbox", "Cache-Control": "private, max-age=300",
			"Referrer-Policy": "no-referrer", "Permissions-Policy": "camera=()",
		}, []string{"X-Frame-Options"}},
		{"every-method route re-enables and disables", "PUT", "/legacy", map[string]string{
			"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": DefaultContentSecurityPolicy,
		}, []string{"Referrer-Policy"}},
		{"method-specific route replaces Set", "POST", "/items", map[string]string{
			"Permissions-Policy": "()", "Cache-Control": "no-store",
		}, []string{"X-Frame-Options"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.path, nil)
			req.Header.Set("Authorization", "Bearer x")
			res := serve(t, h, req)
			wantHeaders(t, res.Header, tt.want)
			for _, k := range tt.absent {
				if v, ok := res.Header[k]; ok {
					t.Errorf("%s = %q, want it absent", k, v)
				}
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{Routes: map[string]Policy{"GET /files/{id}": {CacheControl: "private"}}})
	h := http.Header{"Server": {"x"}}
	m.Apply(h, "GET /files/{id}", true)
	want := map[string]string{"Cache-Control": "private", "Server": ""}
	for k, v := range profile {
		want[k] = v
	}
	wantHeaders(t, h, want)

	h = http.Header{}
	m.Apply(h, "", false)
	if v := h.Get("Cache-Control"); v != "" {
		t.Errorf("anonymous Cache-Control = %q, want none", v)
	}
}

// TestAddDoesNotWriteSharedValue: the values are shared by every response;
// a handler's Header.Add must copy, not write into them.
func TestAddDoesNotWriteSharedValue(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Content-Security-Policy", "upgrade-insecure-requests")
	}))
	for range 2 {
		res := serve(t, h, httptest.NewRequest("GET", "/", nil))
		if got := res.Header.Values("Content-Security-Policy"); len(got) != 2 || got[0] != DefaultContentSecurityPolicy {
			t.Fatalf("Content-Security-Policy = %q, want the default then the handler's", got)
		}
	}
}

func TestFlushAndHijackStillWork(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{})
	srv := httptest.NewServer(apierrors.Recover(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.URL.Path == "/hijack" {
			conn, brw, err := rc.Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
			_ = brw.Flush()
			return
		}
		w.Header().Set("Server", "leaky")
		_, _ = io.WriteString(w, "a")
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	}))))
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL + "/flush")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	wantHeaders(t, res.Header, profile)
	if v := res.Header.Get("Server"); v != "" {
		t.Errorf("Server = %q after a flush, want it removed", v)
	}

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Errorf("hijacked response = %q, %v", line, err)
	}
}

func TestInstallsRecordWhenOutermost(t *testing.T) {
	t.Parallel()
	// Without errors.Recover outside, Handler installs the record itself,
	// so the write-time part still runs.
	rr := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "sid=1")
	MustNew(Config{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Powered-By", "x")
		w.WriteHeader(http.StatusOK)
	})).ServeHTTP(rr, req)
	wantHeaders(t, rr.Result().Header, map[string]string{"Cache-Control": "no-store", "X-Powered-By": ""})
}

// TestRouterWiring follows the package doc's wiring on chi and gorilla/mux:
// the routers' own 404 and 405 carry the profile too.
func TestRouterWiring(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{})
	ok := func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }

	cr := chi.NewRouter()
	cr.Use(m.Handler)
	cr.NotFound(apierrors.NotFound)
	cr.MethodNotAllowed(apierrors.MethodNotAllowed)
	cr.Get("/items", ok)

	gr := mux.NewRouter()
	gr.HandleFunc("/items", ok).Methods("GET")
	gr.NotFoundHandler = http.HandlerFunc(apierrors.NotFound)
	gr.MethodNotAllowedHandler = http.HandlerFunc(apierrors.MethodNotAllowed)

	tests := []struct {
		name       string
		h          http.Handler
		method     string
		path       string
		wantStatus int
	}{
		{"chi route", cr, "GET", "/items", 200},
		{"chi 404", cr, "GET", "/nowhere", 404},
		{"chi 405", cr, "POST", "/items", 405},
		{"gorilla route", m.Handler(gr), "GET", "/items", 200},
		{"gorilla 404", m.Handler(gr), "GET", "/nowhere", 404},
		{"gorilla 405", m.Handler(gr), "POST", "/items", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, tt.h, httptest.NewRequest(tt.method, tt.path, nil))
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			wantHeaders(t, res.Header, profile)
		})
	}
}
