package deprecation_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/apishield/apishield/deprecation"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/route"
)

var (
	depDate    = time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC)
	sunsetDate = time.Date(2027, 6, 30, 23, 59, 59, 0, time.UTC)
	// the header values of depDate and sunsetDate
	depHeader    = "@1782863999"
	sunsetHeader = "Wed, 30 Jun 2027 23:59:59 GMT"
)

const (
	docsLink = `<https://developer.example.com/deprecation/v1>; rel="deprecation"`
	succLink = `</v2/items>; rel="successor-version"`
)

func testConfig(now time.Time) deprecation.Config {
	return deprecation.Config{
		Routes: map[string]deprecation.Policy{
			"GET /v2/items/{id}/legacy": {Deprecated: depDate, Successor: "/v2/items/"},
			"/v2/export":                {Deprecated: depDate, Sunset: sunsetDate},
			"GET /v1/items":             {Deprecated: depDate, Docs: "https://developer.example.com/items-get"},
		},
		Prefixes: map[string]deprecation.Policy{
			"/v1/": {
				Deprecated: depDate, Sunset: sunsetDate,
				Docs: "https://developer.example.com/deprecation/v1", Successor: "/v2/items",
			},
			"/v1/admin": {Deprecated: depDate},
		},
		Now: func() time.Time { return now },
	}
}

// testMux is the application: every route answers 200 "ok".
func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }
	for _, p := range []string{"GET /v1/items", "/v1/", "/v10/items", "GET /v2/items/{id}/legacy", "/v2/export", "GET /v2/items"} {
		mux.HandleFunc(p, ok)
	}
	return mux
}

// serve runs req through route.Mux, a record, the middleware and the mux,
// and returns the response and the record's decisions.
func serve(t *testing.T, m *deprecation.Middleware, req *http.Request) (*httptest.ResponseRecorder, []record.Decision) {
	t.Helper()
	mux := testMux()
	var rec *record.Record
	h := route.Mux(mux)(m.Handler(mux))
	rr := httptest.NewRecorder()
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec = record.Install(w, r)
		h.ServeHTTP(w, r)
	})
	outer.ServeHTTP(rr, req)
	return rr, rec.Decisions()
}

func TestHandler(t *testing.T) {
	t.Parallel()
	before := depDate.Add(-24 * time.Hour)
	during := depDate.Add(24 * time.Hour)
	tests := []struct {
		name       string
		now        time.Time
		method     string
		target     string
		wantStatus int
		wantDep    string
		wantSunset string
		wantLink   []string
		wantDec    *record.Decision
	}{
		{"not deprecated", during, "GET", "/v2/items", 200, "", "", nil, nil},
		{"/v1 prefix does not match /v10", during, "GET", "/v10/items", 200, "", "", nil, nil},
		{"prefix", during, "GET", "/v1/orders/7", 200, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"prefix without trailing slash in the path (the mux redirects)", during, "GET", "/v1", 307, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"unclean path is cleaned before matching (the mux redirects)", during, "GET", "/v2/../v1/orders", 307, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"encoded slash matches on the decoded path (more, never less)", during, "GET", "/v1%2Forders", 404, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"encoded slash past sunset", sunsetDate, "GET", "/v1%2Forders", 410, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: "gone", Rule: "/v1"}},
		{"encoded dot-dot stays under the prefix, where ServeMux routes it", during, "GET", "/v1/%2e%2e/v2/items", 200, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"encoded dot-dot past sunset", sunsetDate, "GET", "/v1/%2e%2e/v2/items", 410, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: "gone", Rule: "/v1"}},
		{"encoded dot-dot into a prefix", during, "GET", "/v2/%2e%2e/v1/items", 404, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"escaped other version", during, "GET", "/v2/it%65ms", 200, "", "", nil, nil},
		{"longest prefix wins", during, "POST", "/v1/admin/users", 200, depHeader, "", nil,
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1/admin"}},
		{"route entry wins over prefix", during, "GET", "/v1/items", 200, depHeader, "",
			[]string{`<https://developer.example.com/items-get>; rel="deprecation"`},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "GET /v1/items"}},
		{"route entry for one method", during, "GET", "/v2/items/7/legacy", 200, depHeader, "", []string{`</v2/items/>; rel="successor-version"`},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "GET /v2/items/{id}/legacy"}},
		{"route entry for every method", during, "DELETE", "/v2/export", 200, depHeader, sunsetHeader, nil,
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v2/export"}},
		{"deprecation announced for a later date", before, "GET", "/v1/orders", 200, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"one second before sunset", sunsetDate.Add(-time.Second), "GET", "/v1/orders", 200, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}},
		{"gone at the sunset instant", sunsetDate, "GET", "/v1/orders", 410, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: "gone", Rule: "/v1"}},
		{"gone after sunset", sunsetDate.Add(time.Hour), "POST", "/v1/orders", 410, depHeader, sunsetHeader, []string{docsLink, succLink},
			&record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: "gone", Rule: "/v1"}},
		{"gone route entry", sunsetDate.Add(time.Hour), "PUT", "/v2/export", 410, depHeader, sunsetHeader, nil,
			&record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: "gone", Rule: "/v2/export"}},
		{"no sunset is never gone", sunsetDate.Add(100 * 24 * time.Hour), "GET", "/v1/items", 200, depHeader, "",
			[]string{`<https://developer.example.com/items-get>; rel="deprecation"`},
			&record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "GET /v1/items"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := deprecation.New(testConfig(tt.now))
			if err != nil {
				t.Fatal(err)
			}
			rr, decisions := serve(t, m, httptest.NewRequest(tt.method, tt.target, nil))
			if rr.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rr.Code, tt.wantStatus)
			}
			h := rr.Header()
			if got := h.Get("Deprecation"); got != tt.wantDep {
				t.Errorf("Deprecation = %q, want %q", got, tt.wantDep)
			}
			if got := h.Get("Sunset"); got != tt.wantSunset {
				t.Errorf("Sunset = %q, want %q", got, tt.wantSunset)
			}
			if got := h.Values("Link"); !slices.Equal(got, tt.wantLink) {
				t.Errorf("Link = %q, want %q", got, tt.wantLink)
			}
			switch {
			case tt.wantDec == nil && len(decisions) != 0:
				t.Errorf("decisions = %+v, want none", decisions)
			case tt.wantDec != nil && (len(decisions) != 1 || decisions[0] != *tt.wantDec):
				t.Errorf("decisions = %+v, want [%+v]", decisions, *tt.wantDec)
			}
			if tt.wantStatus == 200 && rr.Body.String() != "ok" {
				t.Errorf("body = %q, want the handler's", rr.Body.String())
			}
		})
	}
}

// TestGoneProblem checks the 410's body and that Check's error is the
// problem, wrapping ErrGone.
func TestGoneProblem(t *testing.T) {
	t.Parallel()
	m, err := deprecation.New(testConfig(sunsetDate.Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "HEAD", "POST"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			rr, _ := serve(t, m, httptest.NewRequest(method, "/v1/orders?x=1", nil))
			if rr.Code != http.StatusGone {
				t.Fatalf("status = %d, want 410", rr.Code)
			}
			if got := rr.Header().Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", got)
			}
			if method == "HEAD" {
				if rr.Body.Len() != 0 {
					t.Errorf("HEAD body = %q, want none", rr.Body.String())
				}
				return
			}
			var body struct {
				Status int    `json:"status"`
				Reason string `json:"reason"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(rr.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rr.Body.String(), err)
			}
			if body.Status != 410 || body.Reason != apierrors.ReasonGone {
				t.Errorf("body status, reason = %d, %q; want 410, %q", body.Status, body.Reason, apierrors.ReasonGone)
			}
			if want := "This API was retired on 2027-06-30. Its successor is in the Link header (rel=\"successor-version\")."; body.Detail != want {
				t.Errorf("detail = %q, want %q", body.Detail, want)
			}
		})
	}
	t.Run("Check", func(t *testing.T) {
		t.Parallel()
		n, err := m.Check(httptest.NewRequest("GET", "/v1/orders", nil))
		if !errors.Is(err, deprecation.ErrGone) {
			t.Errorf("Check error = %v, want ErrGone", err)
		}
		var p *apierrors.Problem
		if !errors.As(err, &p) || p.Status != 410 || p.Header.Get("Deprecation") != depHeader {
			t.Errorf("Check error = %#v, want a 410 problem with the headers", err)
		}
		if n == nil || n.Rule != "/v1" || !n.Sunset.Equal(sunsetDate) {
			t.Errorf("notice = %+v, want rule /v1 with its sunset", n)
		}
		n, err = m.Check(httptest.NewRequest("GET", "/v2/items", nil))
		if n != nil || err != nil {
			t.Errorf("Check(not deprecated) = %v, %v; want nil, nil", n, err)
		}
	})
}

// TestLinkMerge checks that a Link set before the middleware is kept and
// that a Link the handler adds does not leak into the next response
// through the precomputed values.
func TestLinkMerge(t *testing.T) {
	t.Parallel()
	m, err := deprecation.New(testConfig(depDate))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", `</v1/orders?page=2>; rel="next"`)
		w.Header().Add("Deprecation", "@0")
	}))
	pre := `<https://example.com/a>; rel="help"`
	for i := range 2 {
		rr := httptest.NewRecorder()
		if i == 1 {
			rr.Header().Set("Link", pre)
		}
		h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/orders", nil))
		want := []string{docsLink, succLink, `</v1/orders?page=2>; rel="next"`}
		if i == 1 {
			want = append([]string{pre}, want...)
		}
		if got := rr.Header().Values("Link"); !slices.Equal(got, want) {
			t.Errorf("request %d: Link = %q, want %q", i, got, want)
		}
	}
	// A policy with one link: its slice must have no room for a second,
	// or one response's Add would write into another's header.
	perRequest := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "<"+r.URL.Query().Get("next")+`>; rel="next"`)
	}))
	var rrs [2]*httptest.ResponseRecorder
	for i, next := range []string{"/a", "/b"} {
		rrs[i] = httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/v2/items/7/legacy?next="+next, nil)
		req.Pattern = "GET /v2/items/{id}/legacy"
		perRequest.ServeHTTP(rrs[i], req)
	}
	for i, next := range []string{"/a", "/b"} {
		want := []string{`</v2/items/>; rel="successor-version"`, "<" + next + `>; rel="next"`}
		if got := rrs[i].Header().Values("Link"); !slices.Equal(got, want) {
			t.Errorf("one-link policy, request %d: Link = %q, want %q", i, got, want)
		}
	}
	rr := httptest.NewRecorder()
	m.Handler(http.NotFoundHandler()).ServeHTTP(rr, httptest.NewRequest("GET", "/v1/orders", nil))
	if got := rr.Header().Values("Link"); !slices.Equal(got, []string{docsLink, succLink}) {
		t.Errorf("after handlers added links: Link = %q, want %q", got, []string{docsLink, succLink})
	}
	if got := rr.Header().Values("Deprecation"); !slices.Equal(got, []string{depHeader}) {
		t.Errorf("after a handler added one: Deprecation = %q, want [%q]", got, depHeader)
	}
}

// TestWithoutRecord checks that the middleware works as the first
// apishield middleware: it installs the record itself.
func TestWithoutRecord(t *testing.T) {
	t.Parallel()
	m, err := deprecation.New(testConfig(depDate))
	if err != nil {
		t.Fatal(err)
	}
	var got []record.Decision
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = record.From(r.Context()).Decisions()
	}))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/orders", nil))
	if len(got) != 1 || got[0].Reason != "deprecated" {
		t.Errorf("decisions = %+v, want one deprecated", got)
	}
	if rr.Header().Get("X-Request-Id") == "" {
		t.Error("no X-Request-ID: the record was not installed")
	}
}

func TestZeroConfig(t *testing.T) {
	t.Parallel()
	m, err := deprecation.New(deprecation.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rr := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(rr, httptest.NewRequest("GET", "/v1/x", nil))
	if rr.Code != 200 || len(rr.Header()) != 0 {
		t.Errorf("zero config: status %d, headers %v; want 200 and none", rr.Code, rr.Header())
	}
}
