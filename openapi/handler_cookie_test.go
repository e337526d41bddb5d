package openapi_test

import (
	"net/http"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/openapi"
)

// TestHandlerCookieNameBlanks sends the session cookie parameter
// (integer, minimum 1) with blanks before its "=", which net/http trims:
// the value the handler reads with r.Cookie is the one the contract
// checks.
func TestHandlerCookieNameBlanks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	for _, cookie := range []string{"session =0", "session\t=0", "a=b; session \t=0"} {
		r := req{method: "GET", target: "/v1/items", header: map[string]string{"X-Api-Key": f.key, "X-Tenant": "acme", "Cookie": cookie}}
		p := wantProblem(t, f.do(t, r), http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed)
		if len(p.Errors) != 1 || p.Errors[0].In != "cookie" {
			t.Errorf("Cookie %q: errors %+v, want one about the cookie", cookie, p.Errors)
		}
	}
}
