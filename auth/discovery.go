package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// discover reads the issuer's OpenID Provider metadata (OpenID Connect
// Discovery 1.0 §4) and returns its jwks_uri. The metadata's issuer must
// equal the configured one exactly (§4.3): metadata served for another
// issuer is how a mix-up attack starts.
func discover(ctx context.Context, client *http.Client, issuer string, limit int64) (string, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	body, _, err := getBounded(ctx, client, u, "application/json", limit)
	if err != nil {
		return "", err
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return "", fmt.Errorf("metadata is not a JSON object: %w", err)
	}
	if meta.Issuer != issuer {
		return "", fmt.Errorf("metadata names issuer %q, not %q", meta.Issuer, issuer)
	}
	if meta.JWKSURI == "" {
		return "", errors.New("metadata has no jwks_uri")
	}
	if err := checkURL(meta.JWKSURI); err != nil {
		return "", fmt.Errorf("jwks_uri: %w", err)
	}
	return meta.JWKSURI, nil
}
