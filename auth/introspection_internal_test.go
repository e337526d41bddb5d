package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

const (
	fuzzIssuer   = "https://issuer.example"
	fuzzAudience = "https://api.example"
	fuzzMaxBody  = 4 << 10
)

// FuzzIntrospectionResponse runs the response reader and parser over
// arbitrary bodies: they never panic, nothing over MaxResponseSize is
// parsed, every refusal names its check and one outcome, and a body is
// accepted only if encoding/json reads it as an object whose active is
// exactly true, whose iss (if any) is the issuer, whose aud names the
// audience, and whose times allow it now; the principal then says what
// the body says.
func FuzzIntrospectionResponse(f *testing.F) {
	in, err := NewIntrospection(IntrospectionConfig{
		Endpoint: "https://idp.example/introspect", Issuer: fuzzIssuer, Audience: []string{fuzzAudience},
		ClientID: "c", ClientSecret: "s", MaxResponseSize: fuzzMaxBody, RolePaths: []string{"/roles", "/realm_access/roles"},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	exp := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	good := `{"active":true,"iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","sub":"alice","exp":` + exp + `,"scope":"a b"}`
	for _, s := range []string{
		good,
		`{"active":false}`,
		`{"active":"true","aud":"` + fuzzAudience + `"}`,
		`{"active":1,"aud":"` + fuzzAudience + `"}`,
		`{"active":true,"active":true,"aud":"` + fuzzAudience + `"}`,
		`{"active":true,"aud":["x","` + fuzzAudience + `"],"token_type":"DPoP","cnf":{"jkt":"x"}}`,
		`{"active":true,"aud":"` + fuzzAudience + `","exp":1e999}`,
		`{"active":true,"aud":"` + fuzzAudience + `","roles":["r"],"realm_access":{"roles":"admin"},"amr":["pwd"],"acr":"1","client_id":"app"}`,
		`{"active":true,"aud":"` + fuzzAudience + `","nbf":` + exp + `}`,
		`{"active":true,"aud":"` + fuzzAudience + `","typ":"Refresh"}`,
		`[true]`, `true`, `{"active":true`, "{\"active\":true,\"sub\":\"\xff\"}",
		`{"active":true,"aud":"` + fuzzAudience + `","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add(bytes.Repeat([]byte(" "), fuzzMaxBody+1), true)
	f.Fuzz(func(t *testing.T, body []byte, declareLength bool) {
		resp := &http.Response{
			StatusCode:    http.StatusOK,
			Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: -1,
		}
		if declareLength {
			resp.ContentLength = int64(len(body))
		}
		b, err := in.readResponse(resp)
		if len(body) > fuzzMaxBody {
			if CheckOf(err) != "introspection_too_large" || b != nil {
				t.Fatalf("a body of %d bytes was read: %v", len(body), err)
			}
			return
		}
		if err != nil || !bytes.Equal(b, body) {
			t.Fatalf("readResponse = %q, %v", b, err)
		}
		p, err := in.parse(b, now)
		if err != nil {
			if CheckOf(err) == "" {
				t.Fatalf("error without a check: %v", err)
			}
			n := 0
			for _, o := range []error{ErrInvalidToken, ErrTokenExpired, ErrKeysUnavailable} {
				if errors.Is(err, o) {
					n++
				}
			}
			if n != 1 || errors.Is(err, ErrKeysUnavailable) != errors.Is(err, ErrIntrospectionUnavailable) {
				t.Fatalf("error with %d outcomes: %v", n, err)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("accepted what encoding/json refuses (%v): %q", err, body)
		}
		if active, ok := m["active"].(bool); !ok || !active {
			t.Fatalf("accepted active = %#v", m["active"])
		}
		if iss, present := m["iss"]; present && iss != fuzzIssuer {
			t.Fatalf("accepted iss %#v", iss)
		}
		aud, ok := audience(m["aud"])
		if !ok || !slices.Contains(aud, fuzzAudience) || !slices.Equal(aud, p.Audience) {
			t.Fatalf("accepted aud %#v as %q", m["aud"], p.Audience)
		}
		if e, present := m["exp"]; present {
			if f, ok := e.(float64); !ok || p.Expiry.Unix() != int64(f) || !now.Add(-DefaultLeeway).Before(p.Expiry) {
				t.Fatalf("accepted exp %#v as %v", e, p.Expiry)
			}
		} else if !p.Expiry.IsZero() {
			t.Fatalf("expiry %v without exp", p.Expiry)
		}
		if sub, _ := m["sub"].(string); p.Subject != sub {
			t.Fatalf("subject %q from sub %#v", p.Subject, m["sub"])
		}
		if p.Method != MethodIntrospection || p.Issuer != fuzzIssuer {
			t.Fatalf("principal %+v", p)
		}
	})
}

// TestAnswerCacheBounded: a flood of distinct tokens, active or refused,
// never grows a cache past CacheSize.
func TestAnswerCacheBounded(t *testing.T) {
	t.Parallel()
	in, err := NewIntrospection(IntrospectionConfig{
		Endpoint: "https://idp.example/introspect", Issuer: fuzzIssuer, Audience: []string{fuzzAudience},
		ClientID: "c", ClientSecret: "s", CacheSize: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := &Principal{Expiry: now.Add(time.Hour)}
	for i := range 100 {
		k := hashToken(fmt.Sprint(i))
		in.store(&k, &answer{p: p}, now)
		in.store(&k, &answer{err: errInactive}, now)
		// A failure is never stored.
		in.store(&k, &answer{err: failed("introspection_status", errors.New("status 500"))}, now)
	}
	if a, g := in.active.len(), in.gone.len(); a > 8 || g > 8 || a == 0 || g == 0 {
		t.Errorf("cache sizes %d and %d, want 1 to 8", a, g)
	}
	// The last answers are in, so a look-up finds them.
	k := hashToken("99")
	if a, ok := in.peek(&k, now); !ok || a.p != p {
		t.Errorf("the newest answer is missing: %v %v", a, ok)
	}
}
