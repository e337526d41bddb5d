package oidctest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/testenv"
)

// Dir is the directory of provider.mjs and its package files: this
// package's source directory, whatever the working directory of the test
// that runs it.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("oidctest: no caller information to find provider.mjs")
	}
	return filepath.Dir(file)
}

// installMu serialises installs within one test binary; installs by
// several test binaries at once (go test ./... runs packages in parallel)
// are safe through the rename in install.
var installMu sync.Mutex

// Install returns the node that runs oidc-provider from dir, after checking
// its version and installing the provider from dir's lock file when
// node_modules lacks that version. Without node or npm, with a node the
// pinned provider does not support, or when npm cannot install it (the
// registry unreachable), it ends the test through testenv.Node: a skip, or
// a failure under APISHIELD_REQUIRE_NODE=1.
func Install(t testing.TB, dir string) (node string) {
	t.Helper()
	node = testenv.Node.LookPath(t, "node")
	npm := testenv.Node.LookPath(t, "npm")
	if err := checkNode(t.Context(), node); err != nil {
		testenv.Node.Unavailable(t, "%v", err)
	}
	want := LockedVersion(t, dir)
	installMu.Lock()
	defer installMu.Unlock()
	if installedVersion(dir) == want {
		return node
	}
	if err := install(t.Context(), npm, dir, want); err != nil {
		testenv.Node.Unavailable(t, "oidc-provider %s is not installed in %s and npm could not install it (is the npm registry reachable?): %v", want, dir, err)
	}
	if got := installedVersion(dir); got != want {
		t.Fatalf("npm ci in %s installed oidc-provider %q, want %q from the lock file", dir, got, want)
	}
	return node
}

// checkNode reports whether node can run the pinned oidc-provider without
// its "Unsupported runtime" warning: oidc-provider 8 wants an LTS release
// of Node.js 18 or later (9 wants 22, newer than Debian 12's and the
// project machines' Node.js, which is why the lock file pins 8).
func checkNode(ctx context.Context, node string) error {
	out, err := exec.CommandContext(ctx, node, "-p", `process.versions.node + " " + (process.release.lts || "")`).Output()
	if err != nil {
		return fmt.Errorf("%s does not run: %v", node, err)
	}
	version, lts, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	major, _, _ := strings.Cut(version, ".")
	if n, err := strconv.Atoi(major); err != nil || n < 18 || lts == "" {
		return fmt.Errorf("node v%s (LTS %q) cannot run oidc-provider 8, which needs Node.js 18 or a later LTS release", version, lts)
	}
	return nil
}

// LockedVersion is the oidc-provider version dir's lock file pins.
func LockedVersion(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatalf("%s/package-lock.json: %v", dir, err)
	}
	v := lock.Packages["node_modules/oidc-provider"].Version
	if v == "" {
		t.Fatalf("%s/package-lock.json pins no oidc-provider", dir)
	}
	return v
}

// installedVersion is the oidc-provider version in dir's node_modules, or
// "" if there is none.
func installedVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "oidc-provider", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(b, &pkg)
	return pkg.Version
}

// install runs npm ci in a staging directory inside dir and renames the
// result to dir/node_modules, so a test binary never sees another one's
// half-written node_modules: a rename is atomic, and when another binary's
// install got there first with the wanted version, that one is kept.
// Retries are fewer and shorter than npm's defaults (which take over a
// minute to give up on an unreachable registry), and the whole install is
// bounded.
func install(ctx context.Context, npm, dir, want string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	stage, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(stage, f), b, 0o644); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error",
		"--fetch-retries=1", "--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=5000")
	cmd.Dir = stage
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci: %v\n%s", err, firstLines(out, 5))
	}
	target := filepath.Join(dir, "node_modules")
	if os.Rename(filepath.Join(stage, "node_modules"), target) == nil || installedVersion(dir) == want {
		return nil
	}
	// An outdated node_modules is in the way: move it aside, then retry.
	if err := os.Rename(target, filepath.Join(stage, "outdated")); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.Rename(filepath.Join(stage, "node_modules"), target); err != nil && installedVersion(dir) != want {
		return err
	}
	return nil
}

// firstLines returns at most n leading lines of out: npm states the error
// (its code, then the message) first, and a stack and advice after.
func firstLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
