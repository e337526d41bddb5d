package authz

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// A Rule is one condition a request must meet. Rules come from this
// package's constructors ([AllScopes], [AnyRole], [Claim], [Owner],
// [StepUp], ...) and are combined with [And], [Or] and [Not]; [Func] turns
// any Go function into a rule. The interface cannot be implemented outside
// the package, so every rule's response follows the rules set out in the
// package documentation.
//
// A Rule is immutable once built and safe for concurrent use. A constructor
// given bad arguments does not panic: it returns a rule that carries the
// error, refuses every request, and makes [New] fail and [Require] panic,
// so the mistake surfaces at start-up.
type Rule interface {
	// String returns the rule's name, as recorded in the request record.
	String() string

	// eval decides the rule for one request. It must not allocate when the
	// rule passes.
	eval(r *http.Request, p *auth.Principal, pv pathValues) *verdict
	// check returns the error the rule was built with, if any, including
	// its children's.
	check() error
}

// A verdict is a rule's denial; a rule that passes returns a nil *verdict,
// so the allow path returns one word per rule and allocates nothing.
type verdict struct {
	deny *apierrors.Problem
	rule string // the name of the rule that denied
	// notFound marks a refusal because the addressed object does not
	// exist: recorded with outcome not_found, not as a denial.
	notFound bool
}

// failed reports whether v is a failure to decide (a 5xx) rather than a
// denial: Not must not turn a broken dependency into access.
func (v *verdict) failed() bool { return v != nil && v.deny.Status >= 500 }

// ErrDenied is returned, possibly wrapped, by a [Func] or an [OwnerFunc] to
// deny the request with 403 forbidden.
var ErrDenied = errors.New("authz: denied")

// ErrNotFound is returned, possibly wrapped, by an [OwnerFunc] for an
// object that does not exist. The rule answers it exactly as it answers an
// object that is someone else's (404 not_found), and records it apart.
var ErrNotFound = errors.New("authz: not found")

// ErrInvalidRule is wrapped by the error of a rule built with bad arguments.
var ErrInvalidRule = errors.New("authz: invalid rule")

// Shared problems. They are never modified: [Check] hands callers copies.
var (
	problemForbidden = apierrors.New(http.StatusForbidden, apierrors.ReasonForbidden,
		"The caller may not perform this operation.")
	problemInternal = apierrors.New(http.StatusInternalServerError, apierrors.ReasonInternal, "")
	// problemNotFound answers an object-level check, whether the object
	// is someone else's or does not exist: one answer, so that a caller
	// cannot learn which IDs exist (OWASP API1). Its detail is the one the
	// errors package writes for a path no route matches.
	problemNotFound = apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound,
		"No resource matches the request.")
)

// fromError turns the error of a user-supplied function into a verdict,
// failing closed: a *apierrors.Problem is sent as is (so a resolver can
// answer 404 for an object that does not exist), ErrDenied becomes 403
// forbidden, and any other error a 500 whose cause goes to the log only.
func fromError(name string, err error) *verdict {
	var p *apierrors.Problem
	switch {
	case errors.As(err, &p):
		return &verdict{deny: p, rule: name}
	case errors.Is(err, ErrDenied):
		return &verdict{deny: problemForbidden.WithCause(err), rule: name}
	default:
		return &verdict{deny: problemInternal.WithCause(fmt.Errorf("authz: rule %s: %w", name, err)), rule: name}
	}
}

// invalid is the rule a constructor returns for bad arguments.
type invalid struct {
	name string
	err  error
}

func invalidRule(name, format string, args ...any) Rule {
	return &invalid{name: name, err: fmt.Errorf("%w: %s: %s", ErrInvalidRule, name, fmt.Sprintf(format, args...))}
}

func (x *invalid) String() string { return x.name }
func (x *invalid) check() error   { return x.err }
func (x *invalid) eval(*http.Request, *auth.Principal, pathValues) *verdict {
	return &verdict{deny: problemInternal.WithCause(x.err), rule: x.name}
}

// Func returns a rule decided by fn, for conditions the other rules cannot
// express. fn returns nil to pass; [ErrDenied] (or an error wrapping it) to
// deny with 403 forbidden; a *apierrors.Problem to send that problem; any
// other error to fail closed with a 500 whose cause is logged, never sent.
// name identifies the rule in the request record and the logs.
//
// fn reads path values the router's way, r.PathValue or chi.URLParam (or
// mux.Vars, which gorilla/mux has set before its r.Use runs): when the
// policy runs before the router has set them, it sets them from the
// pattern it matched first.
func Func(name string, fn func(r *http.Request, p *auth.Principal) error) Rule {
	n := "func(" + name + ")"
	if name == "" || fn == nil {
		return invalidRule(n, "Func needs a name and a function")
	}
	return &funcRule{name: n, fn: fn}
}

type funcRule struct {
	name string
	fn   func(*http.Request, *auth.Principal) error
}

func (f *funcRule) String() string { return f.name }
func (f *funcRule) check() error   { return nil }
func (f *funcRule) eval(r *http.Request, p *auth.Principal, pv pathValues) *verdict {
	l := pv.fill(r)
	err := f.fn(r, p)
	pv.restore(l)
	if err != nil {
		return fromError(f.name, err)
	}
	return nil
}

// And returns a rule that passes when every rule passes. Rules are checked
// in order and the first that fails decides the response, so put the rule
// whose response helps the caller most (a missing scope, say) first.
func And(rules ...Rule) Rule { return newList("and", true, rules) }

// Or returns a rule that passes when any rule passes, checked in order until
// one does. When none passes, the first rule's denial is the response,
// unless some rule could not decide (a 5xx), which then wins: a broken
// dependency is not reported as a denial.
func Or(rules ...Rule) Rule { return newList("or", false, rules) }

type list struct {
	all   bool
	rules []Rule
	name  string
}

func newList(kind string, all bool, rules []Rule) Rule {
	names := make([]string, len(rules))
	for i, r := range rules {
		if r == nil {
			return invalidRule(kind+"(…)", "rule %d is nil", i)
		}
		names[i] = r.String()
	}
	n := kind + "(" + strings.Join(names, ", ") + ")"
	if len(rules) == 0 {
		return invalidRule(n, "%s needs at least one rule", kind)
	}
	for _, r := range rules {
		if _, ok := r.(publicRule); ok {
			return invalidRule(n, "Public cannot be combined with other rules")
		}
	}
	return &list{all: all, rules: append([]Rule(nil), rules...), name: n}
}

func (l *list) String() string { return l.name }

func (l *list) check() error {
	for _, r := range l.rules {
		if err := r.check(); err != nil {
			return err
		}
	}
	return nil
}

func (l *list) eval(r *http.Request, p *auth.Principal, pv pathValues) *verdict {
	if l.all {
		for _, rule := range l.rules {
			if v := rule.eval(r, p, pv); v != nil {
				return v
			}
		}
		return nil
	}
	var first, failure *verdict
	for i, rule := range l.rules {
		v := rule.eval(r, p, pv)
		switch {
		case v == nil:
			return nil
		case i == 0:
			first = v
		}
		if v.failed() && failure == nil {
			failure = v
		}
	}
	if failure != nil {
		return failure
	}
	return first
}

// Not returns a rule that passes when rule denies, and denies with 403
// forbidden when rule passes. A rule that could not decide (a 5xx) is not
// inverted: Not(x) fails closed when x fails.
func Not(rule Rule) Rule {
	if rule == nil {
		return invalidRule("not(…)", "rule is nil")
	}
	n := "not(" + rule.String() + ")"
	if _, ok := rule.(publicRule); ok {
		return invalidRule(n, "Public cannot be negated")
	}
	return &not{rule: rule, name: n, denied: &verdict{deny: problemForbidden, rule: n}}
}

type not struct {
	rule   Rule
	name   string
	denied *verdict
}

func (x *not) String() string { return x.name }
func (x *not) check() error   { return x.rule.check() }
func (x *not) eval(r *http.Request, p *auth.Principal, pv pathValues) *verdict {
	v := x.rule.eval(r, p, pv)
	switch {
	case v == nil:
		return x.denied
	case v.failed():
		return v
	}
	return nil
}

// Public returns the rule for routes anyone may call, authenticated or not,
// such as a health check. It is only valid on its own, as a whole policy
// entry or the only rule of [Require]: a route is public or it is not.
// Listing a route as Public is the explicit opt-out from deny by default.
func Public() Rule { return publicRule{} }

type publicRule struct{}

func (publicRule) String() string                                           { return "public" }
func (publicRule) check() error                                             { return nil }
func (publicRule) eval(*http.Request, *auth.Principal, pathValues) *verdict { return nil }

// Authenticated returns a rule that passes for any authenticated caller. It
// grants nothing beyond what authentication proves; prefer a scope or role.
func Authenticated() Rule { return authenticated{} }

type authenticated struct{}

func (authenticated) String() string                                           { return "authenticated" }
func (authenticated) check() error                                             { return nil }
func (authenticated) eval(*http.Request, *auth.Principal, pathValues) *verdict { return nil }
