package deprecation_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/deprecation"
)

// TestSunsetOnTheDefaultClock checks that a Middleware without Config.Now
// follows time.Now: announced, deprecated, then gone at the sunset instant.
func TestSunsetOnTheDefaultClock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		m, err := deprecation.New(deprecation.Config{
			Prefixes: map[string]deprecation.Policy{"/v1": {
				Deprecated: start.Add(time.Hour),
				Sunset:     start.Add(25 * time.Hour),
				Successor:  "/v2",
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		steps := []struct {
			name  string
			wait  time.Duration
			want  int
			links int
		}{
			{"announced", 0, 200, 1},
			{"deprecated", time.Hour, 200, 1},
			{"a second before sunset", 24*time.Hour - time.Second, 200, 1},
			{"at sunset", time.Second, 410, 1},
			{"a year later", 365 * 24 * time.Hour, 410, 1},
		}
		for _, s := range steps {
			time.Sleep(s.wait) // the bubble's clock: no real wait
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/items", nil))
			if rr.Code != s.want {
				t.Errorf("%s: status = %d, want %d", s.name, rr.Code, s.want)
			}
			if got := rr.Header().Get("Link"); got != `</v2>; rel="successor-version"` {
				t.Errorf("%s: Link = %q, want the successor", s.name, got)
			}
			if got := rr.Header().Get("Deprecation"); got == "" {
				t.Errorf("%s: no Deprecation header", s.name)
			}
		}
	})
}
