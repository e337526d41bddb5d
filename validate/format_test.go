package validate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/validate"
)

// suiteDir holds the JSON-Schema-Test-Suite files this package runs; see
// its README for their source and commit.
const suiteDir = "testdata/JSON-Schema-Test-Suite/tests/draft2020-12/optional/format"

// TestFormatSuite runs the suite's idn-email and idn-hostname cases through
// a Validator built from each case's schema: valid data passes, invalid
// data gets a 422 at the root. Before these formats were asserted, every
// invalid case passed.
func TestFormatSuite(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"idn-email.json", "idn-hostname.json"} {
		b, err := os.ReadFile(filepath.Join(suiteDir, file))
		if err != nil {
			t.Fatal(err)
		}
		var groups []struct {
			Description string
			Schema      json.RawMessage
			Tests       []struct {
				Description string
				Data        json.RawMessage
				Valid       bool
			}
		}
		if err := json.Unmarshal(b, &groups); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var valid, invalid int
		for _, g := range groups {
			v := validate.MustNew(validate.Config{Body: g.Schema})
			for _, tc := range g.Tests {
				rr, p := serve(t, v, post(string(tc.Data), "application/json"))
				switch {
				case tc.Valid && rr.Code != 200:
					t.Errorf("%s: %s: %s: status %d, want 200; %s", file, g.Description, tc.Description, rr.Code, rr.Body)
				case !tc.Valid && (rr.Code != 422 || len(p.Errors) != 1 || p.Errors[0].Pointer != "" || p.Errors[0].Keyword != "format"):
					t.Errorf("%s: %s: %s: status %d errors %+v, want 422 with one format error at the root", file, g.Description, tc.Description, rr.Code, p.Errors)
				}
				if tc.Valid {
					valid++
				} else {
					invalid++
				}
			}
		}
		if valid == 0 || invalid == 0 {
			t.Errorf("%s: %d valid and %d invalid cases; the suite file lost its cases", file, valid, invalid)
		}
	}
}

// TestIDNFormats checks the formats inside an object schema, at a pointer,
// with cases beyond the suite's: what UTS 46 lets through and IDNA2008
// does not, ASCII case, lengths, quoted local parts and address literals.
func TestIDNFormats(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(`{"type":"object","additionalProperties":false,"properties":{
	  "host":{"type":"string","format":"idn-hostname"},"email":{"type":"string","format":"idn-email"}}}`)})
	long := strings.Repeat("a", 63)
	tests := []struct {
		name, field, value string
		valid              bool
	}{
		{"hostname ASCII", "host", "api.example.com", true},
		{"hostname ASCII upper case", "host", "API.Example.COM", true},
		{"hostname U-labels", "host", "bücher.example", true},
		{"hostname A-label upper case", "host", "XN--BCHER-KVA.example", true},
		{"hostname decomposed, normalized", "host", "bu\u0308cher.example", true},
		{"hostname symbol (UTS 46 valid, IDNA2008 disallowed)", "host", "\u2603.net", false},
		{"hostname emoji", "host", "\U0001F600.example", false},
		{"hostname full-width letters", "host", "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", false},
		{"hostname non-ASCII upper case", "host", "B\u00dcCHER.example", false},
		{"hostname space", "host", "a b.example", false},
		{"hostname underscore", "host", "a_b.example", false},
		{"hostname trailing dot", "host", "example.com.", false},
		{"hostname A-label of a symbol", "host", "xn--n3h.net", false},
		{"hostname 253 octets", "host", long + "." + long + "." + long + "." + strings.Repeat("a", 61), true},
		{"hostname 254 octets", "host", long + "." + long + "." + long + "." + strings.Repeat("a", 62), false},
		{"hostname old Hangul jamo", "host", "a\u1100\u1100.example", false},
		{"hostname combining mark for symbols", "host", "a\u20d0.example", false},
		{"email ASCII", "email", "joe@example.com", true},
		{"email U-label domain", "email", "joe@bücher.example", true},
		{"email A-label domain", "email", "joe@xn--bcher-kva.example", true},
		{"email quoted with escapes", "email", `"joe \"the\" @home"@example.com`, true},
		{"email quoted unescaped quote", "email", `"jo"e"@example.com`, false},
		{"email quoted trailing backslash", "email", `"joe\"@example.com`, false},
		{"email IPv4 literal", "email", "joe@[192.0.2.1]", true},
		{"email IPv6 literal", "email", "joe@[IPv6:2001:db8::1]", true},
		{"email IPv6 literal without tag", "email", "joe@[2001:db8::1]", false},
		{"email bad IPv4 literal", "email", "joe@[192.0.2.256]", false},
		{"email no local part", "email", "@example.com", false},
		{"email no domain", "email", "joe@", false},
		{"email leading dot", "email", ".joe@example.com", false},
		{"email double dot", "email", "jo..e@example.com", false},
		{"email space", "email", "jo e@example.com", false},
		{"email local part 65 octets", "email", strings.Repeat("a", 65) + "@example.com", false},
		{"email local part 64 octets of UTF-8", "email", strings.Repeat("é", 32) + "@example.com", true},
		{"email local part 66 octets of UTF-8", "email", strings.Repeat("é", 33) + "@example.com", false},
		{"email longer than 254 octets", "email", strings.Repeat("a", 64) + "@" + long + "." + long + "." + long + "." + "com", false},
		{"email symbol domain", "email", "joe@\u2603.net", false},
		{"email trailing dot domain", "email", "joe@example.com.", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(map[string]string{tc.field: tc.value})
			rr, p := serve(t, v, post(string(body), "application/json"))
			if tc.valid {
				if rr.Code != 200 {
					t.Fatalf("%q: status %d, want 200; %s", tc.value, rr.Code, rr.Body)
				}
				return
			}
			want := "must be a valid idn-hostname"
			if tc.field == "email" {
				want = "must be a valid idn-email"
			}
			if rr.Code != 422 || len(p.Errors) != 1 || p.Errors[0].Pointer != "/"+tc.field || p.Errors[0].Detail != want {
				t.Fatalf("%q: status %d errors %+v, want 422 %q at /%s", tc.value, rr.Code, p.Errors, want, tc.field)
			}
		})
	}
}
