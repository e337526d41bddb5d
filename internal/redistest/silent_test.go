package redistest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestSilent(t *testing.T) {
	t.Parallel()
	addr := Silent(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Do(ctx, "PING"); !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("PING to a silent listener: %v, want a deadline error", err)
	}
}
