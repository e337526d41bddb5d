package auth_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/tlsconfig"
)

// BenchmarkClientCertificate measures a request authenticated by its
// verified client certificate through the middleware (PeerIdentity wired
// as documented), beside a floor: the same middleware letting an
// anonymous request through, which pays for the request record and the
// header scan but builds no principal.
func BenchmarkClientCertificate(b *testing.B) {
	keys, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: must(auth.NewMemoryStore(nil))})
	if err != nil {
		b.Fatal(err)
	}
	spiffe, _ := url.Parse(billingSPIFFE)
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	run := func(b *testing.B, cfg auth.Config, r *http.Request) {
		m, err := auth.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		h := m.Handler(next)
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
		}
	}
	b.Run("mtls", func(b *testing.B) {
		r := httptest.NewRequest("GET", "https://api.example/v1/items", nil)
		r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{URIs: []*url.URL{spiffe}}}}}
		run(b, auth.Config{Authenticators: []auth.Authenticator{keys}, ClientCertificate: func(r *http.Request) (string, bool) {
			id, ok := tlsconfig.PeerIdentity(r)
			return id.Subject(), ok
		}}, r)
	})
	b.Run("floor-anonymous", func(b *testing.B) {
		run(b, auth.Config{Authenticators: []auth.Authenticator{keys}, AllowAnonymous: true},
			httptest.NewRequest("GET", "https://api.example/v1/items", nil))
	})
}
