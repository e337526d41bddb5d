// Package authz decides whether an authenticated caller may do what the
// request asks: scopes, roles, claim rules, ownership, step-up
// authentication, deny by default.
//
// # What it protects against
//
// Broken access control, the top two OWASP API risks: callers reaching
// operations beyond their scopes or roles (broken function level
// authorization), and objects that are not theirs (broken object level
// authorization, "BOLA"). It reads the [auth.Principal] that auth's
// middleware put in the context and never parses a token itself.
//
// # Rules
//
// [AllScopes], [AnyScope], [AllRoles], [AnyRole], [Claim] (a JSON Pointer
// into the token's claims), [Owner] and [Tenant] (object-level checks),
// [StepUp] (acr, amr, auth_time), [SenderConstrained] (a DPoP- or
// certificate-bound token), [Func] for anything else, combined with
// [And], [Or] and [Not]. [Public] marks a route anyone may call;
// [Authenticated] one any authenticated caller may call.
//
// Scopes match exactly. [WildcardScopes] is an opt-in matcher under which
// "items:*" grants "items:read"; its documentation states its risks. A
// required scope must be an RFC 6749 scope token, so a granted string that
// holds a space or any other byte outside that syntax never matches it,
// in whole or by prefix; auth refuses tokens that carry such scopes.
//
// # Responses
//
// Every response is a problem written with apierrors.Write:
//
//	no principal            401 unauthenticated    auth's own 401 for no credentials (see below)
//	missing scope           403 insufficient_scope WWW-Authenticate: Bearer error="insufficient_scope", scope="items:write"
//	role, claim, tenant,    403 forbidden          (the same body for every rule: no hint of which failed)
//	Not, Func
//	owner: someone else's   404 not_found          (the same body for both: no hint of which IDs exist)
//	object, or none
//	step-up                 401 step_up_required   WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values="…", max_age=300
//	a resolver's error      500 internal           (the cause goes to the log only)
//
// A request without a principal gets exactly the problem auth's middleware
// writes for a request without credentials ([auth.UnauthenticatedProblem]):
// when auth lets an anonymous request through (auth.Config.AllowAnonymous)
// it leaves that problem in the request record, so the detail and the
// WWW-Authenticate challenge (auth's realm and every scheme it takes, for
// example Bearer realm="api", ApiKey realm="api"; none when auth takes only
// client certificates) are the same whichever package asks the client to
// authenticate. Without auth before authz, the challenge is
// Bearer realm="api". The challenges authz builds from its rules carry
// only scope tokens and acr values, which the rule constructors hold to
// RFC 6749's scope-token syntax, so nothing else reaches the header.
//
// Every decision, allow or deny, goes into the request record with the rule
// that decided it, for audit to log.
//
// # Per route: Require
//
// [Require] guards one route or group:
//
//	// ServeMux
//	mux.Handle("POST /v1/items", authz.Require(authz.AllScopes("items:write"))(createItem))
//	// chi
//	r.With(authz.Require(authz.AllScopes("items:write"))).Post("/v1/items", createItem)
//	// gorilla/mux
//	admin := r.PathPrefix("/admin").Subrouter()
//	admin.Use(authz.Require(authz.AnyRole("admin")))
//
// # Deny by default: a Policy
//
// A [Policy] maps every route pattern to its rule and is installed once, so
// a route without an entry is refused (403 forbidden, logged as a wiring
// error) instead of served:
//
//	pol, err := authz.New(authz.Config{
//		Routes: map[string]authz.Rule{
//			"GET /healthz":       authz.Public(),
//			"GET /v1/items":      authz.AllScopes("items:read"),
//			"POST /v1/items":     authz.AllScopes("items:write"),
//			"GET /v1/items/{id}": authz.Owner(items.OwnerOf),
//		},
//	})
//
// The policy learns the matched pattern from the router:
//
//   - ServeMux: wrap the mux and set Config.Mux, so the policy asks the mux
//     which pattern matches before it runs:
//     pol.Handler(apierrors.Mux(mux)). Or wrap each handler
//     (mux.Handle(p, pol.Handler(h))), where r.Pattern is already set.
//
//   - chi: r.Use(pol.Handler) on the root router (the policy matches the
//     route with chi's Find before chi routes), or r.With(pol.Handler).
//
//   - gorilla/mux: r.Use(pol.Handler) (gorilla runs middleware after
//     matching) with Config.Pattern returning the route's template and
//     Config.PathValue reading mux.Vars, as below.
//
// For gorilla/mux:
//
//	Pattern: func(r *http.Request) string {
//		route := mux.CurrentRoute(r)
//		if route == nil {
//			return ""
//		}
//		tpl, _ := route.GetPathTemplate()
//		return tpl
//	},
//	PathValue: func(r *http.Request, name string) string { return mux.Vars(r)[name] },
//
// Rules that read path values ([Owner] resolvers, [Tenant], [Func]) read
// them the router's own way, and get the router's values even when the
// policy runs before the router:
//
//   - ServeMux: r.PathValue. Wrapping the mux, the policy sets them on the
//     request from the pattern it matched.
//   - chi: chi.URLParam (or r.PathValue). In r.Use the policy runs before
//     chi routes, so it lends the values its own match found to chi's route
//     context while a rule runs, and takes them back before chi routes: the
//     handler sees exactly the parameters chi sets, through mounted
//     subrouters too.
//   - gorilla/mux: mux.Vars. gorilla runs r.Use after it has matched, so the
//     values are already set; Config.PathValue tells [Tenant] to read them.
//
// At start-up, [Policy.CheckRoutes] (the patterns you register on a
// ServeMux, or a gorilla/mux router's templates from Router.Walk) and
// [Policy.CheckChi] list the routes that have no entry, so a forgotten
// route fails the deploy rather than a request.
//
// Config.DryRun records and logs what the policy would deny without
// enforcing it, for rolling out a policy on live traffic.
//
// # Stack order
//
// After auth, before validate: errors.Recover → audit → ratelimit (by IP) →
// auth → ratelimit (by subject) → authz → validate → handler. authz without
// auth before it refuses everything with 401 and logs the wiring error.
//
// One order of checks on every route, so that one mistake gets one answer
// whichever route it is sent to: authentication (401), the rules on the
// caller, scopes, roles, claims and step-up (403 or 401), the path
// parameters (422), the object-level rules ([Owner]: 404 for an object that
// does not exist, 403 for one that is not the caller's; [Tenant]: 403), then
// the query and body (validate: 422, 400, 413, 415). The policy runs
// before the route's validator, so an [Owner] resolver that reads a path
// parameter checks it first with the route's own validator
// (validate.Validator.Check) and returns its problem; otherwise a
// malformed ID is the resolver's 404 on a route with an owner check and
// the validator's 422 on one without. Put the caller's rules before
// Owner in an [And], as the first rule that fails decides.
//
// # Monitoring
//
// authz reports through the OpenTelemetry API, under the scope
// github.com/apishield/apishield/authz; nothing is recorded until the
// application installs an SDK. apishield.authz.decisions counts decisions
// with attributes outcome (allow, deny, not_found, dry_run) and rule, the
// kind of the rule that decided: scopes, roles, claim, owner, tenant,
// step_up, binding (SenderConstrained), func, public, principal (no
// principal, or Authenticated), or
// none (a combination with And or Or that allowed, a route without an
// entry). Not(x) counts as x's kind. A Policy counts on
// Config.MeterProvider; Require, Check, CheckOwner and NotFound, which take
// no configuration, on the global provider. Requests no route matched are
// not counted. Each decision also adds the event apishield.authz.decision,
// with the same attributes, to the request context's span when it is
// recording. Attributes never hold a subject, scope, role or route.
//
// # Security
//
// authz decides on the principal it is given; it does not authenticate, so
// a principal that auth should not have accepted is authorised like any
// other. It does not check what a handler does with an object it loads
// besides the one the rule resolved: list endpoints must filter by owner
// themselves ([Check] and [CheckOwner] help inside handlers). Requests that
// match no route are passed to the router, which answers 404 or 405; a
// router's NotFound or MethodNotAllowed handler is therefore outside the
// policy and must not serve data. Dry-run mode enforces nothing. The
// object-level check ([Owner], [CheckOwner] with [NotFound]) answers an
// object that is not the caller's and one that does not exist alike, with
// the 404 an unmatched path gets, so a caller cannot enumerate IDs; the
// request record tells the two apart (a denial, or the outcome not_found),
// and so does audit (authz_fail, or not_found). A resolver whose answer
// depends on whose the object is (ErrDenied for someone else's, say) tells
// the caller what the rule hides.
package authz
