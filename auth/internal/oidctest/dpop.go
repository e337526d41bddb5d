package oidctest

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// DPoPKey is a DPoP client's key pair (RFC 9449): it mints proofs of
// possession, and remembers the nonce each server last gave it (§8, §9),
// by origin, as a real client does. It is safe for concurrent use.
type DPoPKey struct {
	// Private is the ECDSA P-256 key that signs the proofs (ES256).
	Private *ecdsa.PrivateKey

	mu     sync.Mutex
	nonces map[string]string // origin → last DPoP-Nonce
}

// NewDPoPKey makes a fresh DPoP key.
func NewDPoPKey(t testing.TB) *DPoPKey {
	t.Helper()
	return &DPoPKey{Private: newECKey(t)}
}

// Thumbprint is the RFC 7638 thumbprint of the key: the value of cnf.jkt
// in tokens bound to it.
func (k *DPoPKey) Thumbprint() string { return jwkThumbprint(&k.Private.PublicKey) }

// JWK is the public key as a JWK, as a proof's jwk header carries it.
func (k *DPoPKey) JWK() map[string]any { return publicJWK(&k.Private.PublicKey) }

// Proof mints a DPoP proof for a request with method to rawURL: htu is
// rawURL without its query and fragment (§4.2), iat is now, jti is fresh
// and random, ath is the hash of accessToken unless that is empty (a
// token request), and nonce is the one the server at rawURL's origin last
// gave (none if it gave none).
func (k *DPoPKey) Proof(method, rawURL, accessToken string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	return k.ProofAt(method, rawURL, accessToken, k.nonce(u), time.Now())
}

// ProofAt mints a DPoP proof like Proof, with the nonce and iat given: for
// tests of stale or future proofs and missing or forged nonces.
func (k *DPoPKey) ProofAt(method, rawURL, accessToken, nonce string, iat time.Time) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	claims := map[string]any{
		"jti": randomID(),
		"htm": method,
		"htu": u.String(),
		"iat": iat.Unix(),
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims["ath"] = b64.EncodeToString(sum[:])
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return signES256(k.Private, map[string]any{"typ": "dpop+jwt", "jwk": k.JWK()}, claims)
}

// Nonce returns the nonce the server at rawURL's origin last gave, or "".
func (k *DPoPKey) Nonce(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return k.nonce(u)
}

func (k *DPoPKey) nonce(u *url.URL) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.nonces[origin(u)]
}

// remember keeps the DPoP-Nonce of a response from the server at u, if it
// sent one, for the next proofs to that origin.
func (k *DPoPKey) remember(u *url.URL, h http.Header) {
	n := h.Get("DPoP-Nonce")
	if n == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.nonces == nil {
		k.nonces = make(map[string]string)
	}
	k.nonces[origin(u)] = n
}

func origin(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }

// Do sends req with client, presenting accessToken as a DPoP-bound token
// (Authorization: DPoP, and a DPoP proof with ath) — or no token, when it
// is empty. When the server answers 401 with a use_dpop_nonce challenge
// and a DPoP-Nonce (§9), Do retries once with that nonce, as a client
// does; a request with a body must then have GetBody (http.NewRequest sets
// it for the usual bodies). It returns the last response.
func (k *DPoPKey) Do(ctx context.Context, client *http.Client, req *http.Request, accessToken string) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		r := req.Clone(ctx)
		if attempt > 1 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("oidctest: cannot resend %s %s with a nonce: no GetBody", req.Method, req.URL)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		}
		proof, err := k.Proof(req.Method, req.URL.String(), accessToken)
		if err != nil {
			return nil, err
		}
		r.Header.Set("DPoP", proof)
		if accessToken != "" {
			r.Header.Set("Authorization", "DPoP "+accessToken)
		}
		resp, err := client.Do(r)
		if err != nil {
			return nil, err
		}
		k.remember(req.URL, resp.Header)
		if attempt > 1 || resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("DPoP-Nonce") == "" ||
			!strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), " "), "use_dpop_nonce") {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
		resp.Body.Close()
	}
}
