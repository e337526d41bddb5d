package auth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/testenv"
)

const oidcDir = "internal/oidctest"

// needProvider returns the node that runs oidc-provider from dir, after
// checking its version and installing the provider from dir's lock file
// when node_modules lacks that version. Without node or npm, with a node
// the pinned provider does not support, or when npm cannot install it (the
// registry unreachable), it ends the test through testenv.Node: a skip, or
// a failure under APISHIELD_REQUIRE_NODE=1.
func needProvider(t *testing.T, dir string) (node string) {
	t.Helper()
	node = testenv.Node.LookPath(t, "node")
	npm := testenv.Node.LookPath(t, "npm")
	if err := checkNode(t.Context(), node); err != nil {
		testenv.Node.Unavailable(t, "%v", err)
	}
	want := lockedProviderVersion(t, dir)
	if installedProviderVersion(dir) == want {
		return node
	}
	if err := installProvider(t.Context(), npm, dir); err != nil {
		testenv.Node.Unavailable(t, "oidc-provider %s is not installed in %s and npm could not install it (is the npm registry reachable?): %v", want, dir, err)
	}
	if got := installedProviderVersion(dir); got != want {
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

// lockedProviderVersion is the oidc-provider version dir's lock file pins.
func lockedProviderVersion(t *testing.T, dir string) string {
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

// installedProviderVersion is the oidc-provider version in dir's
// node_modules, or "" if there is none.
func installedProviderVersion(dir string) string {
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

// installProvider runs npm ci in dir. Retries are fewer and shorter than
// npm's defaults (which take over a minute to give up on an unreachable
// registry), and the whole install is bounded.
func installProvider(ctx context.Context, npm, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error",
		"--fetch-retries=1", "--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=5000")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci: %v\n%s", err, firstLines(out, 5))
	}
	return nil
}

// firstLines returns at most n leading lines of out: npm states the error
// (its code, then the message) first, and a stack and advice after.
func firstLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// provider is a running oidc-provider.
type provider struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *syncBuffer
	port   string
	issuer string
}

// syncBuffer is a bytes.Buffer safe for the copying goroutine of exec.Cmd
// and the test to use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProvider starts oidc-provider on port ("0" for any free one) and
// waits until it serves.
func startProvider(t *testing.T, node, port string) *provider {
	t.Helper()
	cmd := exec.Command(node, "provider.mjs", port, testAudience)
	cmd.Dir = oidcDir
	p := &provider{t: t, cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "READY" {
				ready <- f[1]
			}
		}
		close(ready)
	}()
	select {
	case got, ok := <-ready:
		if !ok {
			t.Fatalf("oidc-provider exited before it was ready; its stderr:\n%s", p.stderr)
		}
		p.port = got
	case <-time.After(60 * time.Second):
		t.Fatalf("oidc-provider did not start within 60 s; its stderr:\n%s", p.stderr)
	}
	p.issuer = "http://127.0.0.1:" + p.port
	return p
}

// stop stops the provider and checks what it wrote to stderr: the runtime
// warning means the pinned oidc-provider does not support this node.
func (p *provider) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	stderr := p.stderr.String()
	if stderr != "" {
		p.t.Logf("oidc-provider stderr:\n%s", stderr)
	}
	if strings.Contains(stderr, "Unsupported runtime") {
		p.t.Errorf("oidc-provider warned that it does not support this node: pin a version that does in %s", oidcDir)
	}
}

// token gets an access token with the client_credentials grant.
func (p *provider) token(t *testing.T, scope string) string {
	t.Helper()
	resp, err := http.Get(p.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	req, _ := http.NewRequest("POST", meta.TokenEndpoint, strings.NewReader(url.Values{
		"grant_type": {"client_credentials"}, "scope": {scope}, "resource": {testAudience},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("apishield", "apishield-secret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if tok.AccessToken == "" {
		t.Fatalf("token endpoint: %d %s", resp.StatusCode, tok.Error)
	}
	return tok.AccessToken
}

// TestOIDCProvider runs auth against panva's oidc-provider, a certified
// OpenID provider: discovery, a JWT access token from the
// client_credentials grant verified under the strict RFC 9068 profile,
// and a key rotation (the provider restarts with new keys on the same
// issuer URL): the new key verifies after one on-demand fetch, and the
// old key's token stops verifying.
func TestOIDCProvider(t *testing.T) {
	node := needProvider(t, oidcDir)
	op := startProvider(t, node, "0")

	ctx := context.Background()
	j, err := auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:          op.issuer,
		Audience:        []string{testAudience},
		Type:            auth.TypeAccessToken,
		RefetchInterval: time.Millisecond,
		Logger:          discardLogger(),
	})
	if err != nil {
		t.Fatalf("NewJWT with discovery: %v", err)
	}
	if want := op.issuer + "/jwks"; j.JWKSURL() != want {
		t.Errorf("discovered JWKS URL = %q, want %q", j.JWKSURL(), want)
	}
	old := op.token(t, "items:read items:write")
	p, err := j.Verify(ctx, old)
	if err != nil {
		t.Fatalf("Verify(oidc-provider token): %v", err)
	}
	if p.Subject != "apishield" || p.ClientID != "apishield" || p.Issuer != op.issuer ||
		!p.HasScope("items:read") || !p.HasScope("items:write") || p.Expiry.Before(time.Now()) {
		t.Errorf("principal = %+v", p)
	}
	readOnly := op.token(t, "items:read")
	if p, err := j.Verify(ctx, readOnly); err != nil || p.HasScope("items:write") {
		t.Errorf("read-only token: %+v, %v", p, err)
	}

	// Rotate: same issuer, new keys, the old ones gone.
	op.stop()
	op = startProvider(t, node, op.port)
	fresh := op.token(t, "items:read")
	if _, err := j.Verify(ctx, fresh); err != nil {
		t.Fatalf("token signed with the rotated key: %v", err)
	}
	if _, err := j.Verify(ctx, old); auth.CheckOf(err) != "unknown_kid" {
		t.Fatalf("token of the removed key: %v, want unknown_kid", err)
	}

	// An audience the API does not accept is refused.
	other, err := auth.NewJWT(ctx, auth.JWTConfig{Issuer: op.issuer, Audience: []string{"https://other.example"}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(ctx, fresh); auth.CheckOf(err) != "audience_mismatch" {
		t.Errorf("token for another audience: %v", err)
	}
}

// offlineDirEnv names, for a child run of TestHelperChildOfflineProvider,
// the directory to install the provider into.
const offlineDirEnv = "APISHIELD_OIDCTEST_OFFLINE_DIR"

func TestHelperChildOfflineProvider(t *testing.T) {
	dir := os.Getenv(offlineDirEnv)
	if dir == "" {
		t.Skip("runs only as a child of TestProviderRegistryUnreachable")
	}
	needProvider(t, dir)
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
				b, err := os.ReadFile(filepath.Join(oidcDir, f))
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
				"oidc-provider " + lockedProviderVersion(t, oidcDir) + " is not installed",
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
