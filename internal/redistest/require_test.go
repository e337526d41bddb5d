package redistest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/testenv"
)

// helperEnv marks a re-run of the test binary as the child of
// TestMissingRedis; the helper tests below do nothing without it.
const helperEnv = "REDISTEST_HELPER_CHILD"

func TestHelperChildStart(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs only as a child of TestMissingRedis")
	}
	Start(t)
	t.Log("CHILD-STARTED")
}

func TestHelperChildStartCluster(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs only as a child of TestMissingRedis")
	}
	StartCluster(t)
	t.Log("CHILD-STARTED")
}

func TestHelperChildStartSentinel(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs only as a child of TestMissingRedis")
	}
	StartSentinel(t)
	t.Log("CHILD-STARTED")
}

// TestMissingRedis re-runs this test binary with a PATH that lacks the Redis
// binaries and checks the child skips — or fails, under
// APISHIELD_REQUIRE_REDIS=1 — with a message that says how to install them.
func TestMissingRedis(t *testing.T) {
	t.Parallel()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("needs redis-server to build a PATH that has it but lacks redis-cli")
	}
	empty := t.TempDir()
	onlyServer := t.TempDir()
	if err := os.Symlink(server, filepath.Join(onlyServer, "redis-server")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		run     string
		path    string
		require string
		wantOK  bool
		want    []string
	}{
		{
			name: "server missing skips", run: "TestHelperChildStart", path: empty,
			wantOK: true,
			want:   []string{"--- SKIP", "redis-server not found on PATH", "apt-get install redis-server redis-tools", "set APISHIELD_REQUIRE_REDIS=1"},
		},
		{
			name: "server missing fails when required", run: "TestHelperChildStart", path: empty, require: "1",
			want: []string{"--- FAIL", "redis-server not found on PATH", "apt-get install redis-server redis-tools", "APISHIELD_REQUIRE_REDIS=1, so a missing Redis is a failure"},
		},
		{
			name: "require 0 skips", run: "TestHelperChildStart", path: empty, require: "0",
			wantOK: true,
			want:   []string{"--- SKIP", "redis-server not found on PATH"},
		},
		{
			name: "require other than 0 or 1 fails", run: "TestHelperChildStart", path: empty, require: "yes",
			want: []string{"--- FAIL", "redis-server not found on PATH", `APISHIELD_REQUIRE_REDIS="yes": want 1`},
		},
		{
			name: "cluster with redis-cli missing skips", run: "TestHelperChildStartCluster", path: onlyServer,
			wantOK: true,
			want:   []string{"--- SKIP", "redis-cli not found on PATH", "apt-get install redis-server redis-tools"},
		},
		{
			name: "cluster with redis-cli missing fails when required", run: "TestHelperChildStartCluster", path: onlyServer, require: "1",
			want: []string{"--- FAIL", "redis-cli not found on PATH"},
		},
		{
			name: "sentinel with redis-server missing skips", run: "TestHelperChildStartSentinel", path: empty,
			wantOK: true,
			want:   []string{"--- SKIP", "redis-server not found on PATH", "apt-get install redis-server redis-tools"},
		},
		{
			name: "sentinel with redis-server missing fails when required", run: "TestHelperChildStartSentinel", path: empty, require: "1",
			want: []string{"--- FAIL", "redis-server not found on PATH", "APISHIELD_REQUIRE_REDIS=1, so a missing Redis is a failure"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+tt.run+"$", "-test.v")
			// GORACE: a race-enabled child otherwise sleeps a second before exiting.
			cmd.Env = append(os.Environ(), helperEnv+"=1", "PATH="+tt.path, testenv.Redis.Env+"="+tt.require, "GORACE=atexit_sleep_ms=0")
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
			if strings.Contains(string(out), "CHILD-STARTED") {
				t.Errorf("child went on past the missing binary:\n%s", out)
			}
		})
	}
}
