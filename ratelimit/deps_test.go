package ratelimit

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const goRedis = "github.com/redis/go-redis/v9"

// goTool finds the go command on PATH, as go test itself was found.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH to list dependencies")
	}
	return p
}

// TestNoRedisClientUnlessImported: a service whose limits are in memory
// must not link a Redis client. Of the module's packages, only the Redis
// stores (ratelimit's, auth's, with the breaker they share) and the example that offers one (-redis) may
// depend on go-redis; in particular ratelimit, auth and the quickstart must
// not.
func TestNoRedisClientUnlessImported(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(goTool(t), "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "github.com/apishield/apishield/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	allowed := map[string]bool{
		"github.com/apishield/apishield/ratelimit/redisstore": true,
		"github.com/apishield/apishield/auth/redisstore":      true,
		"github.com/apishield/apishield/examples/gateway":     true,
		// The breaker the Redis stores share.
		"github.com/apishield/apishield/internal/redisbreaker": true,
	}
	linking := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for _, dep := range fields[1:] {
			if dep == goRedis {
				linking[fields[0]] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"github.com/apishield/apishield/ratelimit", "github.com/apishield/apishield/auth", "github.com/apishield/apishield/examples/quickstart"} {
		if linking[pkg] {
			t.Errorf("%s links %s", pkg, goRedis)
		}
	}
	for pkg := range linking {
		if !allowed[pkg] {
			t.Errorf("%s links %s; only the Redis store and what imports it may", pkg, goRedis)
		}
	}
	// The check can fail: the Redis store does link the client.
	if !linking["github.com/apishield/apishield/ratelimit/redisstore"] {
		t.Errorf("ratelimit/redisstore does not appear to link %s: the dependency listing is broken", goRedis)
	}
}
