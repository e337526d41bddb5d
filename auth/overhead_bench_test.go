package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"github.com/apishield/apishield/internal/jsonpointer"
	"strconv"
	"testing"
	"time"
)

// BenchmarkOverhead measures everything Verify does except the signature
// check itself — shape checks, base64url, the header, key selection, the
// claims and the Principal — on a realistic token. Signature size aside,
// this cost is the same for every algorithm, so the uncached budget
// (≤ 1.25× raw) holds whenever it is under a quarter of the fastest raw
// verification (RS256, ~30 µs on the reference machine).
func BenchmarkOverhead(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := &verifyKey{kid: "k", alg: "EdDSA", kty: "OKP", pub: pub}
	set := &keySet{keys: []*verifyKey{key}, byKID: map[string][]*verifyKey{"k": {key}}}
	src := &jwksSource{refetchInterval: time.Hour, maxStale: time.Hour, refreshMax: time.Hour}
	now := time.Now()
	src.cur.Store(&snapshot{set: set, fetched: now, next: now.Add(time.Hour)})
	roles, _ := jsonpointer.Parse("/roles")
	j := &JWT{issuer: "https://issuer.example", audience: []string{"https://api.example"},
		algs: []*algInfo{&algEdDSA}, leeway: DefaultLeeway, roles: []jsonpointer.Pointer{roles}, maxSize: DefaultMaxTokenSize, keys: src}
	n := strconv.FormatInt(now.Unix(), 10)
	e := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	enc := base64.RawURLEncoding.EncodeToString
	input := enc([]byte(`{"alg":"EdDSA","kid":"k","typ":"at+jwt"}`)) + "." + enc([]byte(
		`{"iss":"https://issuer.example","aud":"https://api.example","sub":"alice","client_id":"app","iat":`+n+`,"exp":`+e+
			`,"jti":"j1","scope":"items:read items:write","azp":"app","auth_time":`+n+`,"roles":["admin","user"],"amr":["pwd","mfa"],"acr":"1"}`))
	tok := input + "." + enc(ed25519.Sign(priv, []byte(input)))
	if _, _, err := j.verify(context.Background(), tok, set); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := splitCompact(tok, j.maxSize)
		if err != nil {
			b.Fatal(err)
		}
		h, err := parseHeader(c.header)
		if err != nil {
			b.Fatal(err)
		}
		alg := j.algorithm(h.alg)
		k, err := j.selectKey(ctx, set, h.kid, alg)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := j.claims(c.payload, k); err != nil {
			b.Fatal(err)
		}
	}
}
