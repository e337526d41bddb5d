package auth

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per decision, with the decision's attributes, to
// the recording span of the request's context.
const decisionEvent = "apishield.auth.decision"

// The attribute values of apishield.auth.decisions. Reasons are the
// problems the middleware writes, "ok" for a request let through.
var (
	metricReasons = [...]string{"ok", apierrors.ReasonUnauthenticated, apierrors.ReasonInvalidToken, apierrors.ReasonTokenExpired,
		apierrors.ReasonInvalidDPoPProof, apierrors.ReasonUseDPoPNonce}
	metricMethods = [...]string{"jwt", "apikey", "mtls", "anonymous", "none", "introspection"}
)

const (
	methodJWT = iota
	methodAPIKey
	methodMTLS
	methodAnonymous
	methodNone
	methodIntrospection
)

// decisionSets are the attribute sets of apishield.auth.decisions: allow
// (reason ok) and deny, for each reason and method, indexed by
// decisionIndex.
var decisionSets = func() []*telemetry.Attrs {
	var sets []*telemetry.Attrs
	for _, o := range [...]string{"allow", "deny"} {
		for _, r := range metricReasons {
			for _, m := range metricMethods {
				sets = append(sets, telemetry.NewAttrs(attribute.String("outcome", o),
					attribute.String("reason", r), attribute.String("method", m)))
			}
		}
	}
	return sets
}()

func decisionIndex(allow bool, reason, method int) int {
	o := 1
	if allow {
		o = 0
	}
	return (o*len(metricReasons)+reason)*len(metricMethods) + method
}

func newDecisionCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "auth"), "apishield.auth.decisions",
		"Authentication decisions by outcome, problem reason and method.", "{decision}", decisionSets)
}

// methodOf is the bounded method attribute of a principal: an
// application's Authenticator may name its method freely, so methods
// other than auth's own are reported by the kind of credential.
func methodOf(p *Principal, kind CredentialKind) int {
	switch p.Method {
	case MethodJWT:
		return methodJWT
	case MethodAPIKey:
		return methodAPIKey
	case MethodMTLS:
		return methodMTLS
	case MethodIntrospection:
		return methodIntrospection
	}
	return methodOfKind(kind)
}

func methodOfKind(kind CredentialKind) int {
	switch kind {
	case Bearer:
		return methodJWT
	case APIKey:
		return methodAPIKey
	case kindMTLS:
		return methodMTLS
	case kindDPoP:
		return methodJWT
	}
	return methodNone
}

func reasonIndex(reason string) int {
	for i, r := range metricReasons {
		if r == reason {
			return i
		}
	}
	return 2 // invalid_token: refuse writes no other
}

// The attribute sets of the JWT verifier's counters.
var (
	fetchSets = []*telemetry.Attrs{
		telemetry.NewAttrs(attribute.String("outcome", "success")),
		telemetry.NewAttrs(attribute.String("outcome", "failure")),
	}
	lookupSets = []*telemetry.Attrs{
		telemetry.NewAttrs(attribute.String("result", "hit")),
		telemetry.NewAttrs(attribute.String("result", "miss")),
	}
)

// jwtMetrics are a JWT verifier's instruments.
type jwtMetrics struct {
	fetches *telemetry.Counter // 0 success, 1 failure
	lookups *telemetry.Counter // 0 hit, 1 miss
}

func newJWTMetrics(mp metric.MeterProvider, src *jwksSource) jwtMetrics {
	meter := telemetry.Meter(mp, "auth")
	telemetry.SharedGauge(mp, "auth", "apishield.auth.jwks.age",
		"Age of the oldest key set in use: the time since its last successful fetch.", "s",
		telemetry.Max, src, func(s *jwksSource, observe func(float64, *telemetry.Attrs)) {
			if snap := s.cur.Load(); snap != nil {
				observe(time.Since(snap.fetched).Seconds(), nil)
			}
		})
	return jwtMetrics{
		fetches: telemetry.NewCounter(meter, "apishield.auth.jwks.fetches",
			"Key set fetches by outcome.", "{fetch}", fetchSets),
		lookups: telemetry.NewCounter(meter, "apishield.auth.token_cache.lookups",
			"Verified-token cache lookups by result.", "{lookup}", lookupSets),
	}
}

// fetched counts a fetch that ended with err.
func (m *jwtMetrics) fetched(err error) {
	if m.fetches == nil {
		return
	}
	if err != nil {
		m.fetches.Inc(1)
		return
	}
	m.fetches.Inc(0)
}

// looked counts a cache lookup.
func (m *jwtMetrics) looked(hit bool) {
	if m.lookups == nil {
		return
	}
	if hit {
		m.lookups.Inc(0)
		return
	}
	m.lookups.Inc(1)
}

// decided counts a decision of the middleware and adds its event.
func (m *Middleware) decided(ctx context.Context, allow bool, reason string, method int) {
	m.decisions.Decision(ctx, decisionIndex(allow, reasonIndex(reason), method), decisionEvent)
}
