package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apishield/apishield/internal/record"
)

// Secrets a client may send, and the parts of them that must never appear
// in any output line.
const (
	// A realistic HS256 JWT.
	testJWT    = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTk5OTk5OTk5OX0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	testAPIKey = "ak_live_7Hq2ZpXv9LmN3rT6wYb1"
	testCookie = "sess_Zm9vYmFyYmF6cXV4"
	testPass   = "hunter2-Correct-Horse"
)

// leaks lists substrings that would show that a secret got through: each
// secret whole, and the JWT's signature alone.
var leaks = []string{testJWT, testJWT[strings.LastIndexByte(testJWT, '.')+1:], testAPIKey,
	testAPIKey[len("ak_live_"):], testCookie, testPass}

// TestSecretsNeverLogged sends a bearer token, an API key, a cookie and a
// password in every place a client or application can put them, in both
// schemas and with query values on and off, and checks that no output line
// contains any of them.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	for _, schema := range []Schema{ECS, OCSF} {
		for _, queryVals := range []bool{false, true} {
			t.Run(map[Schema]string{ECS: "ecs", OCSF: "ocsf"}[schema]+map[bool]string{false: "", true: "+query"}[queryVals], func(t *testing.T) {
				t.Parallel()
				a, flush, buf := newTest(t, Config{
					Schema: schema, LogQueryValues: queryVals, SecretPrefixes: []string{"ak_live_"},
					Headers: []string{"X-Debug", "Referer"}, ChainKey: []byte(strings.Repeat("k", 32)),
				})
				h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					rec := record.From(r.Context())
					// A careless package or app putting secrets into the record.
					rec.SetPrincipal(record.Principal{Subject: "alice", ClientID: testAPIKey, Method: "Bearer " + testJWT})
					rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Deny, Reason: "invalid_token", Rule: "token=" + testJWT})
					rec.AddFieldErrors(record.FieldError{In: "body", Pointer: "/password", Detail: "got " + testPass + "? password=" + testPass})
					rec.SetProblem(record.Problem{Status: 422, Reason: "validation_failed"})
					a.Log(r.Context(), Event{Action: ActionAuthnLoginFail, Outcome: Failure, User: "alice " + testAPIKey,
						Target: "Bearer " + testJWT, Message: "login with password=" + testPass + " cookie: " + testCookie,
						Reason: testAPIKey,
						Attrs: []slog.Attr{
							slog.String("password", testPass), slog.String("Authorization", "Bearer "+testJWT),
							slog.String("note", "key "+testAPIKey+" and jwt "+testJWT), slog.String("session_id", testCookie),
							slog.Any("nested", map[string]string{"token": testJWT}),
							slog.Group("g", slog.String("api-key", testAPIKey), slog.String("cookie", testCookie)),
						}})
					w.WriteHeader(422)
				}))
				q := url.Values{"access_token": {testJWT}, "api_key": {testAPIKey}, "password": {testPass},
					"q": {"Bearer " + testJWT}, "next": {"/x?token=" + testJWT}, "free": {testAPIKey}}
				paths := []string{
					"/v1/items?" + q.Encode(),
					"/v1/" + testJWT + "/items/" + testAPIKey,
					"/v1/login;jsessionid=" + testCookie + "?" + "api%5Fkey=" + testAPIKey,
				}
				for _, p := range paths {
					req := httptest.NewRequest("POST", p, strings.NewReader(`{"password":"`+testPass+`"}`))
					req.Header.Set("Authorization", "Bearer "+testJWT)
					req.Header.Set("X-API-Key", testAPIKey)
					req.Header.Set("Cookie", "session="+testCookie+"; token="+testJWT)
					req.Header.Set("Proxy-Authorization", "Basic "+testPass)
					req.Header.Set("User-Agent", "client/1.0 (token="+testJWT+"; key "+testAPIKey+") Bearer "+testJWT)
					req.Header.Set("Referer", "https://app.example/cb?code=1&access_token="+testJWT)
					req.Header.Set("X-Debug", "auth="+testAPIKey+" cookie: "+testCookie+" "+testJWT)
					req.Header.Set("X-Request-ID", testJWT)
					req.Header.Set("X-Forwarded-For", testAPIKey)
					h.ServeHTTP(httptest.NewRecorder(), req)
				}
				lines := flush()
				if len(lines) != 2*len(paths) {
					t.Fatalf("%d lines, want %d", len(lines), 2*len(paths))
				}
				out := buf.String()
				for _, s := range leaks {
					if strings.Contains(out, s) {
						t.Errorf("output contains secret %q:\n%s", s, out)
					}
				}
				if !strings.Contains(out, Redacted) {
					t.Error("nothing was redacted: the test did not reach the masking")
				}
				if schema == ECS && !strings.Contains(out, `"in":"body","pointer":"/password"`) {
					t.Errorf("the field error lost where its value was:\n%s", out)
				}
				if _, err := Verify(strings.NewReader(out), []byte(strings.Repeat("k", 32))); err != nil {
					t.Errorf("Verify: %v", err)
				}
			})
		}
	}
}

func TestMaskPrefixInsideTheMask(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{SecretPrefixes: []string{"RED"}})
	if got := a.mask("x REDabc y REDdef"); got != "x "+Redacted+" y "+Redacted {
		t.Errorf("mask = %q", got)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{SecretPrefixes: []string{"ak_live_"}})
	tests := []struct{ in, want string }{
		{"Bearer " + testJWT, "Bearer " + Redacted},
		{"basic dXNlcjpwYXNz", "basic " + Redacted},
		{"x " + testJWT + " y", "x " + Redacted + " y"},
		{"k=" + testAPIKey, "k=" + Redacted},
		{"password=abc&x=1", "password=" + Redacted + "&x=1"},
		{`{"client_secret": "s3cr3t"}`, `{"client_secret": "` + Redacted + `"}`},
		{"/v1/items/42", "/v1/items/42"},
		{"/v1/items/0190b6f6-7a3e-7c4e-9a1b-4f2b8c1d2e3f", "/v1/items/0190b6f6-7a3e-7c4e-9a1b-4f2b8c1d2e3f"},
		{"sha e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"id 01JD8Y2C6T0W2B6M3Z5QH7R9KX", "id 01JD8Y2C6T0W2B6M3Z5QH7R9KX"},
		{"random Xk9fQ2LmN8vB4tR7wZ1yH6jD3sA5gE0c", "random " + Redacted},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},
	}
	for _, tt := range tests {
		if got := a.mask(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestInjection sends CR/LF, bidi overrides, NULs, invalid UTF-8 and JSON
// that tries to forge fields, and checks that every event stays one line
// of valid JSON whose fields are exactly the auditor's.
func TestInjection(t *testing.T) {
	t.Parallel()
	a, flush, buf := newTest(t, Config{})
	evil := []string{
		"ok\r\n{\"event\":{\"outcome\":\"success\"}}",
		"admin\u202egnp.exe",
		"a\x00b\x1b[31mred\x7f\u0085\u2028\u2066x\u2069",
		"bad \xff\xfe utf8",
		`x", "user": {"id": "root"}, "y": "`,
		`\u000d\n literal escapes`,
	}
	for _, s := range evil {
		req := httptest.NewRequest("GET", "/x", nil)
		req.URL.Path = "/x/" + s
		req.Header.Set("User-Agent", s)
		serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			record.From(r.Context()).SetPrincipal(record.Principal{Subject: s})
			a.Log(r.Context(), Event{Action: "user_updated", Message: s, Target: s,
				Attrs: []slog.Attr{slog.String(s, s), slog.String("event.outcome", "success")}})
		}), req)
	}
	lines := flush()
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 2*len(evil) || len(lines) != n {
		t.Fatalf("%d newlines and %d JSON lines for %d events", n, len(lines), 2*len(evil))
	}
	if !utf8.ValidString(out) {
		t.Error("output is not valid UTF-8")
	}
	for i, m := range lines {
		s := evil[i/2]
		// Decoded values hold no control or format character at all.
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				for _, r := range v {
					if needsEscape(r) {
						t.Errorf("line %d: decoded value %q holds %U", i+1, v, r)
					}
				}
			case map[string]any:
				for k, x := range v {
					walk(k)
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(m)
		if got := str(m, "user.id"); got != escape(s) {
			t.Errorf("line %d: user.id = %q, want the escaped input %q", i+1, got, escape(s))
		}
		if i%2 == 0 { // the app event: forged keys stay inside apishield.fields
			if got := str(m, "event.outcome"); got != "unknown" {
				t.Errorf("line %d: event.outcome = %q: a forged field set it", i+1, got)
			}
			if f, _ := get(m, "apishield.fields").(map[string]any); f["event_outcome"] != "success" {
				t.Errorf("line %d: apishield.fields = %v", i+1, f)
			}
		}
	}
	for _, bad := range []string{"\u202e", "\r", "\x00", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds a raw %q", bad)
		}
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\r\nb", `a\u000d\u000ab`},
		{"\u202e", `\u202e`},
		{`back\slash`, `back\\slash`},
		{"\xff", `\xff`},
		{"\U000E0041", `\U000e0041`},
		{"é ü 日本 \ufffd", "é ü 日本 \ufffd"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncation(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{MaxValueBytes: 64})
	long := strings.Repeat("é", 500)
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("User-Agent", long)
	serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record.From(r.Context()).SetPrincipal(record.Principal{Subject: long})
	}), req)
	m := flush()[0]
	for _, path := range []string{"user_agent.original", "user.id"} {
		v := str(m, path)
		if len(v) > 64 || !strings.HasSuffix(v, truncated) || !utf8.ValidString(v) {
			t.Errorf("%s = %q (%d bytes), want at most 64 valid bytes ending in the marker", path, v, len(v))
		}
	}
}

func TestQueryRedaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vals bool
		raw  string
		want string
	}{
		{false, "a=1&b=2", "a=" + Redacted + "&b=" + Redacted},
		{false, "flag&x=", "flag&x=" + Redacted},
		{true, "a=1&b=2", "a=1&b=2"},
		{true, "a=1&Api-Key=2&my_password=3&api%5Fkey=4", "a=1&Api-Key=" + Redacted + "&my_password=" + Redacted + "&api%5Fkey=" + Redacted},
		{true, "q=" + url.QueryEscape("Bearer "+testJWT), "q=Bearer+" + Redacted},
	}
	for _, tt := range tests {
		a, _, _ := newTest(t, Config{LogQueryValues: tt.vals})
		if got := a.cleanQuery(tt.raw); got != tt.want {
			t.Errorf("cleanQuery(%q, values %v) = %q, want %q", tt.raw, tt.vals, got, tt.want)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for _, peer := range []string{"10.1.2.3:5000", "203.0.113.9:5000"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", "198.51.100.7, 10.9.9.9")
		serve(a, http.NotFoundHandler(), req)
	}
	lines := flush()
	if got := str(lines[0], "source.ip"); got != "198.51.100.7" {
		t.Errorf("via a trusted proxy: source.ip = %q, want 198.51.100.7", got)
	}
	if got := str(lines[1], "source.ip"); got != "203.0.113.9" {
		t.Errorf("from an untrusted peer: source.ip = %q, want the peer 203.0.113.9", got)
	}
}

// TestTrustedProxiesCDNHeader: a single-address CDN header is believed from
// a trusted edge, as one bare address only, never from anyone else.
func TestTrustedProxiesCDNHeader(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{
		TrustedProxies:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		ForwardedHeader: "True-Client-IP",
	})
	for _, tc := range []struct{ peer, value, want string }{
		{"10.1.2.3:5000", "198.51.100.7", "198.51.100.7"},
		{"203.0.113.9:5000", "198.51.100.7", "203.0.113.9"},
		{"10.1.2.3:5000", "198.51.100.7:443", "10.1.2.3"},
		{"10.1.2.3:5000", "6.6.6.6, 198.51.100.7", "10.1.2.3"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.peer
		req.Header.Set("True-Client-IP", tc.value)
		req.Header.Set("X-Forwarded-For", "192.0.2.66")
		serve(a, http.NotFoundHandler(), req)
	}
	lines := flush()
	for i, w := range []string{"198.51.100.7", "203.0.113.9", "10.1.2.3", "10.1.2.3"} {
		if got := str(lines[i], "source.ip"); got != w {
			t.Errorf("event %d: source.ip = %q, want %q", i, got, w)
		}
	}
}

func TestDeniedHeadersNeverLogged(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{Headers: []string{"X-Tenant"}})
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Tenant", "acme")
	serve(a, http.NotFoundHandler(), req)
	m := flush()[0]
	hs, _ := json.Marshal(get(m, "apishield.headers"))
	if string(hs) != `{"X-Tenant":"acme"}` {
		t.Errorf("apishield.headers = %s", hs)
	}
	_ = context.Background()
}

// TestPairPrecheck: the cheap scan in front of pairRE never skips a value
// the regexp would mask (secret names in any case, the Kelvin sign and the
// long s that the regexp's case folding accepts), and skips the values the
// library writes itself, which is what makes it worth having.
func TestPairPrecheck(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{})
	for _, s := range []string{
		"password=hunter2", "PASSWD: x1", "Pwd=abcdef", "client_secret=abcdef", "SESSION_id=abcdef",
		"API-KEY=abcdef", "api_key: abcdef", "ApiKey=abcdef", "X-Auth-Token: abcdef", "authorization=abcdef",
		"Cookie: sid=abcdef", "credentials=abcdef", `{"token": "abcdef"}`,
		"to\u212aen=abcdef",  // Kelvin sign: (?i) folds it to k
		"\u017fecret=abcdef", // long s: folds to s
	} {
		if !pairRE.MatchString(s) {
			t.Fatalf("test input %q: pairRE does not match it", s)
		}
		if !hasPairWord(s) {
			t.Errorf("hasPairWord(%q) = false, but pairRE matches it", s)
		}
		if got := a.mask(s); got == s {
			t.Errorf("mask(%q) left it unmasked", s)
		}
	}
	for _, s := range []string{"https://idp.example.com/", "AllScopes(items:read items:write)", "GET /v1/items/{id}", "limit=10"} {
		if hasPairWord(s) {
			t.Errorf("hasPairWord(%q) = true: the library's own value pays for the regexp", s)
		}
	}
}

// FuzzPairPrecheck: whatever the value, the scan says yes whenever pairRE
// or schemeRE matches.
func FuzzPairPrecheck(f *testing.F) {
	for _, s := range []string{"password=x", "to\u212aen=abc", "Bearer abc", "https://x", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if pairRE.MatchString(s) && !hasPairWord(s) {
			t.Fatalf("hasPairWord(%q) = false, but pairRE matches", s)
		}
		if schemeRE.MatchString(s) && !(strings.ContainsAny(s, " +%\\") && hasSchemeWord(s)) {
			t.Fatalf("scheme pre-check skips %q, but schemeRE matches", s)
		}
	})
}

// TestCleanKnown: the writer's memo returns what clean returns, for
// library values and for secrets alike, the first time and every time
// after, and stays bounded when values keep changing.
func TestCleanKnown(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{SecretPrefixes: []string{"ak_live_"}})
	a.wmu.Lock()
	defer a.wmu.Unlock()
	for _, s := range []string{"ratelimit", "AllScopes(items:read items:write)", "https://idp.example.com/",
		"token=" + testJWT, "Bearer " + testJWT, testAPIKey, "a\nb", strings.Repeat("x", 300)} {
		for range 2 { // computed, then remembered
			if got, want := a.cleanKnown(s, 64), a.clean(s, 64); got != want {
				t.Errorf("cleanKnown(%q, 64) = %q, want %q", s, got, want)
			}
		}
	}
	if got, want := a.cleanKnownPair("GET", "/v1/{token=x}", 512), a.clean("GET /v1/{token=x}", 512); got != want {
		t.Errorf("cleanKnownPair = %q, want %q", got, want)
	}
	if got, want := a.cleanKnownPair("GET", "/x/"+testAPIKey, 512), "GET /x/"+Redacted; got != want {
		t.Errorf("cleanKnownPair of a route holding a key = %q, want %q", got, want)
	}
	for i := range 3 * maxKnown {
		a.cleanKnown("policy-"+strconv.Itoa(i), 128)
	}
	if n := len(a.w.known); n > maxKnown {
		t.Errorf("memo holds %d values, limit %d", n, maxKnown)
	}
}

// TestCleanKnownFrontCache: values that share a slot of the memo's front
// cache (same length, limit and sampled bytes) never get each other's
// cleaned form, whichever came first: a key in one and a harmless word in
// the other, the same value at two limits, a pair and its joined form.
func TestCleanKnownFrontCache(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, Config{SecretPrefixes: []string{"ak_live_"}})
	a.wmu.Lock()
	defer a.wmu.Unlock()
	key := testAPIKey
	word := []byte(key)
	for i := 1; i < len(word)-1; i++ {
		if i != len(word)/2 {
			word[i] = 'x'
		}
	}
	harmless := string(word)
	if knownIndex(knownKey{"", key, 64}) != knownIndex(knownKey{"", harmless, 64}) {
		t.Fatal("the test's values do not share a slot")
	}
	if a.clean(key, 64) == a.clean(harmless, 64) {
		t.Fatalf("clean gives both %q", a.clean(key, 64))
	}
	type call struct {
		method, s string
		max       int
		want      string
	}
	calls := []call{
		{"", key, 64, a.clean(key, 64)},
		{"", harmless, 64, a.clean(harmless, 64)},
		{"", key, 64, a.clean(key, 64)},
		{"", key, 16, a.clean(key, 16)},
		{"", key, 64, a.clean(key, 64)},
		{"GET", "/v1/" + key, 512, a.clean("GET /v1/"+key, 512)},
		{"", "GET /v1/" + key, 512, a.clean("GET /v1/"+key, 512)},
		{"GET", "/v1/" + harmless, 512, a.clean("GET /v1/"+harmless, 512)},
	}
	for round := range 3 {
		for _, c := range calls {
			if got := a.cleanKnownPair(c.method, c.s, c.max); got != c.want {
				t.Errorf("round %d: cleanKnownPair(%q, %q, %d) = %q, want %q", round, c.method, c.s, c.max, got, c.want)
			}
		}
		clear(a.w.known) // the front cache alone, then both
		if round == 1 {
			a.w.knownFront = [knownSlots]knownSlot{}
		}
	}
}

// TestMaskLongWordsAsRegexp: the hand scan masks exactly what the regexp
// it replaced masked: random strings of word characters and separators,
// and 32 and 31 repeats of every byte.
func TestMaskLongWordsAsRegexp(t *testing.T) {
	t.Parallel()
	wordRE := regexp.MustCompile(`[A-Za-z0-9_~+/=-]{32,}`)
	ref := func(s string) string {
		return wordRE.ReplaceAllStringFunc(s, func(w string) string {
			if highEntropy(w) {
				return Redacted
			}
			return w
		})
	}
	var cases []string
	for c := range 256 {
		s := strings.Repeat(string([]byte{byte(c)}), 32)
		cases = append(cases, s, s[1:], "Ab1"+s, s+" x")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZ9_~+/=-. :%é\\"
	for range 20000 {
		b := make([]byte, rng.IntN(160))
		for i := range b {
			if rng.IntN(12) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = "aBcD0123456789xyzXYZ-_"[rng.IntN(22)]
			}
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := maskLongWords(s), ref(s); got != want {
			t.Fatalf("maskLongWords(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestCleanUserAgentAsClean: the remembered user agents are cleaned
// exactly as clean cleans them, through slot collisions and evictions, for
// ordinary ones, ones holding secrets, and ones too long to keep.
func TestCleanUserAgentAsClean(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{})
	defer flush()
	uas := []string{
		"curl/8.5.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
		"bot token=ghp_0123456789abcdefghijABCDEFGHIJ012345",
		"client Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
		strings.Repeat("Agent/1.0 ", 100), // longer than maxUAKnown
	}
	for i := range 300 { // more than uaSlots: collisions and evictions
		uas = append(uas, "sdk/"+strconv.Itoa(i)+" (go1.25)")
	}
	a.wmu.Lock()
	defer a.wmu.Unlock()
	for round := range 3 {
		for i := range uas {
			ua := uas[(i*7+round)%len(uas)]
			if got, want := a.cleanUserAgent(ua), a.clean(ua, DefaultMaxUserAgent); got != want {
				t.Fatalf("round %d: cleanUserAgent(%q) = %q, want %q", round, ua, got, want)
			}
		}
	}
	if got := a.cleanUserAgent(uas[2]); strings.Contains(got, "ghp_") {
		t.Errorf("a remembered user agent kept its token: %q", got)
	}
}
