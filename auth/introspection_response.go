package auth

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// readResponse returns the body of an introspection response: a 200 with
// Content-Type application/json, read no further than maxBody.
func (in *Introspection) readResponse(resp *http.Response) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		// Drain a little, so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, failed("introspection_status", fmt.Errorf("status %d", resp.StatusCode))
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, failed("introspection_content_type", fmt.Errorf("content type %.64q", ct))
	}
	if resp.ContentLength > in.maxBody {
		return nil, failed("introspection_too_large", fmt.Errorf("%d bytes, more than the %d allowed", resp.ContentLength, in.maxBody))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, in.maxBody+1))
	if err != nil {
		return nil, failed("introspection_unavailable", err)
	}
	if int64(len(body)) > in.maxBody {
		return nil, failed("introspection_too_large", fmt.Errorf("more than the %d bytes allowed", in.maxBody))
	}
	return body, nil
}

// errInactive refuses a token the issuer reports inactive: unknown,
// revoked, expired, or not one it would tell this client about.
var errInactive = invalid("token_inactive")

// refusedTypes are Keycloak's typ values of tokens that are not access
// tokens; its introspection endpoint reports them active all the same.
var refusedTypes = []string{"Refresh", "Offline", "ID", "Logout"}

// parse reads an introspection response body (RFC 7662 §2.2) into the
// principal of an active token, checked at now.
func (in *Introspection) parse(body []byte, now time.Time) (*Principal, error) {
	claims, err := decodeClaims(body)
	if err != nil {
		if errors.Is(err, errDuplicateClaim) {
			return nil, failed("introspection_malformed", errors.New("the response repeats a member name"))
		}
		return nil, failed("introspection_malformed", errors.New("the response is not a JSON object"))
	}
	active, ok := claims["active"].(bool)
	if !ok {
		return nil, failed("introspection_malformed", errors.New("active is missing or not a boolean"))
	}
	if !active {
		return nil, errInactive
	}
	dpop := false
	if v, present := claims["token_type"]; present {
		tt, _ := v.(string)
		switch {
		case strings.EqualFold(tt, "Bearer"), strings.EqualFold(tt, "access_token"):
		case strings.EqualFold(tt, "DPoP"):
			dpop = true
		default:
			return nil, invalid("token_type")
		}
	}
	if v, present := claims["typ"]; present {
		if typ, _ := v.(string); slices.ContainsFunc(refusedTypes, func(t string) bool { return strings.EqualFold(t, typ) }) {
			return nil, invalid("token_type")
		}
	}
	if _, bound := claims["cnf"]; dpop && !bound {
		// A DPoP-bound token whose key is not disclosed cannot be held
		// to it; accepting it would make it a bearer token.
		return nil, invalid("dpop_unbound")
	}
	if v, present := claims["iss"]; present {
		if iss, ok := v.(string); !ok || iss != in.issuer {
			return nil, invalid("issuer_mismatch")
		}
	}
	var aud []string
	if v, present := claims["aud"]; present {
		if aud, ok = audience(v); !ok || !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(in.audience, a) }) {
			return nil, invalid("audience_mismatch")
		}
	} else if !in.allowNoAud {
		return nil, invalid("audience_missing")
	}
	exp, _, err := numericDate(claims, "exp")
	if err != nil {
		return nil, err
	}
	nbf, _, err := numericDate(claims, "nbf")
	if err != nil {
		return nil, err
	}
	iat, _, err := numericDate(claims, "iat")
	if err != nil {
		return nil, err
	}
	authTime, _, err := numericDate(claims, "auth_time")
	if err != nil {
		return nil, err
	}
	p := &Principal{
		Issuer:   in.issuer,
		Audience: aud,
		AuthTime: authTime,
		Expiry:   exp,
		IssuedAt: iat,
		Method:   MethodIntrospection,
		Claims:   claims,
	}
	if err := identityClaims(p, claims, in.roles); err != nil {
		return nil, err
	}
	// Expiry last, so a token both expired and otherwise wrong is
	// reported as wrong, as for JWTs.
	switch {
	case !nbf.IsZero() && now.Add(in.leeway).Before(nbf):
		return nil, invalid("not_yet_valid")
	case !iat.IsZero() && now.Add(in.leeway).Before(iat):
		return nil, invalid("issued_in_future")
	case !exp.IsZero() && !now.Add(-in.leeway).Before(exp):
		return nil, errExpired
	}
	return p, nil
}
