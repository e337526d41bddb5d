package tlsconfig_test

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/tlsconfig"
)

func TestHSTS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  tlsconfig.HSTSConfig
		want string
	}{
		{"default", tlsconfig.HSTSConfig{}, "max-age=63072000"},
		{"subdomains", tlsconfig.HSTSConfig{MaxAge: time.Hour, IncludeSubDomains: true}, "max-age=3600; includeSubDomains"},
		{"preload", tlsconfig.HSTSConfig{MaxAge: 365 * 24 * time.Hour, IncludeSubDomains: true, Preload: true}, "max-age=31536000; includeSubDomains; preload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := tlsconfig.NewHSTS(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if h.Value() != tt.want {
				t.Errorf("Value() = %q, want %q", h.Value(), tt.want)
			}
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
			r := httptest.NewRequest(http.MethodGet, "https://api.example/", nil)
			r.TLS = &tls.ConnectionState{HandshakeComplete: true}
			w := httptest.NewRecorder()
			h.Handler(next).ServeHTTP(w, r)
			if got := w.Result().Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != tt.want {
				t.Errorf("TLS request: header %q, want [%q]", got, tt.want)
			}
			plain := httptest.NewRequest(http.MethodGet, "http://api.example/", nil)
			w = httptest.NewRecorder()
			h.Handler(next).ServeHTTP(w, plain)
			if got := w.Result().Header.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("plain HTTP request: header %q, want none (RFC 6797 §7.2)", got)
			}
			if w.Code != http.StatusNoContent {
				t.Errorf("status %d, want the handler's 204", w.Code)
			}
		})
	}
}

func TestHSTSInvalidConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  tlsconfig.HSTSConfig
	}{
		{"negative", tlsconfig.HSTSConfig{MaxAge: -time.Second}},
		{"sub-second", tlsconfig.HSTSConfig{MaxAge: time.Millisecond}},
		{"preload without subdomains", tlsconfig.HSTSConfig{Preload: true}},
		{"preload too short", tlsconfig.HSTSConfig{Preload: true, IncludeSubDomains: true, MaxAge: 30 * 24 * time.Hour}},
	}
	for _, tt := range tests {
		if h, err := tlsconfig.NewHSTS(tt.cfg); !errors.Is(err, tlsconfig.ErrInvalidConfig) {
			t.Errorf("%s: NewHSTS = %v, %v; want ErrInvalidConfig", tt.name, h, err)
		}
	}
}
