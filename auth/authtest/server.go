package authtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// ServeDiscovery serves the OpenID discovery document: the issuer, its
// jwks_uri and the signing algorithm.
func (iss *Issuer) ServeDiscovery(w http.ResponseWriter, r *http.Request) {
	serveJSON(w, iss.meta)
}

// ServeJWKS serves the key set: the public half of every published key.
func (iss *Issuer) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	iss.mu.RLock()
	body := iss.jwks
	iss.mu.RUnlock()
	serveJSON(w, body)
}

func serveJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	// As identity providers do; a verifier fetches again on an unknown kid.
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(body)
}

// Handler returns a handler that serves the discovery document and the
// key set at their paths below the issuer URL's path, for GET and HEAD,
// and answers 404 or 405 to anything else.
func (iss *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+iss.path+DiscoveryPath, iss.ServeDiscovery)
	mux.HandleFunc("GET "+iss.path+JWKSPath, iss.ServeJWKS)
	return mux
}

// Client returns an HTTP client that reaches the issuer's documents in
// process, with no server running, for auth.JWTConfig.HTTPClient: a server
// that is its own development issuer builds its verifier before it serves.
// A request for any other host fails.
func (iss *Issuer) Client() *http.Client {
	h := iss.Handler()
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if host := r.URL.Scheme + "://" + r.URL.Host; !strings.EqualFold(host, iss.host) {
			return nil, fmt.Errorf("authtest: the in-process client reaches only %s, not %s", iss.host, host)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A Server is an [Issuer] served by an httptest.Server on a loopback
// address; its URL is the issuer identifier.
type Server struct {
	*Issuer
	// HTTP is the underlying server, for its TLS certificate or client
	// when the issuer is served over HTTPS.
	HTTP *httptest.Server
}

// NewServer starts an issuer on a loopback httptest server, over plain
// HTTP (auth accepts http issuers on loopback hosts), and returns it; call
// Close when done. cfg.Issuer must be empty: the server's URL is the
// issuer. Like httptest.NewServer, it panics on failure, an invalid cfg
// included.
func NewServer(cfg Config) *Server {
	return newServer(cfg, false)
}

// NewTLSServer is NewServer over HTTPS with httptest's certificate; give
// the verifier s.HTTP.Client(), which trusts it.
func NewTLSServer(cfg Config) *Server {
	return newServer(cfg, true)
}

func newServer(cfg Config, tls bool) *Server {
	if cfg.Issuer != "" {
		panic(fmt.Sprintf("%v: NewServer sets Issuer to the server's URL; leave it empty", ErrInvalidConfig))
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	if tls {
		cfg.Issuer = "https://" + srv.Listener.Addr().String()
	}
	iss, err := New(cfg)
	if err != nil {
		srv.Close()
		panic(err)
	}
	srv.Config.Handler = iss.Handler()
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	return &Server{Issuer: iss, HTTP: srv}
}

// Close shuts the server down.
func (s *Server) Close() { s.HTTP.Close() }
