package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// tokenLifetime is how long the development issuer's tokens live: a
// sign-out must be remembered that long, until every token it revokes has
// expired anyway.
const tokenLifetime = time.Hour

// sessions signs users out everywhere: their tokens issued so far are
// revoked, in this instance's memory. Behind several instances, give auth
// a store from auth/redisstore instead; its Revoke reaches every instance.
type sessions struct {
	revs   *auth.RevocationList
	issuer string
}

// newSessions returns the revocation list auth checks on every request,
// writing an audit event (authn_token_revoked) for each revocation.
func newSessions(aud *audit.Auditor, issuer string) (*sessions, error) {
	revs, err := auth.NewRevocationList(auth.RevocationListConfig{
		OnRevoke: func(ctx context.Context, r auth.Revocation) {
			aud.Log(ctx, audit.Event{Action: audit.ActionAuthnTokenRevoked, Outcome: audit.Success,
				User: r.Subject, Target: "sessions", Message: "signed out everywhere"})
		},
	})
	if err != nil {
		return nil, err
	}
	return &sessions{revs: revs, issuer: issuer}, nil
}

// signOut serves DELETE /v1/admin/sessions/{sub}: the user's tokens issued
// until now are refused from the next request on; tokens issued afterwards
// work.
func (s *sessions) signOut(w http.ResponseWriter, r *http.Request) {
	sub := r.PathValue("sub")
	now := time.Now()
	err := s.revs.Revoke(r.Context(), auth.Revocation{Subject: sub, Issuer: s.issuer, IssuedBefore: now, Expires: now.Add(tokenLifetime)})
	if errors.Is(err, auth.ErrInvalidRevocation) {
		apierrors.Write(w, r, apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed, "The subject cannot be signed out."))
		return
	}
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"signed_out": sub})
}
