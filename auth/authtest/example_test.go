package authtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
)

// A test starts an issuer, points auth at it as at any OpenID provider,
// and sends requests with the tokens it mints.
func Example() {
	idp := authtest.NewServer(authtest.Config{Audience: []string{"https://api.test"}})
	defer idp.Close()

	ctx := context.Background()
	jwt, err := auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:   idp.URL(), // keys found by discovery, over loopback HTTP
		Audience: []string{"https://api.test"},
		Type:     auth.TypeAccessToken,
	})
	if err != nil {
		panic(err)
	}
	authn := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{jwt}})
	api := authn.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s, scopes %v", p.Subject, p.Scopes)
	}))

	for _, token := range []string{
		idp.Token(authtest.Claims{Subject: "alice", Scopes: []string{"items:read"}}),
		idp.Token(authtest.Claims{Subject: "alice", TTL: -time.Hour}), // expired
	} {
		r := httptest.NewRequest("GET", "/v1/items", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			fmt.Println(w.Code, w.Body.String())
		} else {
			fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 200 hello alice, scopes [items:read]
	// 401 Bearer realm="api", error="invalid_token", error_description="The credential is expired"
}

// A development server that is its own issuer builds its verifier before
// it serves the issuer's documents: Client reaches them in process.
func ExampleIssuer_Client() {
	const base = "http://127.0.0.1:8080"
	dev := authtest.MustNew(authtest.Config{Issuer: base, Audience: []string{"my-api"}})
	jwt, err := auth.NewJWT(context.Background(), auth.JWTConfig{
		Issuer:     dev.URL(),
		Audience:   []string{"my-api"},
		HTTPClient: dev.Client(), // in your copy: nil, and your IdP's Issuer
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+authtest.DiscoveryPath, dev.ServeDiscovery)
	mux.HandleFunc("GET "+authtest.JWKSPath, dev.ServeJWKS)

	p, err := jwt.Verify(context.Background(), dev.Token(authtest.Claims{Subject: "dev-user", Roles: []string{"admin"}}))
	fmt.Println(p.Subject, p.Roles, err)
	// Output: dev-user [admin] <nil>
}
