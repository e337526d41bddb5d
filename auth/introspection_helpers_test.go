package auth_test

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

const (
	testClientID = "api:client" // a ':' that client_secret_basic must encode
	testSecret   = "s3cr:et+with%chars ü"
)

// introspectionServer plays an authorization server's introspection endpoint (RFC 7662):
// it authenticates the client as the configured method requires, verifying
// client assertions with jwx (an implementation independent of auth's),
// and answers from a table of tokens. Every failed check is a test error,
// and a 401 the test sees.
type introspectionServer struct {
	t        testing.TB
	method   auth.ClientAuthMethod
	pub      crypto.PublicKey // for private_key_jwt
	alg      jwa.SignatureAlgorithm
	aud      string // expected assertion aud
	calls    atomic.Int64
	mu       sync.Mutex
	answers  map[string]string // token → response JSON
	jtis     map[string]bool
	override atomic.Pointer[http.HandlerFunc]
	// arrived, if not nil, is sent to when a request arrives (without
	// blocking); block, if not nil, is received from before answering.
	arrived, block chan struct{}
}

func newIDP(t testing.TB, method auth.ClientAuthMethod) *introspectionServer {
	return &introspectionServer{t: t, method: method, answers: map[string]string{}, jtis: map[string]bool{}, aud: testIssuer}
}

// answer sets the response for token.
func (s *introspectionServer) answer(token, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[token] = body
}

func (s *introspectionServer) setOverride(h http.HandlerFunc) { s.override.Store(&h) }

func (s *introspectionServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	if s.arrived != nil {
		select {
		case s.arrived <- struct{}{}:
		default:
		}
	}
	if s.block != nil {
		<-s.block
	}
	if h := s.override.Load(); h != nil {
		(*h)(w, r)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("Accept") != "application/json" {
		s.fail(w, "request: %s %q accept %q", r.Method, r.Header.Get("Content-Type"), r.Header.Get("Accept"))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, "form: %v", err)
		return
	}
	if len(r.URL.RawQuery) != 0 {
		s.fail(w, "query %q: the token must travel in the body", r.URL.RawQuery)
		return
	}
	if err := s.authenticate(r); err != nil {
		s.fail(w, "client authentication (%s): %v", s.method, err)
		return
	}
	if got := r.PostForm.Get("token_type_hint"); got != "access_token" {
		s.fail(w, "token_type_hint = %q", got)
		return
	}
	s.mu.Lock()
	body, ok := s.answers[r.PostForm.Get("token")]
	s.mu.Unlock()
	if !ok {
		body = `{"active":false}`
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprint(w, body)
}

func (s *introspectionServer) fail(w http.ResponseWriter, format string, args ...any) {
	s.t.Errorf("introspection endpoint: "+format, args...)
	http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
}

func (s *introspectionServer) authenticate(r *http.Request) error {
	f := r.PostForm
	switch s.method {
	case auth.ClientSecretBasic:
		// RFC 6749 §2.3.1: base64 of form-encoded ID ":" form-encoded secret.
		h := r.Header.Get("Authorization")
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		if err != nil || !strings.HasPrefix(h, "Basic ") {
			return fmt.Errorf("Authorization %q", h)
		}
		encID, encSecret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return fmt.Errorf("no colon in %q", raw)
		}
		id, err1 := url.QueryUnescape(encID)
		secret, err2 := url.QueryUnescape(encSecret)
		if err1 != nil || err2 != nil || id != testClientID || secret != testSecret {
			return fmt.Errorf("decoded %q %q from %q", id, secret, raw)
		}
		if f.Has("client_secret") || f.Has("client_assertion") {
			return fmt.Errorf("a second authentication method in the body")
		}
	case auth.ClientSecretPost:
		if f.Get("client_id") != testClientID || f.Get("client_secret") != testSecret || r.Header.Get("Authorization") != "" {
			return fmt.Errorf("client_id %q client_secret %q", f.Get("client_id"), f.Get("client_secret"))
		}
	case auth.PrivateKeyJWT:
		if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return fmt.Errorf("client_assertion_type %q", f.Get("client_assertion_type"))
		}
		if f.Get("client_id") != testClientID || r.Header.Get("Authorization") != "" {
			return fmt.Errorf("client_id %q", f.Get("client_id"))
		}
		tok, err := jwt.ParseString(f.Get("client_assertion"), jwt.WithKey(s.alg, s.pub),
			jwt.WithIssuer(testClientID), jwt.WithSubject(testClientID), jwt.WithAudience(s.aud),
			jwt.WithRequiredClaim("exp"), jwt.WithRequiredClaim("iat"), jwt.WithRequiredClaim("jti"))
		if err != nil {
			return err
		}
		exp, _ := tok.Expiration()
		iat, _ := tok.IssuedAt()
		if exp.Sub(iat) > 2*time.Minute {
			return fmt.Errorf("assertion lives %v", exp.Sub(iat))
		}
		jti, _ := tok.JwtID()
		s.mu.Lock()
		replay := s.jtis[jti]
		s.jtis[jti] = true
		s.mu.Unlock()
		if replay {
			return fmt.Errorf("jti %q used twice", jti)
		}
	}
	return nil
}

// serveTLS starts the endpoint behind a real TLS listener on loopback and
// returns its URL and a client that trusts it.
func (s *introspectionServer) serveTLS(t testing.TB) (string, *http.Client) {
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	return srv.URL + "/introspect", srv.Client()
}

// introspector builds an Introspection with client_secret_basic against
// endpoint; mod adjusts the config.
func introspector(t testing.TB, endpoint string, client *http.Client, mod func(*auth.IntrospectionConfig)) *auth.Introspection {
	t.Helper()
	cfg := auth.IntrospectionConfig{
		Endpoint:     endpoint,
		Issuer:       testIssuer,
		Audience:     []string{testAudience},
		ClientID:     testClientID,
		ClientSecret: testSecret,
		HTTPClient:   client,
		Logger:       discardLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	in, err := auth.NewIntrospection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// activeJSON is an active token's response, valid for an hour from now;
// extra members are appended.
func activeJSON(now time.Time, extra string) string {
	c := `{"active":true,"iss":"` + testIssuer + `","aud":"` + testAudience + `","sub":"alice","client_id":"app",` +
		`"token_type":"Bearer","iat":` + itoa(now.Unix()) + `,"exp":` + itoa(now.Add(time.Hour).Unix()) + `,"scope":"items:read items:write"`
	if extra != "" {
		c += "," + extra
	}
	return c + "}"
}

// jsonBody answers with body as application/json.
func jsonBody(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
