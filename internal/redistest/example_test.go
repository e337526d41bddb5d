package redistest_test

import (
	"testing"

	"github.com/apishield/apishield/internal/redistest"
)

// counterSurvivesRestart is the shape of a test of Redis-backed code: a
// private server, work against it, Redis gone, Redis back on the same
// address. Start and StartCluster need a testing.TB, so the example is a
// helper that a Test function calls.
func counterSurvivesRestart(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	if _, err := srv.Do(ctx, "INCR", "hits"); err != nil {
		t.Fatal(err)
	}

	srv.Stop() // the code under test now sees connection errors
	if _, err := srv.Do(ctx, "PING"); err == nil {
		t.Fatal("Redis answered while stopped")
	}

	srv.Restart() // same srv.Addr; data is gone, persistence is off
	if got, err := srv.Do(ctx, "GET", "hits"); err != nil || got != nil {
		t.Fatalf("GET hits = %v, %v; want nil", got, err)
	}
}

func ExampleStart() {
	// func TestCounter(t *testing.T) { counterSurvivesRestart(t) }
	_ = counterSurvivesRestart
}
