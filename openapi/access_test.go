package openapi

import (
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
)

// TestCredentialRules checks each credential rule against principals
// proved every way auth proves them, including a token bound to the
// client certificate the request came with, which meets mutualTLS.
func TestCredentialRules(t *testing.T) {
	t.Parallel()
	principals := map[string]*auth.Principal{
		"jwt":           {Subject: "a", Method: auth.MethodJWT},
		"introspection": {Subject: "a", Method: auth.MethodIntrospection},
		"api key":       {Subject: "a", Method: auth.MethodAPIKey},
		"certificate":   {Subject: "a", Method: auth.MethodMTLS},
		"bound token":   {Subject: "a", Method: auth.MethodJWT, Binding: auth.BindingMTLS},
		"dpop token":    {Subject: "a", Method: auth.MethodJWT, Binding: auth.BindingDPoP},
	}
	want := map[string][]string{
		"bearer":  {"jwt", "introspection", "bound token", "dpop token"},
		"api_key": {"api key"},
		"mtls":    {"certificate", "bound token"},
	}
	rules := map[string]authz.Rule{"bearer": ruleBearer, "api_key": ruleAPIKey, "mtls": ruleMTLS}
	for name, rule := range rules {
		for who, p := range principals {
			r := httptest.NewRequest("GET", "/", nil)
			r = r.WithContext(auth.NewContext(r.Context(), p))
			err := authz.Check(r, rule)
			pass := false
			for _, w := range want[name] {
				pass = pass || w == who
			}
			if (err == nil) != pass {
				t.Errorf("%s for %s: %v, want pass %v", name, who, err, pass)
			}
		}
	}
}
