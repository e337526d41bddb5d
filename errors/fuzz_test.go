package errors_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	apierrors "github.com/apishield/apishield/errors"
)

// FuzzWrite checks that any detail, reason, pointer or path renders as valid
// JSON with no raw control characters, in both built-in renderers, and that
// valid UTF-8 survives the round trip unchanged.
func FuzzWrite(f *testing.F) {
	f.Add("The access token is expired.", "token_expired", "/price", "/v1/items")
	f.Add("line\r\nInjected: header", "a\"b\\c", "/a~1b/0", "/%2e%2e/%00")
	f.Add("\u202e\u2028\u2029<script>&", "\x00\x1f\x7f", "\xff\xfe", "/\u00e9")
	f.Add(strings.Repeat("\\u0000", 10), "", "", "/")
	renderers := map[string]apierrors.Renderer{"problem": apierrors.ProblemJSON, "simple": apierrors.SimpleJSON}
	f.Fuzz(func(t *testing.T, detail, reason, pointer, path string) {
		for name, rd := range renderers {
			rs, err := apierrors.NewResponder(apierrors.Config{Renderer: rd})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.URL.Path = path
			rr := httptest.NewRecorder()
			p := apierrors.New(400, reason, detail).WithErrors(apierrors.FieldError{Pointer: pointer, Detail: detail, Keyword: reason})
			rs.Write(rr, req, p)
			out := rr.Body.Bytes()
			if !json.Valid(out) {
				t.Fatalf("%s: invalid JSON: %q", name, out)
			}
			for _, c := range out {
				if c < 0x20 {
					t.Fatalf("%s: raw control character %#x in %q", name, c, out)
				}
			}
			if bytes.Contains(out, []byte("\u2028")) || bytes.Contains(out, []byte("\u2029")) {
				t.Fatalf("%s: raw line separator in %q", name, out)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if rr.Code != http.StatusBadRequest {
				t.Fatalf("status %d", rr.Code)
			}
			if name == "problem" && utf8.ValidString(detail) && detail != "" && got["detail"] != detail {
				t.Fatalf("detail %q came back as %q", detail, got["detail"])
			}
			if name == "problem" && utf8.ValidString(reason) && reason != "" && got["reason"] != reason {
				t.Fatalf("reason %q came back as %q", reason, got["reason"])
			}
		}
	})
}
