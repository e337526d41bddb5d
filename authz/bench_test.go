package authz_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/internal/record"
)

// The budget: a 10-rule policy on the allow path ≤ 200 ns and 0 allocs/op.
// The floors are the same ten checks written by hand.

// benchRules are ten rules that all pass for benchPrincipal on benchPath.
func benchRules() []authz.Rule {
	return []authz.Rule{
		authz.AllScopes("items:read"),
		authz.AnyScope("items:admin", "items:write"),
		authz.AllRoles("editor"),
		authz.AnyRole("admin", "viewer"),
		authz.Claim("/tenant", "acme"),
		authz.Claim("/email_verified", true),
		authz.Not(authz.AnyRole("banned")),
		authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa", "otp"}}),
		authz.StepUp(authz.StepUpOptions{MaxAge: time.Hour}),
		authz.Tenant("tid", "/tenant"),
	}
}

const (
	benchPattern = "GET /v1/tenants/{tid}/items"
	benchPath    = "/v1/tenants/acme/items"
)

func benchPrincipal() *auth.Principal {
	p := alice()
	p.Scopes = []string{"openid", "profile", "items:read", "items:write"}
	// As from a token's auth_time: whole seconds, no monotonic reading, so
	// the floor's time.Since reads the wall clock as StepUp must.
	p.AuthTime = time.Unix(time.Now().Unix()-60, 0)
	return p
}

// benchRequest returns a request as the handler chain sees it behind
// errors.Recover, auth and a router: record installed, principal in the
// context, the pattern and path value set by the router.
func benchRequest(b *testing.B, method, path string) (http.ResponseWriter, *http.Request, *record.Record) {
	r := httptest.NewRequest(method, path, nil)
	w, r, rec := record.Install(httptest.NewRecorder(), r)
	r = r.WithContext(auth.NewContext(r.Context(), benchPrincipal()))
	return w, r, rec
}

var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

func benchServe(b *testing.B, h http.Handler, w http.ResponseWriter, r *http.Request, rec *record.Record) {
	b.Helper()
	h.ServeHTTP(w, r)
	if ds := rec.Decisions(); len(ds) != 1 || ds[0].Outcome != record.Allow {
		b.Fatalf("not on the allow path: %+v", ds)
	}
	loop(b, func() {
		record.ResetDecisions(rec)
		h.ServeHTTP(w, r)
	})
}

// loop runs op in b.Loop and also reports the CPU time per operation
// (cpu-ns/op), which other processes on a shared machine inflate less than
// wall time.
func loop(b *testing.B, op func()) {
	b.ReportAllocs()
	start, n := cpuTime(), 0
	for b.Loop() {
		op()
		n++
	}
	if used := cpuTime() - start; n > 0 && used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

// BenchmarkPolicy10Rules is the budgeted row: a Policy whose entry for the
// matched route holds ten rules, with the pattern on the request (ServeMux
// per route, chi r.With, gorilla/mux).
func BenchmarkPolicy10Rules(b *testing.B) {
	pol, err := authz.New(authz.Config{Routes: map[string]authz.Rule{
		"GET /v1/items": authz.AllScopes("items:read"), "POST /v1/items": authz.AllScopes("items:write"),
		benchPattern: authz.And(benchRules()...),
	}})
	if err != nil {
		b.Fatal(err)
	}
	w, r, rec := benchRequest(b, "GET", benchPath)
	r.Pattern = benchPattern
	r.SetPathValue("tid", "acme")
	benchServe(b, pol.Handler(noop), w, r, rec)
}

// BenchmarkPolicy10RulesNoClock is BenchmarkPolicy10Rules with the
// auth_time rule swapped for an acr one, to show what the wall-clock read
// costs: it is most of the difference on a virtual machine.
func BenchmarkPolicy10RulesNoClock(b *testing.B) {
	rules := benchRules()
	rules[8] = authz.StepUp(authz.StepUpOptions{ACR: []string{"urn:acr:hwk", "urn:acr:mfa"}})
	pol, err := authz.New(authz.Config{Routes: map[string]authz.Rule{
		"GET /v1/items": authz.AllScopes("items:read"), "POST /v1/items": authz.AllScopes("items:write"),
		benchPattern: authz.And(rules...),
	}})
	if err != nil {
		b.Fatal(err)
	}
	w, r, rec := benchRequest(b, "GET", benchPath)
	r.Pattern = benchPattern
	r.SetPathValue("tid", "acme")
	benchServe(b, pol.Handler(noop), w, r, rec)
}

// BenchmarkFloorInline10NoClock is the floor of the same: the acr check
// inline instead of the auth_time one.
func BenchmarkFloorInline10NoClock(b *testing.B) {
	allow := record.Decision{Package: "authz", Outcome: record.Allow, Reason: "inline"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record.From(r.Context())
		rec.SetRoute(benchPattern)
		p, ok := auth.FromContext(r.Context())
		if !ok || !inline10NoClock(p, r.PathValue("tid")) {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		rec.AddDecision(allow)
		noop.ServeHTTP(w, r)
	})
	w, r, rec := benchRequest(b, "GET", benchPath)
	r.Pattern = benchPattern
	r.SetPathValue("tid", "acme")
	benchServe(b, h, w, r, rec)
}

//go:noinline
func inline10NoClock(p *auth.Principal, tid string) bool {
	tenant, _ := p.Claims["tenant"].(string)
	verified, _ := p.Claims["email_verified"].(bool)
	amr := false
	for _, m := range p.AMR {
		if m == "mfa" || m == "otp" {
			amr = true
		}
	}
	return p.HasScope("items:read") &&
		(p.HasScope("items:admin") || p.HasScope("items:write")) &&
		p.HasRole("editor") &&
		(p.HasRole("admin") || p.HasRole("viewer")) &&
		tenant == "acme" &&
		verified &&
		!p.HasRole("banned") &&
		amr &&
		(p.ACR == "urn:acr:hwk" || p.ACR == "urn:acr:mfa") &&
		tid != "" && tid == tenant
}

// BenchmarkRequire10Rules is Require with the same ten rules.
func BenchmarkRequire10Rules(b *testing.B) {
	w, r, rec := benchRequest(b, "GET", benchPath)
	r.Pattern = benchPattern
	r.SetPathValue("tid", "acme")
	benchServe(b, authz.Require(benchRules()...)(noop), w, r, rec)
}

// BenchmarkFloorInline10 is the floor: the same ten checks written inline
// in a middleware that reads the principal and records its decision.
func BenchmarkFloorInline10(b *testing.B) {
	allow := record.Decision{Package: "authz", Outcome: record.Allow, Reason: "inline"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record.From(r.Context())
		rec.SetRoute(benchPattern)
		p, ok := auth.FromContext(r.Context())
		if !ok || !inline10(p, r.PathValue("tid")) {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		rec.AddDecision(allow)
		noop.ServeHTTP(w, r)
	})
	w, r, rec := benchRequest(b, "GET", benchPath)
	r.Pattern = benchPattern
	r.SetPathValue("tid", "acme")
	benchServe(b, h, w, r, rec)
}

//go:noinline
func inline10(p *auth.Principal, tid string) bool {
	tenant, _ := p.Claims["tenant"].(string)
	verified, _ := p.Claims["email_verified"].(bool)
	amr := false
	for _, m := range p.AMR {
		if m == "mfa" || m == "otp" {
			amr = true
		}
	}
	return p.HasScope("items:read") &&
		(p.HasScope("items:admin") || p.HasScope("items:write")) &&
		p.HasRole("editor") &&
		(p.HasRole("admin") || p.HasRole("viewer")) &&
		tenant == "acme" &&
		verified &&
		!p.HasRole("banned") &&
		amr &&
		!p.AuthTime.IsZero() && time.Since(p.AuthTime) <= time.Hour &&
		tid != "" && tid == tenant
}

// BenchmarkPolicyServeMuxWrapped is the policy wrapped around a ServeMux
// (Config.Mux): it must ask the mux which pattern matches, before the mux
// routes again. Beside it, the floor of that look-up alone.
func BenchmarkPolicyServeMuxWrapped(b *testing.B) {
	m := http.NewServeMux()
	m.Handle("GET /v1/items", noop)
	m.Handle(benchPattern, noop)
	pol, err := authz.New(authz.Config{Mux: m, Routes: map[string]authz.Rule{
		"GET /v1/items": authz.AllScopes("items:read"), benchPattern: authz.And(benchRules()...),
	}})
	if err != nil {
		b.Fatal(err)
	}
	w, r, rec := benchRequest(b, "GET", benchPath)
	benchServe(b, pol.Handler(m), w, r, rec)
}

// BenchmarkFloorServeMux is the ServeMux routing the same request to a
// handler with no policy.
func BenchmarkFloorServeMux(b *testing.B) {
	m := http.NewServeMux()
	m.Handle("GET /v1/items", noop)
	m.Handle(benchPattern, noop)
	w, r, _ := benchRequest(b, "GET", benchPath)
	loop(b, func() { m.ServeHTTP(w, r) })
}

func benchChi(mw func(http.Handler) http.Handler, with bool) http.Handler {
	r := chi.NewRouter()
	if mw != nil && !with {
		r.Use(mw)
	}
	var rt chi.Router = r
	if mw != nil && with {
		rt = r.With(mw)
	}
	rt.Get("/v1/items", noop)
	rt.Get("/v1/tenants/{tid}/items", noop)
	return r
}

func chiPolicy(b *testing.B) *authz.Policy {
	pol, err := authz.New(authz.Config{Routes: map[string]authz.Rule{
		"GET /v1/items": authz.AllScopes("items:read"), "GET /v1/tenants/{tid}/items": authz.And(benchRules()...),
	}})
	if err != nil {
		b.Fatal(err)
	}
	return pol
}

// BenchmarkPolicyChiUse is the policy in a chi router's r.Use: before chi
// routes, so the policy matches the route itself with chi's Find.
func BenchmarkPolicyChiUse(b *testing.B) {
	w, r, rec := benchRequest(b, "GET", benchPath)
	benchServe(b, benchChi(chiPolicy(b).Handler, false), w, r, rec)
}

// BenchmarkPolicyChiWith is the policy in chi's r.With: after routing.
func BenchmarkPolicyChiWith(b *testing.B) {
	w, r, rec := benchRequest(b, "GET", benchPath)
	benchServe(b, benchChi(chiPolicy(b).Handler, true), w, r, rec)
}

// BenchmarkFloorChi is chi routing the same request without a policy.
func BenchmarkFloorChi(b *testing.B) {
	h := benchChi(nil, false)
	w, r, _ := benchRequest(b, "GET", benchPath)
	loop(b, func() { h.ServeHTTP(w, r) })
}

// chiOwnerOf is an Owner resolver written the obvious way on chi: it reads
// {tid} with chi.URLParam. alice owns tenant acme's items.
func chiOwnerOf(r *http.Request) (string, error) {
	if chi.URLParam(r, "tid") == "acme" {
		return "alice", nil
	}
	return "", authz.ErrDenied
}

// BenchmarkPolicyChiUseOwner is an Owner rule whose resolver reads
// chi.URLParam, with the policy in chi's r.Use: the policy matches the
// route with Find and lends the values to chi's route context while the
// resolver runs. Routing included.
func BenchmarkPolicyChiUseOwner(b *testing.B) {
	pol, err := authz.New(authz.Config{Routes: map[string]authz.Rule{
		"GET /v1/items": authz.AllScopes("items:read"), benchPattern: authz.Owner(chiOwnerOf),
	}})
	if err != nil {
		b.Fatal(err)
	}
	w, r, rec := benchRequest(b, "GET", benchPath)
	benchServe(b, benchChi(pol.Handler, false), w, r, rec)
}

// BenchmarkFloorChiOwner is its floor: chi routing the same request to a
// handler that runs the same resolver after chi has set the parameters and
// records the decision.
func BenchmarkFloorChiOwner(b *testing.B) {
	allow := record.Decision{Package: "authz", Outcome: record.Allow, Reason: "owner", Rule: benchPattern}
	r := chi.NewRouter()
	r.Get("/v1/items", noop)
	r.Get("/v1/tenants/{tid}/items", func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		owner, err := chiOwnerOf(r)
		if err != nil || owner != p.Subject {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		rec := record.From(r.Context())
		rec.AddRouteDecision(benchPattern, allow)
	})
	w, req, rec := benchRequest(b, "GET", benchPath)
	benchServe(b, r, w, req, rec)
}
