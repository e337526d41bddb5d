package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apishield/apishield/auth"
)

// Requests without a credential are refused with a problem and an RFC 6750
// challenge; a valid API key reaches the handler with its Principal.
func ExampleMiddleware_Handler() {
	key, rec, _ := auth.GenerateAPIKey()
	rec.Subject, rec.Scopes = "billing-service", []string{"items:read"}
	store, _ := auth.NewMemoryStore([]auth.APIKeyRecord{rec})
	keys, _ := auth.NewAPIKeys(auth.APIKeysConfig{Store: store})
	m, _ := auth.New(auth.Config{Authenticators: []auth.Authenticator{keys}})

	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Println("handler sees", p.Subject, p.Scopes)
	}))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/items", nil))
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))

	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("X-API-Key", key)
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// 401 ApiKey realm="api"
	// handler sees billing-service [items:read]
}

// CheckOf names the check that refused a token, for logs and tests.
func ExampleCheckOf() {
	a, _ := auth.NewAPIKeys(auth.APIKeysConfig{Store: must(auth.NewMemoryStore(nil))})
	_, err := a.Verify(context.Background(), "not-a-key")
	fmt.Println(auth.CheckOf(err))
	// Output: malformed_api_key
}

// ParseAuthorization splits an Authorization header; the scheme is
// case-insensitive.
func ExampleParseAuthorization() {
	kind, cred, ok := auth.ParseAuthorization("bearer abc.def.ghi")
	fmt.Println(kind, cred, ok)
	kind, _, ok = auth.ParseAuthorization("Basic dXNlcjpwYXNz")
	fmt.Println(kind, ok)
	// Output:
	// bearer abc.def.ghi true
	// none true
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
