package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apishield/apishield/auth"
)

// An API whose issuer hands out opaque access tokens asks the issuer's
// introspection endpoint about each one (the answers are cached). Here a
// loopback server stands in for the endpoint.
func ExampleNewIntrospection() {
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if id != "orders-api" || secret != "s3cret" || r.PostFormValue("token") != "2YotnFZFEjr1zCsicMWpAA" {
			fmt.Fprint(w, `{"active":false}`)
			return
		}
		fmt.Fprint(w, `{"active":true,"iss":"https://login.example.com/","aud":"https://api.example.com",`+
			`"sub":"alice","client_id":"web","scope":"orders:read","exp":4102444800}`)
	}))
	defer endpoint.Close()

	in, err := auth.NewIntrospection(auth.IntrospectionConfig{
		Endpoint:     endpoint.URL + "/oauth2/introspect", // https in production
		Issuer:       "https://login.example.com/",
		Audience:     []string{"https://api.example.com"},
		ClientID:     "orders-api",
		ClientSecret: "s3cret", // or PrivateKey for private_key_jwt
		// JWT: jwtVerifier, to verify the issuer's JWTs locally and
		// introspect only its opaque tokens.
	})
	if err != nil {
		panic(err)
	}
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{in}})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Println(p.Subject, p.Method, p.Scopes)
	}))

	for _, token := range []string{"2YotnFZFEjr1zCsicMWpAA", "revoked-or-unknown"} {
		req := httptest.NewRequest("GET", "/v1/orders", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// alice introspection [orders:read]
	// 401 Bearer realm="api", error="invalid_token", error_description="The credential is invalid"
}
