package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"hash"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

type vector struct {
	Name   string `json:"name"`
	Ref    string `json:"ref"`
	Alg    string `json:"alg"`
	Header string `json:"header"`
	Claims string `json:"claims"`
	Signer string `json:"signer"`
	Mutate string `json:"mutate"`
	Want   string `json:"want"`
}

func loadCorpus(t *testing.T) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/attacks.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&struct {
		About   string    `json:"about"`
		Vectors *[]vector `json:"vectors"`
	}{Vectors: &doc.Vectors}); err != nil {
		t.Fatal(err)
	}
	return doc.Vectors
}

var placeholder = regexp.MustCompile(`\$\{(now|iss|aud|alg|kid)([+-]\d+)?\}`)

func expand(s string, now time.Time, alg string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		switch sub[1] {
		case "iss":
			return testIssuer
		case "aud":
			return testAudience
		case "alg", "kid":
			return alg
		}
		n := now.Unix()
		if sub[2] != "" {
			d, _ := strconv.ParseInt(sub[2], 10, 64)
			n += d
		}
		return strconv.FormatInt(n, 10)
	})
}

// build makes the vector's token.
func (v vector) build(t *testing.T, now time.Time) string {
	t.Helper()
	r := keys(t)
	alg := v.Alg
	if alg == "" {
		alg = "ES256"
	}
	header := v.Header
	if header == "" {
		header = `{"alg":"${alg}","kid":"${kid}"}`
	}
	header = expand(header, now, alg)
	claims := claimsJSON(now, "")
	if v.Claims != "" {
		claims = expand(v.Claims, now, alg)
	}
	input := b64(header) + "." + b64(claims)
	var sig []byte
	switch v.Signer {
	case "":
		sig = rawSign(t, alg, r.private(alg), []byte(input))
	case "rsa2":
		sig = rawSign(t, alg, r.rsa2, []byte(input))
	case "ec384":
		sig = rawSign(t, "ES384", r.ec384, []byte(input))
	case "attacker":
		sig = rawSign(t, "ES256", r.attacker, []byte(input))
	case "none":
	case "hmac-public":
		der, err := x509.MarshalPKIXPublicKey(&r.rsa.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		var h func() hash.Hash
		switch alg {
		case "HS256":
			h = sha256.New
		case "HS384":
			h = sha512.New384
		default:
			h = sha512.New
		}
		m := hmac.New(h, secret)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case "zero-ecdsa":
		sig = make([]byte, 64)
	case "der-ecdsa":
		d := sha256.Sum256([]byte(input))
		var err error
		sig, err = ecdsa.SignASN1(randReader{}, r.ec256, d[:])
		if err != nil {
			t.Fatal(err)
		}
	case "truncate":
		sig = rawSign(t, alg, r.private(alg), []byte(input))
		sig = sig[:len(sig)-1]
	default:
		t.Fatalf("unknown signer %q", v.Signer)
	}
	tok := input + "." + base64.RawURLEncoding.EncodeToString(sig)
	h, p, s := b64(header), b64(claims), base64.RawURLEncoding.EncodeToString(sig)
	switch v.Mutate {
	case "":
	case "flip_sig":
		sig[len(sig)/2] ^= 1
		tok = input + "." + base64.RawURLEncoding.EncodeToString(sig)
	case "swap_payload":
		other := b64(claimsJSON(now, `"admin":true`))
		tok = h + "." + other + "." + s
	case "two_segments":
		tok = h + "." + p
	case "extra_segment":
		tok = tok + "." + s
	case "trailing_dot":
		tok += "."
	case "jwe":
		tok = b64(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d"
	case "json_serialization":
		tok = `{"payload":"` + p + `","protected":"` + h + `","signature":"` + s + `"}`
	case "leading_space":
		tok = " " + tok
	case "trailing_newline":
		tok += "\n"
	case "inner_newline":
		tok = h + "." + p[:4] + "\n" + p[4:] + "." + s
	case "padding":
		tok += "=="
	case "std_b64":
		tok = h + "." + p + "." + base64.RawStdEncoding.EncodeToString(append(sig, 0xfb, 0xff))
	case "nonzero_bits":
		// 64-byte signature: 86 characters, the last carrying 2 unused bits.
		last := s[len(s)-1]
		idx := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", last)
		tok = h + "." + p + "." + s[:len(s)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[idx|1])
	case "empty_header":
		tok = "." + p + "." + s
	case "oversize":
		tok = h + "." + b64(claimsJSON(now, `"pad":"`+strings.Repeat("x", 9000)+`"`)) + "." + s
	case "empty":
		tok = ""
	default:
		t.Fatalf("unknown mutation %q", v.Mutate)
	}
	return tok
}

// randReader is crypto/rand for ecdsa.SignASN1 without importing it twice.
type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return cryptoRandRead(p) }

// TestAttackCorpus runs every vector in testdata/attacks.json: valid tokens
// for all ten algorithms verify; every attack is refused by the check the
// vector names, with the right outcome sentinel.
func TestAttackCorpus(t *testing.T) {
	t.Parallel()
	vectors := loadCorpus(t)
	if n := len(vectors); n < 40 {
		t.Fatalf("corpus has %d vectors, want at least 40", n)
	}
	srv := newJWKSServer(standardSet(t))
	j := newVerifier(t, srv, func(c *auth.JWTConfig) { c.CacheSize = -1 })
	now := time.Now()
	seen := map[string]bool{}
	for _, v := range vectors {
		if seen[v.Name] {
			t.Fatalf("duplicate vector name %q", v.Name)
		}
		seen[v.Name] = true
		t.Run(v.Name, func(t *testing.T) {
			tok := v.build(t, now)
			p, err := j.Verify(context.Background(), tok)
			if v.Want == "ok" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.Issuer != testIssuer || p.Method != auth.MethodJWT {
					t.Errorf("principal = %+v", p)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token; want %s", v.Want)
			}
			if got := auth.CheckOf(err); got != v.Want {
				t.Fatalf("refused by %q (%v), want %q", got, err, v.Want)
			}
			wantErr := auth.ErrInvalidToken
			if v.Want == "expired" {
				wantErr = auth.ErrTokenExpired
			}
			if !errors.Is(err, wantErr) {
				t.Errorf("err = %v, want it to wrap %v", err, wantErr)
			}
		})
	}
	if n := srv.fetches.Load(); n > 2 {
		t.Errorf("the corpus caused %d key set fetches; unknown kids must share one", n)
	}
}
