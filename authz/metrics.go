package authz

import (
	"context"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per decision, with the decision's attributes, to
// the recording span of the request's context.
const decisionEvent = "apishield.authz.decision"

// Outcomes of apishield.authz.decisions.
const (
	outcomeAllow = iota
	outcomeDeny
	outcomeNotFound
	outcomeDryRun
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"allow", "deny", "not_found", "dry_run"}

// Rule kinds of apishield.authz.decisions: bounded, unlike rule names,
// which hold scopes, roles and claim pointers.
const (
	kindScopes = iota
	kindRoles
	kindClaim
	kindOwner
	kindTenant
	kindStepUp
	kindBinding
	kindFunc
	kindPublic
	kindPrincipal
	kindNone
	numKinds
)

var kindNames = [numKinds]string{"scopes", "roles", "claim", "owner", "tenant", "step_up", "binding", "func", "public", "principal", "none"}

var decisionSets = func() []*telemetry.Attrs {
	sets := make([]*telemetry.Attrs, 0, numOutcomes*numKinds)
	for _, o := range outcomeNames {
		for _, k := range kindNames {
			sets = append(sets, telemetry.NewAttrs(attribute.String("outcome", o), attribute.String("rule", k)))
		}
	}
	return sets
}()

func newDecisionCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "authz"), "apishield.authz.decisions",
		"Authorization decisions by outcome and rule kind.", "{decision}", decisionSets)
}

// globalCounter counts the decisions of Require, Check, CheckOwner and
// NotFound, which take no configuration, on the global provider. It is
// made on first use, so that importing authz does nothing.
var globalCounter atomic.Pointer[telemetry.Counter]

func globalDecisions() *telemetry.Counter {
	if c := globalCounter.Load(); c != nil {
		return c
	}
	globalCounter.CompareAndSwap(nil, newDecisionCounter(nil))
	return globalCounter.Load()
}

// ruleKind returns the kind of the rule named name: the part before its
// first '(' for rules with arguments, the inner rule's for not(…), none
// for a combination (and, or) or a refusal that no rule made (no_policy,
// unknown_route).
func ruleKind(name string) int {
	for {
		base, inner, _ := strings.Cut(name, "(")
		switch base {
		case "all_scopes", "any_scope":
			return kindScopes
		case "all_roles", "any_role":
			return kindRoles
		case "claim":
			return kindClaim
		case "owner":
			return kindOwner
		case "tenant":
			return kindTenant
		case "step_up":
			return kindStepUp
		case "sender_constrained":
			return kindBinding
		case "func":
			return kindFunc
		case "public":
			return kindPublic
		case "principal", "authenticated":
			return kindPrincipal
		case "not":
			name = inner
			continue
		}
		return kindNone
	}
}

// count counts one decision on c and adds its event.
func count(ctx context.Context, c *telemetry.Counter, outcome, kind int) {
	c.Decision(ctx, outcome*numKinds+kind, decisionEvent)
}

// verdictOutcome is the outcome of a refusal v.
func verdictOutcome(v *verdict, dryRun bool) int {
	switch {
	case dryRun:
		return outcomeDryRun
	case v.notFound:
		return outcomeNotFound
	}
	return outcomeDeny
}
