package authz_test

import (
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestPolicyMetrics drives real requests through a policy and reads back,
// through the SDK's manual reader, exactly the decisions counted and the
// span events.
func TestPolicyMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	mux := http.NewServeMux()
	for _, p := range []string{"GET /items", "GET /admin", "GET /public", "GET /combo", "GET /mine"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	}
	routes := map[string]authz.Rule{
		"GET /items":  authz.AllScopes("items:read"),
		"GET /admin":  authz.AnyRole("admin"),
		"GET /public": authz.Public(),
		"GET /combo":  authz.And(authz.AllScopes("items:read"), authz.AnyRole("editor")),
		"GET /mine":   authz.Owner(func(*http.Request) (string, error) { return "", authz.ErrNotFound }),
	}
	pol := authz.MustNew(authz.Config{Routes: routes, Mux: mux, MeterProvider: m, Logger: slog.New(slog.DiscardHandler)})
	dry := authz.MustNew(authz.Config{Routes: routes, Mux: mux, MeterProvider: m, DryRun: true, Logger: slog.New(slog.DiscardHandler)})

	send := func(p *authz.Policy, path string, asAlice bool, want int) {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		if asAlice {
			r = as(r, alice())
		}
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		p.Handler(mux).ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != want {
			t.Fatalf("%s: status %d, want %d", path, w.Code, want)
		}
	}
	send(pol, "/items", true, 204)
	send(pol, "/items", true, 204)
	send(pol, "/admin", true, 403)
	send(pol, "/items", false, 401)
	send(pol, "/public", false, 204)
	send(pol, "/combo", true, 204)
	send(pol, "/mine", true, 404)
	send(dry, "/admin", true, 204)
	// Check outside the middleware counts as the middleware does.
	if err := pol.Check(as(httptest.NewRequest("GET", "/admin", nil), alice())); err == nil {
		t.Fatal("Check let alice into /admin")
	}

	want := map[string]float64{
		"outcome=allow,rule=scopes":    2,
		"outcome=deny,rule=roles":      2,
		"outcome=deny,rule=principal":  1,
		"outcome=allow,rule=public":    1,
		"outcome=allow,rule=none":      1,
		"outcome=not_found,rule=owner": 1,
		"outcome=dry_run,rule=roles":   1,
	}
	got := m.Series("apishield.authz.decisions")
	if !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
	if md := m.Collect()["apishield.authz.decisions"]; md.Scope != "github.com/apishield/apishield/authz" || md.Unit != "{decision}" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	want["outcome=deny,rule=roles"]-- // Check's decision had no span
	var wantEv []string
	for k, n := range want {
		for range int(n) {
			wantEv = append(wantEv, k)
		}
	}
	if ev := telemetrytest.Sorted(spans.Events("apishield.authz.decision")); !slices.Equal(ev, telemetrytest.Sorted(wantEv)) {
		t.Errorf("span events =\n%v\nwant\n%v", ev, telemetrytest.Sorted(wantEv))
	}
	runtime.KeepAlive(pol)
	runtime.KeepAlive(dry)
}

// TestRequireMetrics: Require and Check, which take no configuration,
// count on the global provider. Not parallel: it replaces that counter.
func TestRequireMetrics(t *testing.T) {
	m := telemetrytest.NewMetrics(t)
	authz.SetGlobalMeterProvider(m)
	t.Cleanup(func() { authz.SetGlobalMeterProvider(nil) })

	mw := authz.Require(authz.AllScopes("items:read"), authz.AnyRole("editor"))
	if c := do(t, mw, as(httptest.NewRequest("GET", "/x", nil), alice())); !c.served {
		t.Fatal("alice refused")
	}
	if c := do(t, authz.Require(authz.AnyRole("admin")), as(httptest.NewRequest("GET", "/x", nil), alice())); c.served {
		t.Fatal("alice let in as admin")
	}
	r := as(httptest.NewRequest("GET", "/x", nil), alice())
	if err := authz.CheckOwner(r, "bob"); err == nil {
		t.Fatal("CheckOwner let alice at bob's object")
	}
	if err := authz.NotFound(r); err == nil {
		t.Fatal("NotFound passed")
	}
	if err := authz.Check(r, authz.StepUp(authz.StepUpOptions{AMR: []string{"otp"}})); err != nil {
		t.Fatalf("step-up: %v", err)
	}
	want := map[string]float64{
		"outcome=allow,rule=none":      1,
		"outcome=deny,rule=roles":      1,
		"outcome=deny,rule=owner":      1,
		"outcome=not_found,rule=owner": 1,
		"outcome=allow,rule=step_up":   1,
	}
	if got := m.Series("apishield.authz.decisions"); !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
}
