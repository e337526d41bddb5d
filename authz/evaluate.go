package authz

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// pkg is the package name in the request record.
const pkg = "authz"

// Denials that are not any rule's.
var (
	deniedUnknown  = &verdict{deny: problemForbidden, rule: "unknown_route"}
	deniedNoPolicy = &verdict{deny: problemForbidden, rule: "no_policy"}
)

// evaluate decides rules for r, in order; the first that fails decides.
// Public passes anyone; every other rule needs a principal, and the bool is
// false when there is none. Then the denial is auth's own 401 for a
// request without credentials (auth.UnauthenticatedProblem), so that the
// client meets one challenge whichever package asks it to authenticate.
func evaluate(rules []Rule, r *http.Request, pv pathValues) (*verdict, bool) {
	if _, ok := rules[0].(publicRule); ok {
		return nil, true
	}
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return &verdict{deny: auth.UnauthenticatedProblem(r.Context()), rule: "principal"}, false
	}
	for _, rule := range rules {
		if v := rule.eval(r, p, pv); v != nil {
			return v, true
		}
	}
	return nil, true
}

// flatten returns the rules a request must all pass: the parts of a
// top-level And, which saves a call per request, or the rule alone.
func flatten(rule Rule) []Rule {
	if l, ok := rule.(*list); ok && l.all {
		return l.rules
	}
	return []Rule{rule}
}

// logNoPrincipal logs a request that reached authz without a principal. If
// auth recorded that it let an anonymous caller through, that is the normal
// way to a 401; if auth recorded nothing, auth is missing from the stack or
// sits after authz, which is a wiring error.
func logNoPrincipal(ctx context.Context, log *slog.Logger, rec *record.Record, r *http.Request) {
	var buf [8]record.Decision
	for _, d := range rec.AppendDecisions(buf[:0]) {
		if d.Package == "auth" {
			log.LogAttrs(ctx, slog.LevelDebug, "authz: anonymous caller refused",
				slog.String("request_id", rec.ID()), slog.String("route", rec.Route()))
			return
		}
	}
	log.LogAttrs(ctx, slog.LevelError,
		"authz: no principal and no auth decision in the request: wiring error, install auth's middleware before authz",
		slog.String("request_id", rec.ID()), slog.String("method", r.Method), slog.String("route", rec.Route()))
}

// denyDecision is the record's entry for a denial; a refusal because the
// object does not exist has outcome not_found, which audit logs apart from
// access-control failures.
func denyDecision(v *verdict) record.Decision {
	outcome := record.Deny
	if v.notFound {
		outcome = record.NotFound
	}
	return record.Decision{Package: pkg, Outcome: outcome, Reason: v.deny.Reason, Rule: v.rule}
}

// logDeny logs a denial at debug level: audit records denials, so the log
// need not repeat every one. A failure to decide is a 500, whose cause
// apierrors.Write logs, so it is not logged twice; in dry-run mode nothing
// is written, so every would-be denial is logged here.
func logDeny(ctx context.Context, log *slog.Logger, rec *record.Record, v *verdict, dryRun bool) {
	level, msg := slog.LevelDebug, "authz: denied"
	switch {
	case dryRun:
		level, msg = slog.LevelWarn, "authz: dry run: would deny"
	case v.failed():
		return
	}
	if !log.Enabled(ctx, level) {
		return
	}
	log.LogAttrs(ctx, level, msg,
		slog.String("request_id", rec.ID()), slog.String("route", rec.Route()),
		slog.String("rule", v.rule), slog.String("reason", v.deny.Reason), slog.String("error", v.deny.Error()))
}

// copyProblem returns a copy of a possibly shared problem, for callers that
// might modify it.
func copyProblem(p *apierrors.Problem) *apierrors.Problem {
	q := *p
	q.Header = p.Header.Clone()
	q.Errors = append([]apierrors.FieldError(nil), p.Errors...)
	return &q
}
