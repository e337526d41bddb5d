package audit

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// knownTokenCases are well-known credentials, each short or uniform enough
// that the entropy check alone lets it through, and the part of each that
// must never be logged.
var knownTokenCases = []struct {
	name, token, secret string
}{
	{"slack bot", "xoxb-123456789012-abcdefghij", "123456789012-abcdefghij"},
	{"slack user", "xoxp-123456789012-1234567890", "123456789012-1234567890"},
	{"slack app", "xoxa-2-1234567890-abcdef", "2-1234567890-abcdef"},
	{"slack refresh", "xoxr-1234567890-abcdefgh", "1234567890-abcdefgh"},
	{"slack legacy", "xoxs-1234567890-abcdefgh", "1234567890-abcdefgh"},
	{"slack rotating refresh", "xoxe-1-abcdefghij1234", "1-abcdefghij1234"},
	{"slack app-level", "xapp-1-A01234-5678-abcd", "1-A01234-5678-abcd"},
	{"github personal", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
	{"github oauth", "gho_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
	{"github user-to-server", "ghu_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
	{"github server-to-server", "ghs_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
	{"github refresh", "ghr_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
	{"github fine-grained", "github_pat_11abcdefghijklmnopqrst_0123456789", "11abcdefghijklmnopqrst_0123456789"},
	{"gitlab", "glpat-abcdefghij0123456789", "abcdefghij0123456789"},
	{"stripe live secret", "sk_live_abcdef0123456789", "abcdef0123456789"},
	{"stripe live restricted", "rk_live_abcdef0123456789", "abcdef0123456789"},
	{"stripe test secret", "sk_test_abcdef0123456789", "abcdef0123456789"},
	{"stripe test restricted", "rk_test_abcdef0123456789", "abcdef0123456789"},
	{"aws access key", "AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"},
	{"aws temporary key", "ASIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"},
	{"google api key", "AIzaabcdefghijklmnopqrstuvwxyz012345678", "abcdefghijklmnopqrstuvwxyz012345678"},
	{"npm", "npm_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
	{"openai-style", "sk-proj-Ab1Cd2Ef3Gh4Ij5Kl6", "proj-Ab1Cd2Ef3Gh4Ij5Kl6"},
	{"twilio api key", "SK0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"},
	{"sendgrid", "SG.abcdefghij0123456789.abcdefghijklmnop0123456789", "abcdefghij0123456789"},
	{"jwt header alone", "eyJhbGciOiJIUzI1NiJ9", "hbGciOiJIUzI1NiJ9"},
	{"pem private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcN\nLYLInFEX6Ppy1tPf9Cnz\n-----END RSA PRIVATE KEY-----", "MIIBOgIBAAJBAKj34GkxFhD90vcN"},
	{"pem pkcs8 cut short", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"},
	{"pem openssh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA"},
	{"bearer after a tab", "Bearer\tabc.def-123", "abc.def-123"},
	{"bearer after a newline", "bearer\nabc.def-123", "abc.def-123"},
	{"basic", "Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"},
}

// tokenContexts are the places a token sits in a logged value: %s is the
// token.
var tokenContexts = []struct{ name, format string }{
	{"alone", "%s"},
	{"in a sentence", "the key is %s, keep it safe"},
	{"key=value", "note=%s&x=1"},
	{"path segment", "/v1/keys/%s/rotate"},
	{"json", `{"k":"%s"}`},
	{"parentheses", "(%s)"},
	{"after a newline", "line one\n%s"},
	{"percent-encoded quotes", "q=%%22%s%%22"},
}

// TestKnownTokensMasked: each well-known credential is masked wherever it
// sits in a value.
func TestKnownTokensMasked(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{MaxValueBytes: 4096})
	for _, tc := range knownTokenCases {
		for _, ctx := range tokenContexts {
			t.Run(tc.name+"/"+ctx.name, func(t *testing.T) {
				t.Parallel()
				in := strings.Replace(ctx.format, "%s", tc.token, 1)
				in = strings.ReplaceAll(in, "%%", "%")
				got := a.clean(in, 0)
				if strings.Contains(got, tc.secret) {
					t.Errorf("clean(%q) = %q: the secret %q got through", in, got, tc.secret)
				}
				if !strings.Contains(got, Redacted) {
					t.Errorf("clean(%q) = %q: nothing masked", in, got)
				}
			})
		}
	}
}

// TestKnownTokenLookalikes: ordinary text that starts like a token, or
// holds a prefix inside a word, is left alone.
func TestKnownTokenLookalikes(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{})
	for _, s := range []string{
		"ASIAPACIFICHEADQUARTERS moved",         // ASIA and 19 letters: not exactly 16
		"ASIA PACIFIC region",                   // ASIA alone
		"AKIA is the prefix of AWS key IDs",     // the prefix alone
		"sk-learn-and-numpy-together-in-2024",   // sk- without upper case
		"install sk-learn",                      // too short
		"sk_test_suite_name",                    // stripe prefix, body ends at _
		"xoxb-tokens-look-like-this",            // no digit: a placeholder
		"skills SKU-123 SKIP",                   // SK without 32 hex
		"SG.com and SG.sg",                      // SG. without two long parts
		"heyJude and keyJSON",                   // eyJ inside a word
		"eyJ is how base64 JSON starts",         // eyJ alone
		"my_npm_package npm_install",            // npm_ with a short body
		"ghp_ is GitHub's prefix",               // the prefix alone
		"-----BEGIN CERTIFICATE-----\nMIIB",     // a certificate is public
		"-----BEGIN PUBLIC KEY-----\nMIIBIjAN",  // a public key is public
		"the bearer of this note",               // bearer as a word, then a word…
		"/v1/items/42?limit=10",                 // an ordinary request
		"Mozilla/5.0 (X11; Linux x86_64) Gecko", // an ordinary user agent
	} {
		want := escape(s)
		if s == "the bearer of this note" {
			want = "the bearer " + Redacted + " this note" // …which the scheme rule masks, as it always has
		}
		if got := a.clean(s, 0); got != want {
			t.Errorf("clean(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestKnownTokensNeverLogged: each well-known credential, sent in an event
// message, an attribute value, the URL query (with values logged) and the
// path, appears in no output line of either schema.
func TestKnownTokensNeverLogged(t *testing.T) {
	t.Parallel()
	for _, schema := range []Schema{ECS, OCSF} {
		t.Run(map[Schema]string{ECS: "ecs", OCSF: "ocsf"}[schema], func(t *testing.T) {
			t.Parallel()
			a, flush, buf := newTest(t, Config{Schema: schema, LogQueryValues: true, MaxValueBytes: 4096})
			for _, tc := range knownTokenCases {
				h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					a.Log(r.Context(), Event{Action: "key_rotated", Message: "rotated " + tc.token,
						Attrs: []slog.Attr{slog.String("note", "old key "+tc.token), slog.Group("g", slog.String("v", tc.token))}})
				}))
				req := httptest.NewRequest("GET", "/v1/keys/"+url.PathEscape(tc.token)+"?q="+url.QueryEscape(tc.token)+"&p="+url.PathEscape(tc.token), nil)
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			lines := flush()
			if len(lines) != 2*len(knownTokenCases) {
				t.Fatalf("%d lines, want %d", len(lines), 2*len(knownTokenCases))
			}
			out := buf.String()
			for _, tc := range knownTokenCases {
				for _, leak := range []string{tc.secret, url.QueryEscape(tc.secret), url.PathEscape(tc.secret)} {
					if strings.Contains(out, leak) {
						t.Errorf("%s: output contains %q", tc.name, leak)
					}
				}
			}
		})
	}
}

// FuzzKnownTokens: a well-known token built from the fuzzer's bytes, set
// between any text, is never logged, and masking never panics.
func FuzzKnownTokens(f *testing.F) {
	f.Add(uint8(0), []byte("123456789012-abcdefghij"), "before ", " after", uint8(0))
	f.Add(uint8(18), []byte("IOSFODNN7EXAMPLE"), "x=", "&y", uint8(3))
	f.Add(uint8(25), []byte("hbGciOiJIUzI1NiJ9"), "Bearer", "", uint8(5))
	a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}, MaxValueBytes: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	seps := []string{" ", "/", "=", "&", `"`, ",", ":", "%20", "%3D", "+", "\t", "\n", "(", "'", ";", "\x00", "[", "\u00a0"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte, before, after string, sep uint8) {
		a.clean(before+string(body)+after, 0) // never panics, whatever the text
		tok, secret := fuzzToken(which, body)
		s := seps[int(sep)%len(seps)]
		in := before + s + tok + s + after
		got := a.clean(in, 0)
		if !strings.Contains(got, secret) {
			return
		}
		// The text around the token may hold the same characters on its
		// own: only a secret that the token brought is a leak.
		if without := a.clean(before+s+Redacted+s+after, 0); !strings.Contains(without, secret) {
			t.Fatalf("clean(%q) = %q: the secret %q got through", in, got, secret)
		}
	})
}

// fuzzToken builds a token of knownTokens[which] from b: b's bytes mapped
// onto the shape's alphabet, at least the shape's length (exactly, for an
// exact shape), with the character classes it needs. secret is the body.
func fuzzToken(which uint8, b []byte) (tok, secret string) {
	k := knownTokens[int(which)%len(knownTokens)]
	var alpha []byte
	for c := 0; c < 256; c++ {
		if k.alpha[c] && c != '.' { // a dot inside eyJ… could end a JWT's run early: keep it simple
			alpha = append(alpha, byte(c))
		}
	}
	n := max(len(b), k.min)
	if k.exact {
		n = k.min
	}
	body := make([]byte, n)
	for i := range body {
		var c byte
		if i < len(b) {
			c = b[i]
		} else {
			c = byte(i * 7)
		}
		body[i] = alpha[int(c)%len(alpha)]
	}
	if k.need&needUpper != 0 {
		body[0] = 'Q'
	}
	if k.need&needLower != 0 {
		body[1] = 'q'
	}
	if k.need&needDigit != 0 {
		body[2] = '7'
	}
	secret = string(body)
	if k.dotted {
		secret = string(body) + "." + string(body)
	}
	return k.prefix + secret, secret
}

// TestCleanBoundsWhatItReads: a value far longer than what is logged is
// read only up to a bound past the cut; the cut still shows when masking
// shrank what was read, and a secret straddling the logged length is
// masked before the cut.
func TestCleanBoundsWhatItReads(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{MaxValueBytes: 64})
	tests := []struct {
		name, in string
		want     string
	}{
		{"one long jwt-looking word", "eyJ" + strings.Repeat("a", 4*maskSlack) + " tail", Redacted + truncated},
		{"a token across the cut", strings.Repeat("a ", 30) + "xoxb-123456789012-abcdefghij", truncate(strings.Repeat("a ", 30)+Redacted, 64)},
		{"short", "xoxb-123456789012-abcdefghij", Redacted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := a.clean(tt.in, 0); got != tt.want {
				t.Errorf("clean(%.40q…) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestMaskingCopiesOnce: masking many secrets in one value builds the
// result once, rather than copying the whole value per secret, which made
// a value full of secrets cost the square of its length.
func TestMaskingCopiesOnce(t *testing.T) { // not parallel: AllocsPerRun
	tests := []struct {
		name string
		mask func(string) string
		in   string
	}{
		{"configured prefix", func(s string) string { return maskPrefix(s, "ak_") }, strings.Repeat("ak_1 ", 1000)},
		{"known tokens", maskKnownTokens, strings.Repeat("AKIAIOSFODNN7EXAMPLE ", 1000)},
		{"pem blocks", maskPEM, strings.Repeat("-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----", 1000)},
	}
	for _, tt := range tests {
		if got := tt.mask(tt.in); strings.Count(got, Redacted) != 1000 {
			t.Errorf("%s: %d masks, want 1000", tt.name, strings.Count(got, Redacted))
		}
		if n := testing.AllocsPerRun(10, func() { tt.mask(tt.in) }); n > 10 {
			t.Errorf("%s: %v allocations for 1000 secrets, want a few", tt.name, n)
		}
	}
}

// FuzzSchemePrefilter: the cheap scan that lets values skip schemeRE never
// skips one the regexp would mask.
func FuzzSchemePrefilter(f *testing.F) {
	for _, s := range []string{"Bearer abc", "x API-KEY%20y", "to\u212Aen abc", "dpop\\u0009x", "plain text"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if schemeRE.MatchString(s) && !hasSchemeWord(s) {
			t.Fatalf("schemeRE matches %q, the prefilter says no", s)
		}
	})
}
