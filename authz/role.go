package authz

import (
	"net/http"
	"strings"

	"github.com/apishield/apishield/auth"
)

// AllRoles returns a rule that passes when the principal has every one of
// roles, matched exactly. It fails with 403 forbidden.
func AllRoles(roles ...string) Rule { return newRoleRule("all_roles", true, roles) }

// AnyRole returns a rule that passes when the principal has at least one of
// roles, matched exactly. It fails with 403 forbidden.
func AnyRole(roles ...string) Rule { return newRoleRule("any_role", false, roles) }

type roleRule struct {
	all    bool
	roles  []string
	name   string
	denied *verdict
}

func newRoleRule(kind string, all bool, roles []string) Rule {
	name := kind + "(" + strings.Join(roles, " ") + ")"
	if len(roles) == 0 {
		return invalidRule(name, "no roles")
	}
	for _, r := range roles {
		if r == "" || strings.ContainsFunc(r, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			return invalidRule(name, "role %q is empty or holds control characters", r)
		}
	}
	return &roleRule{all: all, roles: append([]string(nil), roles...), name: name,
		denied: &verdict{deny: problemForbidden, rule: name}}
}

func (x *roleRule) String() string { return x.name }
func (x *roleRule) check() error   { return nil }

func (x *roleRule) eval(_ *http.Request, p *auth.Principal, _ pathValues) *verdict {
	for _, want := range x.roles {
		has := false
		for _, r := range p.Roles {
			if r == want {
				has = true
				break
			}
		}
		if has && !x.all {
			return nil
		}
		if !has && x.all {
			return x.denied
		}
	}
	if x.all {
		return nil
	}
	return x.denied
}
