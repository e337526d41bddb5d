package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/apishield/apishield/auth"
)

// A verifier for one issuer. Here the issuer's key set is served locally;
// with JWKSURL empty, NewJWT would find it through OIDC discovery.
func ExampleNewJWT() {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	enc := base64.RawURLEncoding.EncodeToString
	jwks := `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","alg":"EdDSA","use":"sig","x":"` + enc(pub) + `"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, jwks) }))
	defer srv.Close()

	j, err := auth.NewJWT(context.Background(), auth.JWTConfig{
		Issuer:    "https://login.example.com/",
		Audience:  []string{"https://api.example.com"},
		JWKSURL:   srv.URL + "/jwks", // loopback may be http; anything else must be https
		RolePaths: []string{"/realm_access/roles"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	input := enc([]byte(`{"alg":"EdDSA","kid":"k1"}`)) + "." + enc([]byte(`{"iss":"https://login.example.com/",`+
		`"aud":"https://api.example.com","sub":"alice","exp":`+exp+`,"scope":"items:read","realm_access":{"roles":["admin"]}}`))
	token := input + "." + enc(ed25519.Sign(priv, []byte(input)))

	p, err := j.Verify(context.Background(), token)
	fmt.Println(p.Subject, p.Scopes, p.Roles, err)

	_, err = j.Verify(context.Background(), input+".AAAA")
	fmt.Println(auth.CheckOf(err))
	// Output:
	// alice [items:read] [admin] <nil>
	// bad_signature
}
