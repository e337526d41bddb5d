package audit

import (
	"log/slog"
	"strings"

	"github.com/apishield/apishield/internal/record"
)

// Event names, from the OWASP Logging Vocabulary Cheat Sheet where it has
// one. Request events take the most significant name that applies: a rate
// limit denial, then an authentication failure (ActionAuthnTokenReuse for
// a credential auth refused as revoked, ActionAuthnLoginFail for the
// others), an authorization failure, a validation failure, privileged
// (admin) activity, and otherwise ActionRequest.
const (
	// ActionRequest is an ordinary request: the access-log baseline that
	// every other event stands out from. It is not an OWASP name.
	ActionRequest = "http_request"

	ActionAuthnLoginSuccess = "authn_login_success"
	ActionAuthnLoginFail    = "authn_login_fail"
	ActionAuthnLoginFailMax = "authn_login_fail_max"
	ActionAuthnTokenCreated = "authn_token_created"
	ActionAuthnTokenRevoked = "authn_token_revoked"
	ActionAuthnTokenReuse   = "authn_token_reuse"
	ActionAuthzFail         = "authz_fail"
	ActionAuthzChange       = "authz_change"
	ActionAuthzAdmin        = "authz_admin"
	ActionRateLimitExceeded = "excess_rate_limit_exceeded"
	ActionInputValidation   = "input_validation_fail"
	ActionPrivilegeChanged  = "privilege_permissions_changed"
	ActionUserCreated       = "user_created"
	ActionUserUpdated       = "user_updated"
	ActionUserDeleted       = "user_deleted"

	// ActionNotFound is a request refused because what it addressed does
	// not exist, as a package recorded it: today an authz Owner rule whose
	// resolver found no object. It is not an access-control failure, so
	// it stays out of authz_fail, which keeps to requests for objects
	// that exist and are someone else's (IDOR probing). The client cannot
	// tell the two apart: the Owner rule answers both with one 404. It is
	// not an OWASP name. A request that matched no route is an
	// http_request with reason not_found.
	ActionNotFound = "not_found"

	// ActionBruteForceSuspected is emitted once per window when
	// authentication failures from one client IP, or for one subject,
	// reach the configured threshold (see [BruteForce]).
	ActionBruteForceSuspected = "authn_brute_force_suspected"
)

// Outcome is an event's result, as in ECS event.outcome.
type Outcome string

// Outcomes.
const (
	Unknown Outcome = "" // logged as "unknown"
	Success Outcome = "success"
	Failure Outcome = "failure"
)

// String returns the outcome as logged: "unknown" for the zero Outcome.
func (o Outcome) String() string {
	if o == "" {
		return "unknown"
	}
	return string(o)
}

// An Event is an application event for [Auditor.Log]: an admin action, a
// role change, a login handled by the application itself. Request fields
// (request ID, client IP, principal, route) are added from the request
// record when ctx carries one.
//
// Every string is sanitized, masked and truncated like request fields, and
// Attrs go under apishield.fields (ECS) or unmapped.fields (OCSF), so they
// can never overwrite or forge a standard field.
type Event struct {
	// Action names the event: lowercase snake_case, preferably from the
	// OWASP vocabulary (the Action constants). Required.
	Action string
	// Outcome is success, failure or unknown (the zero value).
	Outcome Outcome
	// Reason is a machine code for a failure, such as "invalid_password".
	Reason string
	// User is the user the event is about (user.id), such as the account
	// a login tried. If empty, the request's authenticated subject.
	User string
	// Target is what was acted upon, such as "user:42" or "role:admin".
	Target string
	// Message is a short human description.
	Message string
	// Attrs are extra fields. Values of deny-listed keys are redacted,
	// keys are reduced to [A-Za-z0-9_-], at most 32 attributes and 4
	// levels of groups are kept.
	Attrs []slog.Attr
}

// revokedRule ends the rule of auth's decision for a revoked credential
// ("bearer:token_revoked", "api_key:token_revoked"): the kind of
// credential, a colon and the failed check.
const revokedRule = ":token_revoked"

// classify picks a request's event name, outcome and reason from its
// record. It runs on the request path, so it must not allocate. A
// decision whose outcome is not_found (an object that does not exist) ranks
// below a denial and above a validation failure.
func classify(e *entry) {
	failed := e.status >= 400
	e.outcome = Success
	if failed {
		e.outcome = Failure
	}
	e.reason = e.snap.Problem.Reason
	e.action = ActionRequest
	rank := 0 // the most significant denial wins
	for _, d := range e.snap.Decisions {
		r, act := 0, ""
		switch {
		case d.Outcome == record.NotFound:
			r, act = 2, ActionNotFound
		case d.Outcome != record.Deny:
			continue
		case d.Package == "ratelimit":
			r, act = 5, ActionRateLimitExceeded
		case d.Package == "auth" && strings.HasSuffix(d.Rule, revokedRule):
			r, act = 4, ActionAuthnTokenReuse
		case d.Package == "auth":
			r, act = 4, ActionAuthnLoginFail
		case d.Package == "authz":
			r, act = 3, ActionAuthzFail
		case d.Package == "validate":
			r, act = 1, ActionInputValidation
		}
		if r > rank {
			rank, e.action = r, act
			if e.reason == "" {
				e.reason = d.Reason
			}
		}
	}
	if rank == 0 && failed {
		// A problem written without a recorded denial (an application
		// handler, or a package that did not record) still names its kind.
		switch e.snap.Problem.Reason {
		case "rate_limited":
			e.action = ActionRateLimitExceeded
		case "unauthenticated", "invalid_token", "token_expired", "invalid_dpop_proof", "use_dpop_nonce":
			e.action = ActionAuthnLoginFail
		case "forbidden", "insufficient_scope", "step_up_required":
			e.action = ActionAuthzFail
		case "validation_failed", "malformed_request", "payload_too_large", "unsupported_media_type":
			e.action = ActionInputValidation
		}
	}
	if e.action == ActionRequest && !failed && e.admin {
		e.action = ActionAuthzAdmin
	}
	if e.snap.HasRateLimit && !e.snap.RateLimit.Allowed && !e.snap.RateLimit.Shadow && e.action == ActionRequest {
		e.action = ActionRateLimitExceeded
	}
}
