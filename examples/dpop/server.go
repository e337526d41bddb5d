package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// newAPI is the API: every route behind auth, whose JWT verifier requires
// DPoP-bound tokens for publicOrigin, the URL clients call (proofs name
// it; the request's Host header never decides it).
//
// issuerClient reaches the development issuer in process; with a real
// identity provider leave JWTConfig.HTTPClient nil.
func newAPI(ctx context.Context, publicOrigin, issuer string, issuerClient *http.Client) (http.Handler, error) {
	// The nonce key: every instance of the API must have the same one,
	// from your secret store, so that a nonce one issues the others take.
	nonceKey := make([]byte, 32)
	rand.Read(nonceKey)
	jwt, err := auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:     issuer,
		Audience:   []string{audience},
		Type:       auth.TypeAccessToken,
		HTTPClient: issuerClient,
		DPoP: auth.DPoPConfig{
			// Required: a bearer token is refused, bound or not. Use
			// DPoPAllowed while clients move over, and
			// authz.SenderConstrained() on the routes that must be bound.
			Mode:         auth.DPoPRequired,
			PublicOrigin: publicOrigin,
			// Nonces: a proof must carry one the API issued in the last
			// few minutes, so a proof made in advance is worthless.
			Nonce: auth.DPoPNonceConfig{Keys: [][]byte{nonceKey}},
			// ReplayCache nil: proofs are remembered in this process.
			// Behind a load balancer, share one through Redis:
			// auth/redisstore.NewReplayCache(client, redisstore.ReplayConfig{}).
		},
	})
	if err != nil {
		return nil, err
	}
	authn, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt}})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"subject": p.Subject, "binding": p.Binding})
	})
	return apierrors.Recover(authn.Handler(mux)), nil
}
