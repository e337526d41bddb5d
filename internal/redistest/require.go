package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable that turns a missing Redis from a
// skipped test into a failed one. CI sets it to "1" so that a runner without
// Redis cannot pass by skipping every Redis test.
const RequireEnv = "APISHIELD_REQUIRE_REDIS"

// installHint says how to get the binaries on the Debian and Ubuntu images
// the project builds on.
const installHint = "install Redis with `apt-get install redis-server redis-tools`"

// lookBinary returns the path of name, or skips tb (fails it when RequireEnv
// is "1") with a message that says how to install it.
func lookBinary(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("redistest: %s not found on PATH (%v); %s", name, err, installHint)
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatal(msg + " (" + RequireEnv + "=1, so a missing Redis is a failure)")
	}
	tb.Skip(msg + " (set " + RequireEnv + "=1 to fail instead of skipping)")
	return ""
}
