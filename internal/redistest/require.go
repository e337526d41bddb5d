package redistest

import (
	"testing"

	"github.com/apishield/apishield/internal/testenv"
)

// lookBinary returns the path of name, or skips tb with a message that says
// how to install Redis; it fails tb instead when APISHIELD_REQUIRE_REDIS=1,
// as CI sets it, so a runner without Redis cannot pass by skipping.
func lookBinary(tb testing.TB, name string) string {
	tb.Helper()
	return testenv.Redis.LookPath(tb, name)
}
