package auth_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/tlsconfig"
)

// A verified client certificate authenticates a request that carries no
// token or API key; a credential in the headers takes precedence.
func ExamplePeerFunc() {
	keys, _ := auth.NewAPIKeys(auth.APIKeysConfig{Store: must(auth.NewMemoryStore(nil))})
	m, _ := auth.New(auth.Config{
		Authenticators: []auth.Authenticator{keys},
		ClientCertificate: func(r *http.Request) (string, bool) {
			id, ok := tlsconfig.PeerIdentity(r)
			return id.Subject(), ok
		},
	})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Println("handler sees", p.Method, p.Subject)
	}))

	// What crypto/tls leaves on a request after verifying a client
	// certificate (a real server fills VerifiedChains in the handshake).
	spiffe, _ := url.Parse("spiffe://example.org/ns/prod/sa/billing")
	verified := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{URIs: []*url.URL{spiffe}}}}}

	req := httptest.NewRequest("GET", "https://api.example/v1/items", nil)
	req.TLS = verified
	h.ServeHTTP(httptest.NewRecorder(), req)

	req = httptest.NewRequest("GET", "https://api.example/v1/items", nil)
	req.TLS = verified
	req.Header.Set("X-API-Key", "ask_0000000000000000_not-a-key")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// handler sees mtls spiffe://example.org/ns/prod/sa/billing
	// 401 ApiKey realm="api", error="invalid_token", error_description="The credential is invalid"
}
