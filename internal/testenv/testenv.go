// Package testenv decides what a test does when an external program it needs
// (Redis, Node.js, Chromium, Prometheus) is not on the machine.
//
// By default the test is skipped with a message that names what is missing,
// how to install it, and the environment variable that makes it required.
// With that variable set to "1", as CI sets it, the test fails instead, so a
// runner without the program cannot pass by skipping. Any other value than
// "1", "0" or empty is a mistake and fails the test, rather than guessing
// which of the two was meant.
//
// The package is for tests only: _test.go files and test helpers such as
// internal/redistest import it, and no library package does.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Tool is an external program, or a family of them, that some tests need.
type Tool struct {
	// Name is what the messages call the tool, e.g. "Redis".
	Name string
	// Env is the environment variable that makes the tool required when
	// it is "1".
	Env string
	// Hint says what the tests need and how to install it, e.g. "install
	// Redis with `apt-get install redis-server redis-tools`".
	Hint string
}

// The tools the project's tests use.
var (
	Redis = Tool{
		Name: "Redis",
		Env:  "APISHIELD_REQUIRE_REDIS",
		Hint: "install Redis with `apt-get install redis-server redis-tools`",
	}
	Node = Tool{
		Name: "Node.js",
		Env:  "APISHIELD_REQUIRE_NODE",
		Hint: "the test needs Node.js 18 or a later LTS release and npm (`apt-get install nodejs npm`), and the npm registry once to install oidc-provider",
	}
	Chromium = Tool{
		Name: "Chromium",
		Env:  "APISHIELD_REQUIRE_CHROMIUM",
		Hint: "install it with `apt-get install chromium`",
	}
	Prometheus = Tool{
		Name: "Prometheus",
		Env:  "APISHIELD_REQUIRE_PROMETHEUS",
		Hint: "install prometheus and promtool with `apt-get install prometheus`",
	}
)

// Required reports whether the environment makes t required: true for "1",
// false for "0" or an empty or unset variable, and an error for any other
// value.
func (t Tool) Required() (bool, error) {
	switch v := os.Getenv(t.Env); v {
	case "1":
		return true, nil
	case "", "0":
		return false, nil
	default:
		return false, fmt.Errorf("%s=%q: want 1 (a missing %s fails the test) or 0/unset (it skips the test)", t.Env, v, t.Name)
	}
}

// Unavailable ends the test because t cannot be used: the message, built
// from format and args, is followed by the install hint. It skips the test,
// or fails it when t is required (see Required) or its variable is invalid.
func (t Tool) Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...) + "; " + t.Hint
	required, err := t.Required()
	switch {
	case err != nil:
		tb.Fatalf("%s (%v)", msg, err)
	case required:
		tb.Fatalf("%s (%s=1, so a missing %s is a failure)", msg, t.Env, t.Name)
	default:
		tb.Skipf("%s (set %s=1 to fail instead of skipping)", msg, t.Env)
	}
}

// LookPath returns the path of the program prog, part of t, or ends the
// test through Unavailable when it is not on PATH.
func (t Tool) LookPath(tb testing.TB, prog string) string {
	tb.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		t.Unavailable(tb, "%s not found on PATH (%v)", prog, err)
	}
	return path
}
