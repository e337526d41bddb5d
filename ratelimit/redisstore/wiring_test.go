package redisstore_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/redistest"
	"github.com/apishield/apishield/ratelimit/redisstore"
)

// fakeAuth puts a principal named by the Authorization header in the
// context, as auth's middleware does after verifying a token.
func fakeAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sub, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			r = r.WithContext(auth.NewContext(r.Context(), &auth.Principal{Subject: sub, Issuer: "https://issuer.example"}))
		}
		next.ServeHTTP(w, r)
	})
}

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
			// The wiring is under test here, not the 50 ms deadline (it
			// has its own tests): under -race on a loaded two-core machine
			// a first dial to a cluster node can take longer, and the
			// decision would rightly fail closed with a 503.
			store, closeFn, err := newStoreConfig(url, redisstore.Config{
				Secret: []byte("a-secret-of-at-least-16-bytes"), Timeout: 2 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			perIP, perSubject, err := rateLimits(store, nil)
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v1/items", func(http.ResponseWriter, *http.Request) {})
			h := apierrors.Recover(perIP.Handler(fakeAuth(perSubject.Handler(mux))))
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
	if _, _, err := newStore("redis://"+srv.Addr, []byte("short")); err == nil {
		t.Fatal("a short secret was accepted")
	}
}
