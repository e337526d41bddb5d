package authz

import (
	"net/http"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

func TestRuleKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rule Rule
		want string
	}{
		{AllScopes("items:read"), "scopes"},
		{AnyScope("a", "b"), "scopes"},
		{AllRoles("admin"), "roles"},
		{AnyRole("editor"), "roles"},
		{Claim("/email_verified", true), "claim"},
		{Owner(func(*http.Request) (string, error) { return "", nil }), "owner"},
		{Tenant("tid", "/tenant"), "tenant"},
		{StepUp(StepUpOptions{AMR: []string{"mfa"}, MaxAge: time.Minute}), "step_up"},
		{SenderConstrained(), "binding"},
		{Func("weekday", func(*http.Request, *auth.Principal) error { return nil }), "func"},
		{Public(), "public"},
		{Authenticated(), "principal"},
		{Not(AnyRole("guest")), "roles"},
		{And(AllScopes("x"), AnyRole("y")), "none"},
		{Or(AllScopes("x"), AnyRole("y")), "none"},
	}
	for _, c := range cases {
		if got := kindNames[ruleKind(c.rule.String())]; got != c.want {
			t.Errorf("ruleKind(%s) = %s, want %s", c.rule, got, c.want)
		}
	}
	for _, name := range []string{"principal", "no_policy", "unknown_route", ""} {
		want := "none"
		if name == "principal" {
			want = "principal"
		}
		if got := kindNames[ruleKind(name)]; got != want {
			t.Errorf("ruleKind(%q) = %s, want %s", name, got, want)
		}
	}
}
