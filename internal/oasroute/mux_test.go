package oasroute

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestMatchesServeMux holds Find to net/http.ServeMux on random sets of
// templates both can express: pure segments ("a", "{p1}"), no trailing
// slash, no "/" alone, one method. Where ServeMux refuses a set (it panics
// on two patterns that overlap with neither more specific than the other,
// such as "/{p1}/a" and "/a/{p2}", which the spec orders by the leftmost
// literal) the set is left out and counted; on every other set both must
// pick the same template for every path, and agree on 404 against 405.
// Sets whose methods differ are left out by construction: ServeMux falls
// back to a less specific pattern with the method where Find answers 405
// for the more concrete path item.
func TestMatchesServeMux(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 15))
	words := []string{"a", "b", "c"}
	var compared, excluded int
	for range 3000 {
		seen := make(map[string]bool)
		var tmpls []string
		for range 1 + r.IntN(8) {
			n := 1 + r.IntN(3)
			var b strings.Builder
			for i := range n {
				if r.IntN(3) == 0 {
					b.WriteString("/{p" + strconv.Itoa(i) + "}")
				} else {
					b.WriteString("/" + words[r.IntN(2)]) // "c" only in requests
				}
			}
			if t := b.String(); !seen[t] {
				seen[t] = true
				tmpls = append(tmpls, t)
			}
		}
		mux, ok := serveMux(tmpls)
		if !ok {
			excluded++
			continue
		}
		ops := make([]Operation, len(tmpls))
		for i, t := range tmpls {
			ops[i] = Operation{"GET", t}
		}
		rt, err := New(nil, ops)
		if err != nil {
			t.Fatalf("New(%q): %v", tmpls, err)
		}
		compared++
		for range 20 {
			var b strings.Builder
			for range 1 + r.IntN(3) {
				b.WriteString("/" + words[r.IntN(3)])
			}
			path := b.String()
			req := httptest.NewRequest("GET", path, nil)
			_, want := mux.Handler(req)
			op, _, _, ok := rt.Find("GET", path, nil)
			got := ""
			if ok {
				got = "GET " + tmpls[op]
			}
			if got != want {
				t.Fatalf("templates %q, GET %s: Find chose %q; ServeMux %q", tmpls, path, got, want)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("PUT", path, nil))
			_, _, allow, _ := rt.Find("PUT", path, nil)
			if (allow != nil) != (rec.Code == http.StatusMethodNotAllowed) {
				t.Fatalf("templates %q, PUT %s: Find gave Allow %q; ServeMux status %d", tmpls, path, allow, rec.Code)
			}
		}
	}
	t.Logf("%d sets compared, %d left out as ServeMux conflicts", compared, excluded)
	if compared < 1000 {
		t.Errorf("only %d sets compared; the generator no longer exercises the router", compared)
	}
}

// serveMux registers "GET "+template for each template, and reports false
// if ServeMux refuses the set.
func serveMux(tmpls []string) (mux *http.ServeMux, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	mux = http.NewServeMux()
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, t := range tmpls {
		mux.Handle("GET "+t, noop)
	}
	return mux, true
}
