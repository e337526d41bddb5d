package authz

import (
	"log/slog"
	"net/http"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// Require returns middleware that lets a request through only when every
// rule passes, checked in order; the first that fails decides the response.
// It is for one route or group of routes (chi's r.With, a gorilla/mux
// subrouter's Use, a ServeMux handler wrapped one by one); for deny by
// default across a whole router, use a [Policy].
//
// A request without a principal is refused with auth's own 401
// unauthenticated problem ([auth.UnauthenticatedProblem]), unless the only
// rule is [Public]. Require panics if it is given no rules or an
// invalid one: it runs while the routes are built, at start-up.
// Its logs (wiring errors, failures to decide) go to slog.Default().
func Require(rules ...Rule) func(http.Handler) http.Handler {
	rule := requireRule(rules)
	if err := rule.check(); err != nil {
		panic(err)
	}
	allow := record.Decision{Package: pkg, Outcome: record.Allow, Reason: rule.String(), Rule: "require"}
	allowKind := ruleKind(rule.String())
	flat := flatten(rule)
	decisions := globalDecisions()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w, r, rec := record.Install(w, r)
			v, authenticated := evaluate(flat, r, pathValues{})
			if v == nil {
				count(r.Context(), decisions, outcomeAllow, allowKind)
				rec.AddRouteDecision(r.Pattern, allow)
				next.ServeHTTP(w, r)
				return
			}
			count(r.Context(), decisions, verdictOutcome(v, false), ruleKind(v.rule))
			rec.AddRouteDecision(r.Pattern, denyDecision(v))
			if !authenticated {
				logNoPrincipal(r.Context(), slog.Default(), rec, r)
			} else {
				logDeny(r.Context(), slog.Default(), rec, v, false)
			}
			apierrors.Write(w, r, v.deny)
		})
	}
}

func requireRule(rules []Rule) Rule {
	if len(rules) == 1 && rules[0] != nil {
		return rules[0]
	}
	if len(rules) == 0 {
		return invalidRule("require()", "Require needs at least one rule")
	}
	return And(rules...)
}

// Check decides rules for r inside a handler, for checks that need what
// only the handler knows. It returns nil when every rule passes, else the
// problem to write with apierrors.Write: a *apierrors.Problem, or an error
// wrapping ErrInvalidRule for a rule built with bad arguments. Either way
// the decision is recorded in the request record.
func Check(r *http.Request, rules ...Rule) error {
	rule := requireRule(rules)
	if err := rule.check(); err != nil {
		return err
	}
	return checkIn(r, rule)
}

func checkIn(r *http.Request, rule Rule) error {
	v, _ := evaluate(flatten(rule), r, pathValues{})
	rec := record.From(r.Context())
	if v == nil {
		count(r.Context(), globalDecisions(), outcomeAllow, ruleKind(rule.String()))
		if rec != nil {
			rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Allow, Reason: rule.String(), Rule: "check"})
		}
		return nil
	}
	count(r.Context(), globalDecisions(), verdictOutcome(v, false), ruleKind(v.rule))
	if rec != nil {
		rec.AddDecision(denyDecision(v))
	}
	return copyProblem(v.deny)
}

// CheckOwner is the object-level check for a handler that has loaded the
// object: it returns nil when owner is the principal's Subject, else the
// 404 not_found problem the [Owner] rule sends (or 401 unauthenticated
// without a principal) to write with apierrors.Write. An empty owner never
// matches. The decision is recorded in the request record. A handler that
// finds no object answers with [NotFound], so that the two answers are the
// same.
func CheckOwner(r *http.Request, owner string) error {
	return checkIn(r, ownerValue(owner))
}

// NotFound is [CheckOwner]'s counterpart for a handler that found no
// object: it returns the same 404 not_found problem CheckOwner returns for
// someone else's object (or 401 unauthenticated without a principal, as
// CheckOwner does, so that an anonymous caller cannot probe either), and
// records the outcome not_found, which audit logs apart from denials.
func NotFound(r *http.Request) error {
	return checkIn(r, missingObject{})
}

// missingObject is the rule NotFound decides: there is no object.
type missingObject struct{}

var ownerDenied, ownerMissing = ownerVerdicts("owner")

func (missingObject) String() string { return "owner" }
func (missingObject) check() error   { return nil }
func (missingObject) eval(*http.Request, *auth.Principal, pathValues) *verdict {
	return ownerMissing
}

// ownerValue is the rule CheckOwner decides: a known owner.
type ownerValue string

func (o ownerValue) String() string { return "owner" }
func (o ownerValue) check() error   { return nil }
func (o ownerValue) eval(_ *http.Request, p *auth.Principal, _ pathValues) *verdict {
	if o != "" && string(o) == p.Subject {
		return nil
	}
	return ownerDenied
}
