package auth_test

import (
	"strings"
	"testing"

	"github.com/apishield/apishield/auth"
)

// TestParseAuthorization: one credential has one spelling. Exactly one
// space separates a known scheme from its credential; any other spacing is
// malformed, so nothing keyed on the credential can be split by
// re-spacing the header.
func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	const tok = "abc.def.ghi"
	cases := []struct {
		name     string
		in       string
		wantKind auth.CredentialKind
		wantCred string
		wantOK   bool
	}{
		{"bearer", "Bearer " + tok, auth.Bearer, tok, true},
		{"bearer lower case", "bearer " + tok, auth.Bearer, tok, true},
		{"api key", "ApiKey ask_1", auth.APIKey, "ask_1", true},
		{"token68 padding", "Bearer abc==", auth.Bearer, "abc==", true},
		{"basic is no credential", "Basic dXNlcjpwYXNz", 0, "", true},
		{"dpop is a bearer-kind token", "DPoP " + tok, auth.Bearer, tok, true},
		{"dpop lower case", "dpop " + tok, auth.Bearer, tok, true},
		{"dpop, two spaces", "DPoP  " + tok, 0, "", false},
		{"unknown scheme alone", "Negotiate", 0, "", true},

		{"two spaces", "Bearer  " + tok, 0, "", false},
		{"api key, two spaces", "ApiKey  ask_1", 0, "", false},
		{"many spaces", "Bearer      " + tok, 0, "", false},
		{"tab", "Bearer\t" + tok, 0, "", false},
		{"space then tab", "Bearer \t" + tok, 0, "", false},
		{"leading space", " Bearer " + tok, 0, "", false},
		{"leading tab", "\tBearer " + tok, 0, "", false},
		{"trailing space", "Bearer " + tok + " ", 0, "", false},
		{"trailing tab", "Bearer " + tok + "\t", 0, "", false},
		{"trailing CRLF", "Bearer " + tok + "\r\n", 0, "", false},
		{"NBSP separator", "Bearer\u00a0" + tok, 0, "", false},
		{"scheme without credential", "Bearer", 0, "", false},
		{"scheme and a space", "Bearer ", 0, "", false},
		{"two credentials", "Bearer a b", 0, "", false},
		{"padding first", "Bearer =a", 0, "", false},
		{"comma", "Bearer a,b", 0, "", false},
		{"empty", "", 0, "", false},
		{"scheme not a token", "Bea(rer " + tok, 0, "", false},
		{"too long", "Bearer " + strings.Repeat("a", 16<<10), 0, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kind, cred, ok := auth.ParseAuthorization(tc.in)
			if kind != tc.wantKind || cred != tc.wantCred || ok != tc.wantOK {
				t.Errorf("got (%v, %q, %v), want (%v, %q, %v)", kind, cred, ok, tc.wantKind, tc.wantCred, tc.wantOK)
			}
		})
	}
}
