package auth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/apishield/apishield/auth"
)

// A user signs out everywhere: the tokens issued before keep failing until
// they would have expired anyway, and a token issued afterwards works.
// OnRevoke is where an application writes its audit event
// (audit.ActionAuthnTokenRevoked).
func ExampleRevocationList() {
	revs, err := auth.NewRevocationList(auth.RevocationListConfig{
		OnRevoke: func(ctx context.Context, r auth.Revocation) {
			fmt.Println("audit: authn_token_revoked for", r.Subject)
		},
	})
	if err != nil {
		panic(err)
	}
	defer revs.Close()
	// Give it to the middleware: auth.New(auth.Config{…, Revocations: revs}).

	const issuer = "https://login.example.com/"
	signOut := time.Now()
	err = revs.Revoke(context.Background(), auth.Revocation{
		Subject:      "alice",
		Issuer:       issuer,
		IssuedBefore: signOut,
		Expires:      signOut.Add(time.Hour), // the longest token lifetime
	})
	if err != nil {
		panic(err)
	}
	stolen := &auth.Principal{Subject: "alice", Issuer: issuer, IssuedAt: signOut.Add(-10 * time.Minute)}
	fresh := &auth.Principal{Subject: "alice", Issuer: issuer, IssuedAt: signOut.Add(time.Second)}
	fmt.Println("stolen:", auth.CheckOf(revs.Check(stolen)))
	fmt.Println("fresh refused:", revs.Check(fresh) != nil)
	// Output:
	// audit: authn_token_revoked for alice
	// stolen: token_revoked
	// fresh refused: false
}
