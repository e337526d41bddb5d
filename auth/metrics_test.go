package auth_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestMetrics drives real requests through the middleware and reads back,
// through the SDK's manual reader, exactly the decisions, key set fetches,
// cache lookups and key set age recorded, and the span events.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	srv := newJWKSServer(standardSet(t))
	j := newVerifier(t, srv, func(c *auth.JWTConfig) {
		c.MeterProvider = m
		c.RefetchInterval = time.Nanosecond
	})
	keysAuth, apiKey, _ := newAPIKeys(t)
	strict := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j, keysAuth}, Logger: discardLogger(), MeterProvider: m})
	open := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j}, AllowAnonymous: true, Logger: discardLogger(), MeterProvider: m})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})

	now := time.Now()
	good := validToken(t, "ES256", now)
	expired := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
		`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":`+itoa(now.Unix()-3600)+`}`)
	forged := sign(t, "ES256", keys(t).attacker, `{"alg":"ES256","kid":"ES256"}`, claimsJSON(now, ""))
	unknownKID := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"rotated"}`, claimsJSON(now, ""))

	send := func(m *auth.Middleware, header, value string, want int) {
		t.Helper()
		r := httptest.NewRequest("GET", "/v1/items", nil)
		if header != "" {
			r.Header.Set(header, value)
		}
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		m.Handler(ok).ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != want {
			t.Fatalf("%s %.12q: status %d, want %d", header, value, w.Code, want)
		}
	}
	send(strict, "Authorization", "Bearer "+good, 200)
	send(strict, "Authorization", "Bearer "+good, 200) // from the cache
	send(strict, "X-API-Key", apiKey, 200)
	send(strict, "Authorization", "Bearer "+expired, 401)
	send(strict, "Authorization", "Bearer "+forged, 401)
	send(strict, "", "", 401)
	send(open, "", "", 200)
	// A kid the set lacks makes the verifier fetch again; the server fails.
	srv.override(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 500) })
	send(strict, "Authorization", "Bearer "+unknownKID, 401)

	got := m.Series("apishield.auth.decisions")
	want := map[string]float64{
		"method=jwt,outcome=allow,reason=ok":              2,
		"method=apikey,outcome=allow,reason=ok":           1,
		"method=anonymous,outcome=allow,reason=ok":        1,
		"method=jwt,outcome=deny,reason=token_expired":    1,
		"method=jwt,outcome=deny,reason=invalid_token":    2,
		"method=none,outcome=deny,reason=unauthenticated": 1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
	fetches := m.Series("apishield.auth.jwks.fetches")
	if want := map[string]float64{"outcome=success": 1, "outcome=failure": 1}; !maps.Equal(fetches, want) {
		t.Errorf("fetches = %v, want %v", fetches, want)
	}
	// Bearer tokens looked up: good twice (miss, hit), expired, forged and
	// the unknown kid once each.
	lookups := m.Series("apishield.auth.token_cache.lookups")
	if want := map[string]float64{"result=hit": 1, "result=miss": 4}; !maps.Equal(lookups, want) {
		t.Errorf("cache lookups = %v, want %v", lookups, want)
	}
	age, found := m.Value("apishield.auth.jwks.age")
	if !found || age < 0 || age > time.Since(now).Seconds()+1 {
		t.Errorf("jwks age = %v, %v; want the seconds since the start-up fetch", age, found)
	}
	md := m.Collect()["apishield.auth.jwks.age"]
	if md.Scope != "github.com/apishield/apishield/auth" || md.Unit != "s" {
		t.Errorf("jwks age scope, unit = %q, %q", md.Scope, md.Unit)
	}
	for k := range got {
		if strings.Contains(k, "alice") || strings.Contains(k, "billing") {
			t.Errorf("series %q holds a subject", k)
		}
	}
	runtime.KeepAlive(strict)
	runtime.KeepAlive(open)
	events := telemetrytest.Sorted(spans.Events("apishield.auth.decision"))
	var wantEv []string
	for k, n := range want {
		for range int(n) {
			wantEv = append(wantEv, k)
		}
	}
	if wantEv = telemetrytest.Sorted(wantEv); !slices.Equal(events, wantEv) {
		t.Errorf("span events =\n%v\nwant\n%v", events, wantEv)
	}
}

// The key set age gauge reports the oldest set of all verifiers.
func TestMetricsJWKSAgeIsTheOldest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m := telemetrytest.NewMetrics(t)
		newJWT := func() *auth.JWT {
			j, err := auth.NewJWT(t.Context(), auth.JWTConfig{
				Issuer: testIssuer, Audience: []string{testAudience}, JWKSURL: testIssuer + "/jwks",
				HTTPClient: inMemoryClient(newJWKSServer(standardSet(t))), Logger: discardLogger(), MeterProvider: m,
			})
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
		old := newJWT()
		time.Sleep(time.Hour)
		young := newJWT()
		time.Sleep(time.Minute)
		got := m.Series("apishield.auth.jwks.age")
		if want := map[string]float64{"": 3660}; !maps.Equal(got, want) {
			t.Errorf("jwks age = %v, want %v (the older set's)", got, want)
		}
		runtime.KeepAlive(old)
		runtime.KeepAlive(young)
	})
}
