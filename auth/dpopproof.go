package auth

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// proofHeader holds the JOSE header parameters of a proof.
type proofHeader struct {
	typ string
	alg string
	jwk []byte // the raw JSON object
}

// errProofHeaderInvalid refuses a proof header that is not one JSON object
// of unique members.
var errProofHeaderInvalid = proofErr("dpop_header_invalid")

// parseProofHeader decodes a proof's JOSE header as strictly as
// parseHeader does a token's: no duplicate members, string typ and alg;
// crit, b64, JWE parameters and key references other than the embedded
// jwk (jku, x5u, x5c) are refused.
func parseProofHeader(data []byte) (proofHeader, error) {
	var h proofHeader
	if !utf8.Valid(data) || !json.Valid(data) {
		return h, proofErr("dpop_header_invalid")
	}
	err := forEachUniqueMember(data, errProofHeaderInvalid, errProofHeaderInvalid, func(key string, v []byte) error {
		var ok bool
		switch key {
		case "typ":
			h.typ, ok = jsonString(v)
		case "alg":
			h.alg, ok = jsonString(v)
		case "jwk":
			h.jwk, ok = v, len(v) > 0 && v[0] == '{'
		case "crit", "b64", "enc", "zip", "jku", "x5u", "x5c":
			ok = false
		default:
			ok = true
		}
		if !ok {
			return proofErr("dpop_header_invalid")
		}
		return nil
	})
	if err != nil {
		if err == errNotObject {
			return h, proofErr("dpop_header_invalid")
		}
		return h, err
	}
	return h, nil
}

// proofClaims are a proof's claims.
type proofClaims struct {
	parsedProof
	htm, htu string
}

// parseProofClaims reads jti, htm, htu, iat, ath and nonce. Each present
// claim must have its type; duplicates are refused; other claims are
// ignored (RFC 9449 §4.2 allows them).
func parseProofClaims(data []byte) (*proofClaims, error) {
	p := &proofClaims{}
	if !utf8.Valid(data) || !json.Valid(data) {
		return nil, proofErr("dpop_claims_invalid")
	}
	var seen [32]string
	nseen := 0
	var hasIat, hasJti, hasHtm, hasHtu bool
	err := forEachMember(data, func(key string, escaped bool, keyRaw, v []byte) error {
		if !escaped {
			key = stringOf(keyRaw)
		}
		for _, s := range seen[:nseen] {
			if s == key {
				return proofErr("dpop_claims_invalid")
			}
		}
		if nseen == len(seen) {
			return proofErr("dpop_claims_invalid")
		}
		seen[nseen] = key
		nseen++
		var ok bool
		switch key {
		case "jti":
			p.jti, ok = jsonString(v)
			if !ok || p.jti == "" || len(p.jti) > maxJTILength {
				return proofErr("dpop_jti")
			}
			hasJti = true
		case "htm":
			p.htm, ok = jsonString(v)
			hasHtm = true
		case "htu":
			p.htu, ok = jsonString(v)
			hasHtu = true
		case "ath":
			p.ath, ok = jsonString(v)
			p.hasAth = true
		case "nonce":
			p.nonce, ok = jsonString(v)
		case "iat":
			f, err := strconv.ParseFloat(stringOf(v), 64)
			if v[0] < '0' || v[0] > '9' || err != nil || f > maxNumericDate {
				return proofErr("dpop_iat_invalid")
			}
			sec := int64(f)
			p.iat = time.Unix(sec, int64((f-float64(sec))*1e9))
			hasIat, ok = true, true
		default:
			ok = true
		}
		if !ok {
			return proofErr("dpop_claims_invalid")
		}
		return nil
	})
	if err != nil {
		if err == errNotObject {
			return nil, proofErr("dpop_claims_invalid")
		}
		return nil, err
	}
	switch {
	case !hasJti:
		return nil, proofErr("dpop_jti")
	case !hasHtm:
		return nil, proofErr("dpop_htm")
	case !hasHtu:
		return nil, proofErr("dpop_htu")
	case !hasIat:
		return nil, proofErr("dpop_iat_invalid")
	}
	return p, nil
}
