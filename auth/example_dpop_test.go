package auth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
)

// exampleReplayCache is a minimal in-process ReplayCache for the example.
// Production code shares one cache between instances (a Redis store), so a
// proof replayed to another instance is caught too.
type exampleReplayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (c *exampleReplayCache) Remember(_ context.Context, key string, exp time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.seen[key]; ok && time.Now().Before(t) {
		return false, nil
	}
	c.seen[key] = exp
	return true, nil
}

// DPoP-bound access tokens (RFC 9449): the client proves on each request
// that it holds the key its token is bound to, so a stolen token alone is
// worthless. authtest plays the identity provider and the client here.
func ExampleDPoPConfig() {
	idp := authtest.MustNew(authtest.Config{Issuer: "https://login.example.com", Audience: []string{"https://api.example.com"}})
	j, err := auth.NewJWT(context.Background(), auth.JWTConfig{
		Issuer:     "https://login.example.com",
		Audience:   []string{"https://api.example.com"},
		HTTPClient: idp.Client(), // the test issuer's documents, served in memory
		DPoP: auth.DPoPConfig{
			Mode:         auth.DPoPRequired,         // every token must be DPoP-bound
			PublicOrigin: "https://api.example.com", // what proofs' htu must name
			ReplayCache:  &exampleReplayCache{seen: map[string]time.Time{}},
			// Nonce: auth.DPoPNonceConfig{Keys: ...} would add server nonces (RFC 9449 §8).
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j}})

	key, err := authtest.NewDPoPKey("ES256")
	if err != nil {
		fmt.Println(err)
		return
	}
	token := idp.Token(authtest.Claims{Subject: "alice", Extra: map[string]any{"cnf": key.Confirmation()}})
	call := func(proof string) {
		r := httptest.NewRequest("POST", "https://api.example.com/v1/orders", nil)
		r.Header.Set("Authorization", "DPoP "+token)
		r.Header.Set("DPoP", proof)
		p, err := m.Authenticate(r)
		if err != nil {
			fmt.Println("refused:", auth.CheckOf(err))
			return
		}
		fmt.Println(p.Subject, p.Binding)
	}
	proof := key.Proof("POST", "https://api.example.com/v1/orders", token, "")
	call(proof)
	call(proof) // the same proof again
	thief, err := authtest.NewDPoPKey("ES256")
	if err != nil {
		fmt.Println(err)
		return
	}
	call(thief.Proof("POST", "https://api.example.com/v1/orders", token, ""))
	// Output:
	// alice dpop
	// refused: dpop_replay
	// refused: dpop_jkt_mismatch
}
