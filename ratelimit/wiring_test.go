package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/redistest"
)

// TestWiringOnRedis runs the Example's wiring on a real Redis, by URL, and
// on a real Redis Cluster, by a comma list of nodes.
func TestWiringOnRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cl := redistest.StartCluster(t)
	for name, url := range map[string]string{
		"standalone": "redis://" + srv.Addr + "/0",
		"cluster":    strings.Join(cl.Addrs, ","),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			perIP, perSubject, closeFn, err := rateLimits(url, []byte("a-secret-of-at-least-16-bytes"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v1/items", func(http.ResponseWriter, *http.Request) {})
			h := stack(perIP, perSubject, fakeAuth, mux)
			var codes []int
			for range 21 {
				r := httptest.NewRequest("GET", "/v1/items", nil)
				r.Header.Set("Authorization", "Bearer carol-"+name)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				codes = append(codes, w.Code)
				if w.Header().Get("RateLimit") == "" {
					t.Fatalf("no RateLimit header: %v", w.Header())
				}
			}
			if codes[19] != 200 || codes[20] != 429 {
				t.Fatalf("codes %v, want 20 × 200 then 429", codes)
			}
		})
	}
	if _, _, _, err := rateLimits("redis://"+srv.Addr, []byte("short"), nil); err == nil {
		t.Fatal("a short secret was accepted")
	}
}
