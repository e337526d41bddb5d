package ipfilter

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

func mustNew(t testing.TB, cfg Config) *Filter {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// serve runs one request through h behind errors.Recover, as in a full
// stack, and returns the response and the request record.
func serve(h http.Handler, r *http.Request) (*httptest.ResponseRecorder, *record.Record) {
	var rec *record.Record
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec = record.From(r.Context())
		h.ServeHTTP(w, r)
	})
	w := httptest.NewRecorder()
	apierrors.Recover(inner).ServeHTTP(w, r)
	return w, rec
}

// request builds a request from peer with header lines (name, value, ...).
func request(method, target, peer string, header ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// problemOf decodes a problem body.
func problemOf(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
	}
	return m
}

// decisionOf returns the one ipfilter decision in rec.
func decisionOf(t *testing.T, rec *record.Record) record.Decision {
	t.Helper()
	var out []record.Decision
	for _, d := range rec.Decisions() {
		if d.Package == pkgName {
			out = append(out, d)
		}
	}
	if len(out) != 1 {
		t.Fatalf("ipfilter decisions = %+v, want exactly one", out)
	}
	return out[0]
}
