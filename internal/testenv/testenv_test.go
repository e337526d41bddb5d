package testenv

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// fake is a tool whose program is never on PATH, so these tests need no
// external program.
var fake = Tool{Name: "Fake", Env: "APISHIELD_REQUIRE_TESTENV_FAKE", Hint: "install it with `apt-get install fake`"}

const fakeProg = "apishield-testenv-no-such-program"

func TestRequired(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		unset   bool
		want    bool
		wantErr string
	}{
		{name: "unset", unset: true},
		{name: "empty", value: ""},
		{name: "zero", value: "0"},
		{name: "one", value: "1", want: true},
		{name: "true is not a setting", value: "true", wantErr: `APISHIELD_REQUIRE_TESTENV_FAKE="true": want 1`},
		{name: "yes is not a setting", value: "yes", wantErr: `APISHIELD_REQUIRE_TESTENV_FAKE="yes"`},
		{name: "space is not a setting", value: " 1", wantErr: `APISHIELD_REQUIRE_TESTENV_FAKE=" 1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(fake.Env, tt.value)
			if tt.unset {
				os.Unsetenv(fake.Env)
			}
			got, err := fake.Required()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Required() error = %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Required() error = %v, want one containing %q", err, tt.wantErr)
			case got != tt.want:
				t.Fatalf("Required() = %v, want %v", got, tt.want)
			}
		})
	}
}

// childEnv marks a re-run of the test binary as the child of
// TestUnavailable; the helper tests below do nothing without it.
const childEnv = "APISHIELD_TESTENV_CHILD"

func TestHelperChildLookPath(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("runs only as a child of TestUnavailable")
	}
	fake.LookPath(t, fakeProg)
	t.Log("CHILD-WENT-ON")
}

func TestHelperChildUnavailable(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("runs only as a child of TestUnavailable")
	}
	fake.Unavailable(t, "the fake registry is unreachable: %s", "connection refused")
	t.Log("CHILD-WENT-ON")
}

func TestHelperChildFound(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("runs only as a child of TestUnavailable")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.LookPath(t, self); got != self {
		t.Fatalf("LookPath(%q) = %q, want the same path", self, got)
	}
	t.Log("CHILD-WENT-ON")
}

// TestUnavailable re-runs this test binary and checks that a missing tool
// skips the child, or fails it when required or misconfigured, with a
// message naming what is missing, how to install it and the variable.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		run     string
		require string
		wantOK  bool
		wantOn  bool // the child goes on past the call
		want    []string
	}{
		{
			name: "missing program skips", run: "TestHelperChildLookPath", wantOK: true,
			want: []string{"--- SKIP", fakeProg + " not found on PATH", "apt-get install fake", "set APISHIELD_REQUIRE_TESTENV_FAKE=1 to fail instead of skipping"},
		},
		{
			name: "missing program skips with 0", run: "TestHelperChildLookPath", require: "0", wantOK: true,
			want: []string{"--- SKIP", fakeProg + " not found on PATH"},
		},
		{
			name: "missing program fails when required", run: "TestHelperChildLookPath", require: "1",
			want: []string{"--- FAIL", fakeProg + " not found on PATH", "apt-get install fake", "APISHIELD_REQUIRE_TESTENV_FAKE=1, so a missing Fake is a failure"},
		},
		{
			name: "missing program fails on an invalid setting", run: "TestHelperChildLookPath", require: "yes",
			want: []string{"--- FAIL", fakeProg + " not found on PATH", `APISHIELD_REQUIRE_TESTENV_FAKE="yes": want 1`},
		},
		{
			name: "unavailable skips", run: "TestHelperChildUnavailable", wantOK: true,
			want: []string{"--- SKIP", "the fake registry is unreachable: connection refused", "apt-get install fake", "set APISHIELD_REQUIRE_TESTENV_FAKE=1"},
		},
		{
			name: "unavailable fails when required", run: "TestHelperChildUnavailable", require: "1",
			want: []string{"--- FAIL", "the fake registry is unreachable: connection refused", "so a missing Fake is a failure"},
		},
		{
			name: "found program goes on when required", run: "TestHelperChildFound", require: "1", wantOK: true, wantOn: true,
			want: []string{"--- PASS"},
		},
		{
			name: "found program goes on with an invalid setting", run: "TestHelperChildFound", require: "yes", wantOK: true, wantOn: true,
			want: []string{"--- PASS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+tt.run+"$", "-test.v")
			// GORACE: a race-enabled child otherwise sleeps a second before exiting.
			cmd.Env = append(os.Environ(), childEnv+"=1", fake.Env+"="+tt.require, "GORACE=atexit_sleep_ms=0")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case tt.wantOK && err != nil:
				t.Fatalf("child failed: %v\n%s", err, out)
			case !tt.wantOK && !errors.As(err, &exit):
				t.Fatalf("child exit = %v, want a test failure\n%s", err, out)
			}
			for _, want := range append(tt.want, tt.run) {
				if !strings.Contains(string(out), want) {
					t.Errorf("child output lacks %q:\n%s", want, out)
				}
			}
			if on := strings.Contains(string(out), "CHILD-WENT-ON"); on != tt.wantOn {
				t.Errorf("child went on past the call: %v, want %v\n%s", on, tt.wantOn, out)
			}
		})
	}
}
