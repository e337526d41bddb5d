package authz

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// StepUpOptions says how strong and how recent the caller's authentication
// must be. At least one of ACR, AMR and MaxAge must be set.
type StepUpOptions struct {
	// ACR lists the acceptable authentication context classes (the acr
	// claim); the principal's must be one of them. Empty means any.
	ACR []string
	// AMR lists authentication methods (the amr claim), e.g. "mfa", "otp",
	// "hwk"; the principal must have used at least one of them. Empty means
	// any.
	AMR []string
	// MaxAge is the longest time since the user authenticated (auth_time),
	// measured when the request arrived (the request record's start, which
	// the outermost apishield middleware takes; time.Now without one).
	// A principal without auth_time fails. Zero means no limit.
	MaxAge time.Duration
	// Now returns the current time, for tests. If nil, the request's
	// arrival as above.
	Now func() time.Time
}

// futureSkew is how far in the future an auth_time may be (clock skew
// between the issuer and this server) before it is not believed.
const futureSkew = time.Minute

// StepUp returns a rule for sensitive routes (the "multi-factor
// authentication" practice): the principal must have authenticated with
// one of opts.ACR, with one of opts.AMR, and within opts.MaxAge.
//
// It fails with 401 step_up_required and an RFC 9470 challenge that tells
// the client what to ask the authorization server for:
//
//	WWW-Authenticate: Bearer error="insufficient_user_authentication",
//	  error_description="A stronger or more recent authentication is required",
//	  acr_values="urn:example:mfa", max_age=300
//
// RFC 9470 has no parameter for amr; a route that requires only AMR sends
// the error alone, and clients map it to their MFA flow.
func StepUp(opts StepUpOptions) Rule {
	s := &stepUp{acr: append([]string(nil), opts.ACR...), amr: append([]string(nil), opts.AMR...),
		maxAge: opts.MaxAge, now: opts.Now}
	var parts []string
	if len(s.acr) > 0 {
		parts = append(parts, "acr="+strings.Join(s.acr, " "))
	}
	if len(s.amr) > 0 {
		parts = append(parts, "amr="+strings.Join(s.amr, " "))
	}
	if s.maxAge > 0 {
		parts = append(parts, "max_age="+strconv.FormatInt(int64(s.maxAge/time.Second), 10))
	}
	s.name = "step_up(" + strings.Join(parts, ", ") + ")"
	switch {
	case len(parts) == 0:
		return invalidRule(s.name, "StepUp needs ACR, AMR or MaxAge")
	case opts.MaxAge < 0 || (opts.MaxAge > 0 && opts.MaxAge < time.Second):
		return invalidRule(s.name, "MaxAge %v is negative or below one second", opts.MaxAge)
	}
	for _, v := range append(append([]string(nil), s.acr...), s.amr...) {
		if !validScope(v) { // the same character rules keep the quoted challenge intact
			return invalidRule(s.name, "value %q is empty or holds spaces, quotes or control characters", v)
		}
	}
	challenge := `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required"`
	if len(s.acr) > 0 {
		challenge += `, acr_values="` + strings.Join(s.acr, " ") + `"`
	}
	if s.maxAge > 0 {
		challenge += ", max_age=" + strconv.FormatInt(int64(s.maxAge/time.Second), 10)
	}
	s.problem = apierrors.New(http.StatusUnauthorized, apierrors.ReasonStepUpRequired,
		"This operation needs a stronger or more recent authentication.").
		WithHeader("WWW-Authenticate", challenge)
	s.denied = &verdict{deny: s.problem, rule: s.name}
	return s
}

type stepUp struct {
	acr, amr []string
	maxAge   time.Duration
	now      func() time.Time
	name     string
	problem  *apierrors.Problem
	denied   *verdict
}

func (s *stepUp) String() string { return s.name }
func (s *stepUp) check() error   { return nil }

func (s *stepUp) eval(r *http.Request, p *auth.Principal, _ pathValues) *verdict {
	if len(s.acr) > 0 && !contains(s.acr, p.ACR) {
		return s.denied
	}
	if len(s.amr) > 0 && !containsAny(p.AMR, s.amr) {
		return s.denied
	}
	if s.maxAge > 0 {
		if p.AuthTime.IsZero() {
			return s.denied
		}
		age := s.clock(r).Sub(p.AuthTime)
		if age > s.maxAge || age < -futureSkew {
			return s.denied
		}
	}
	return nil
}

// clock returns the time auth_time's age is measured at: the injected
// clock, else the moment the request arrived as its record holds it (one
// clock read per request, shared by every package), else now.
func (s *stepUp) clock(r *http.Request) time.Time {
	if s.now != nil {
		return s.now()
	}
	if rec := record.From(r.Context()); rec != nil {
		return rec.Start()
	}
	return time.Now()
}

func contains(list []string, v string) bool {
	if v == "" {
		return false
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsAny(have, want []string) bool {
	for _, h := range have {
		if contains(want, h) {
			return true
		}
	}
	return false
}
