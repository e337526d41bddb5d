package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// dpopCase is one entry of testdata/dpop/attacks.json; its "about" member
// documents the fields.
type dpopCase struct {
	Name       string `json:"name"`
	Header     string `json:"header"`
	Claims     string `json:"claims"`
	Signer     string `json:"signer"`
	Token      string `json:"token"`
	Scheme     string `json:"scheme"`
	Proofs     *int   `json:"proofs"`
	Nonces     bool   `json:"nonces"`
	Path       string `json:"path"`
	Replay     bool   `json:"replay"`
	WantStatus int    `json:"want_status"`
	WantReason string `json:"want_reason"`
	WantCheck  string `json:"want_check"`
}

var relTime = regexp.MustCompile(`\$\{now([+-]\d+)\}`)

// TestDPoPCorpus runs every DPoP attack in testdata/dpop/attacks.json
// through the middleware and asserts its status, problem reason and check.
func TestDPoPCorpus(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/dpop/attacks.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []dpopCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Cases) < 40 {
		t.Fatalf("corpus has %d cases; it lost some", len(corpus.Cases))
	}
	client, other := newDPoPClient(t), newDPoPClient(t)
	plain := newDPoPStack(t, nil)
	withNonces := newDPoPStack(t, func(c *auth.JWTConfig) {
		c.DPoP.Nonce = auth.DPoPNonceConfig{Keys: [][]byte{nonceKey}, Period: noncePeriod}
	})
	tokens := map[string]string{
		"bound":       boundToken(t, client.jkt),
		"bound_other": boundToken(t, other.jkt),
		"unbound":     boundToken(t, ""),
	}
	for _, tc := range corpus.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			s := plain
			if tc.Nonces {
				s = withNonces
			}
			token := tokens[orStr(tc.Token, "bound")]
			now := time.Now()
			sub := func(tmpl string) string {
				tmpl = relTime.ReplaceAllStringFunc(tmpl, func(m string) string {
					n, _ := strconv.ParseInt(relTime.FindStringSubmatch(m)[1], 10, 64)
					return itoa(now.Unix() + n)
				})
				return strings.NewReplacer(
					"${jwk}", client.jwk, "${jwk_private}", client.jwkPrivate, "${jti}", randomJTI(),
					"${htu}", testOrigin+"/v1/items", "${ath}", athOf(token), "${ath_other}", athOf(tokens["unbound"]),
					"${now}", itoa(now.Unix()), "${nonce}", testNonce(nonceKey, nonceBucket(now)),
					"${nonce_stale}", testNonce(nonceKey, nonceBucket(now)-2),
					"${nonce_forged}", testNonce([]byte("another key, 32 bytes long......"), nonceBucket(now)),
					"${pad}", strings.Repeat("a", 5000),
				).Replace(tmpl)
			}
			header := orStr(tc.Header, `{"typ":"dpop+jwt","alg":"ES256","jwk":${jwk}}`)
			claims := orStr(tc.Claims, `{"jti":"${jti}","htm":"GET","htu":"${htu}","iat":${now},"ath":"${ath}"}`)
			var proof string
			switch tc.Signer {
			case "", "client":
				proof = client.proof(t, sub(header), sub(claims))
			case "other":
				proof = other.proof(t, sub(header), sub(claims))
			case "garbage":
				proof = b64(sub(header)) + "." + b64(sub(claims)) + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
			default:
				t.Fatalf("unknown signer %q", tc.Signer)
			}
			n := 1
			if tc.Proofs != nil {
				n = *tc.Proofs
			}
			send := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", "https://api.example.com"+orStr(tc.Path, "/v1/items"), nil)
				req.Header.Set("Authorization", orStr(tc.Scheme, "DPoP")+" "+token)
				for range n {
					req.Header.Add("DPoP", proof)
				}
				w := httptest.NewRecorder()
				s.h.ServeHTTP(w, req)
				return w
			}
			w := send()
			if tc.Replay {
				if w.Code != http.StatusOK {
					t.Fatalf("first use of the proof: got %d %s", w.Code, w.Body)
				}
				w = send()
			}
			// The stack is shared by parallel cases: the check comes from
			// this request's record, through X-Test-Check (checkWriter).
			if w.Code != tc.WantStatus {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tc.WantStatus)
			}
			if tc.WantStatus == http.StatusOK {
				return
			}
			var prob struct {
				Reason string `json:"reason"`
			}
			json.Unmarshal(w.Body.Bytes(), &prob)
			if prob.Reason != tc.WantReason {
				t.Errorf("got reason %q, want %q", prob.Reason, tc.WantReason)
			}
			if got := w.Header().Get("X-Test-Check"); got != tc.WantCheck {
				t.Errorf("got check %q, want %q", got, tc.WantCheck)
			}
			if strings.Contains(w.Body.String(), tc.WantCheck) {
				t.Errorf("the response names the check: %s", w.Body)
			}
			ch := w.Header().Get("WWW-Authenticate")
			switch tc.WantReason {
			case "use_dpop_nonce":
				if !strings.HasPrefix(ch, `DPoP realm="api", algs="ES256 ES384 EdDSA PS256 RS256", error="use_dpop_nonce"`) {
					t.Errorf("got WWW-Authenticate %q", ch)
				}
				if got := w.Header().Get("DPoP-Nonce"); got != testNonce(nonceKey, nonceBucket(time.Now())) {
					t.Errorf("got DPoP-Nonce %q, want the current nonce", got)
				}
			case "invalid_dpop_proof":
				if !strings.HasPrefix(ch, `DPoP realm="api", algs="ES256 ES384 EdDSA PS256 RS256", error="invalid_dpop_proof"`) ||
					!strings.HasSuffix(ch, `, Bearer realm="api"`) {
					t.Errorf("got WWW-Authenticate %q", ch)
				}
			case "invalid_token":
				if !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, `algs="ES256 ES384 EdDSA PS256 RS256"`) {
					t.Errorf("got WWW-Authenticate %q", ch)
				}
			}
		})
	}
}

func orStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
