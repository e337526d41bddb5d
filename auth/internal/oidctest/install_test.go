package oidctest

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/testenv"
)

// offlineDirEnv names, for a child run of TestHelperChildOfflineProvider,
// the directory to install the provider into.
const offlineDirEnv = "APISHIELD_OIDCTEST_OFFLINE_DIR"

func TestHelperChildOfflineProvider(t *testing.T) {
	dir := os.Getenv(offlineDirEnv)
	if dir == "" {
		t.Skip("runs only as a child of TestProviderRegistryUnreachable")
	}
	Install(t, dir)
	t.Log("CHILD-WENT-ON")
}

// TestProviderRegistryUnreachable proves the end-to-end test on a machine
// with node and npm but no way to the npm registry and nothing installed:
// it skips with a message that says so, or fails under
// APISHIELD_REQUIRE_NODE=1, rather than failing or hanging in npm.
func TestProviderRegistryUnreachable(t *testing.T) {
	t.Parallel()
	testenv.Node.LookPath(t, "node")
	testenv.Node.LookPath(t, "npm")
	// A loopback port nothing listens on: the registry refuses at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	registry := "http://" + l.Addr().String() + "/"
	l.Close()

	tests := []struct {
		name    string
		require string
		wantOK  bool
		want    []string
	}{
		{name: "skips", wantOK: true, want: []string{"--- SKIP", "set APISHIELD_REQUIRE_NODE=1 to fail instead of skipping"}},
		{name: "fails when required", require: "1", want: []string{"--- FAIL", "APISHIELD_REQUIRE_NODE=1, so a missing Node.js is a failure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range []string{"package.json", "package-lock.json", "provider.mjs"} {
				b, err := os.ReadFile(filepath.Join(Dir(), f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperChildOfflineProvider$", "-test.v")
			cmd.Env = append(os.Environ(),
				offlineDirEnv+"="+dir,
				"npm_config_registry="+registry,
				"npm_config_cache="+t.TempDir(), // nothing cached to install from
				testenv.Node.Env+"="+tt.require,
				"GORACE=atexit_sleep_ms=0", // a race-enabled child otherwise sleeps a second before exiting
			)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case tt.wantOK && err != nil:
				t.Fatalf("child failed: %v\n%s", err, out)
			case !tt.wantOK && !errors.As(err, &exit):
				t.Fatalf("child exit = %v, want a test failure\n%s", err, out)
			}
			want := append([]string{
				"oidc-provider " + LockedVersion(t, Dir()) + " is not installed",
				"is the npm registry reachable?",
				"ECONNREFUSED",
				"apt-get install nodejs npm",
			}, tt.want...)
			for _, w := range want {
				if !strings.Contains(string(out), w) {
					t.Errorf("child output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "CHILD-WENT-ON") {
				t.Errorf("child went on without a provider:\n%s", out)
			}
		})
	}
}
