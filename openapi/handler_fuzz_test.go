package openapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/apishield/apishield/openapi"
)

// FuzzHandler sends arbitrary paths, queries, headers, content types and
// bodies through the contract: it must never panic, and every answer is
// the application's 200 or a status the contract documents.
func FuzzHandler(f *testing.F) {
	fx := newFixture(f, readDoc(f, "items.yaml"), openapi.Config{MaxBodyBytes: 4096}, nil)
	f.Add("GET", "/v1/items", "limit=5&tags=a&filter[size]=3", "acme", "session=1", "", "")
	f.Add("POST", "/v1/forms", "", "", "", "application/x-www-form-urlencoded", "n=1&tags=a")
	f.Add("POST", "/v1/media", "", "", "", "application/vnd.x+json; charset=utf-8", `{"suffix":[1,{"a":null}]}`)
	f.Add("GET", "/v1/labels/.a,b%2Cc", "", "", "", "", "")
	f.Add("DELETE", "/v1/items/%32", "", "", "", "", "")
	allowed := map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 405: true,
		410: true, 413: true, 415: true, 422: true, 429: true}
	f.Fuzz(func(t *testing.T, method, path, query, tenant, cookie, ct, body string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") || !strings.HasPrefix(path, "/") {
			t.Skip()
		}
		u := &url.URL{Path: path, RawQuery: query}
		r, err := http.NewRequest(method, "http://example.com"+u.EscapedPath(), strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		r.URL.RawQuery = query
		r.Header.Set("Authorization", "Bearer writer")
		for k, v := range map[string]string{"X-Tenant": tenant, "Cookie": cookie, "Content-Type": ct} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Errorf("%s %s?%s: status %d: %s", method, path, query, w.Code, w.Body)
		}
	})
}
