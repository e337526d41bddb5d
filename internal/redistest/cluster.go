package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// clusterMasters is the smallest cluster redis-cli --cluster create
	// accepts.
	clusterMasters = 3
	// clusterTimeout bounds creating the cluster and waiting for it to
	// settle.
	clusterTimeout = 30 * time.Second
	// clusterPoll is how often CLUSTER INFO is polled while the cluster
	// settles; there is no event to wait on, and gossip converges in
	// tens of milliseconds on loopback.
	clusterPoll = 20 * time.Millisecond
	// maxRedirects bounds how many MOVED replies Cluster.Do follows.
	maxRedirects = 3
)

// Cluster is a private three-master Redis Cluster started by StartCluster.
// Its methods are safe for concurrent use.
type Cluster struct {
	// Addrs are the nodes' addresses, "127.0.0.1:port", in Nodes order.
	Addrs []string
	// Nodes are the individual servers; each can be stopped and restarted
	// on its own (it keeps its cluster-config-file, so its ID and slots,
	// across a restart; see WaitReady).
	Nodes []*Server
}

// StartCluster runs three cluster-enabled redis-servers on free loopback
// ports whose cluster bus ports (port+10000) are free too, joins them with
// `redis-cli --cluster create` (no replicas), and returns once every node
// reports cluster_state:ok with all 16384 slots assigned and every node
// known. tb.Cleanup stops all nodes and waits for their processes to exit.
//
// If redis-server or redis-cli is not on PATH, StartCluster skips the test,
// or fails it when APISHIELD_REQUIRE_REDIS=1.
func StartCluster(tb testing.TB, opts ...Option) *Cluster {
	tb.Helper()
	cfg := newConfig(opts)
	bin := lookBinary(tb, "redis-server")
	cli := lookBinary(tb, "redis-cli")
	// Cluster flags go first so that WithArgs can still override them.
	cfg.args = append([]string{
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "5000",
	}, cfg.args...)

	// The directories come first: cleanups run last-registered first, so
	// the nodes stop before their directories are removed.
	var dirs [clusterMasters]string
	for i := range dirs {
		dirs[i] = tb.TempDir()
	}
	c := &Cluster{}
	tb.Cleanup(c.Stop)
	for _, dir := range dirs {
		s, err := startServer(tb, bin, dir, cfg, true)
		if err != nil {
			tb.Fatal(err)
		}
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := c.create(ctx, cli); err != nil {
		tb.Fatal(err)
	}
	if err := c.WaitReady(ctx); err != nil {
		tb.Fatal(err)
	}
	return c
}

// create runs redis-cli --cluster create over the nodes.
func (c *Cluster) create(ctx context.Context, cli string) error {
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("redistest: %s: %w\n--- redis-cli output ---\n%s%s", strings.Join(cmd.Args, " "), err, out, c.logs())
	}
	return nil
}

// WaitReady polls CLUSTER INFO on every node until all report
// cluster_state:ok with all 16384 slots assigned and every node known, or
// ctx ends. Call it after restarting a node: Redis keeps a restarted master
// out of service for about two seconds (its writable delay) before it
// reports ok again.
func (c *Cluster) WaitReady(ctx context.Context) error {
	want := map[string]string{
		"cluster_state":          "ok",
		"cluster_slots_assigned": strconv.Itoa(slotCount),
		"cluster_known_nodes":    strconv.Itoa(len(c.Nodes)),
	}
	ticker := time.NewTicker(clusterPoll)
	defer ticker.Stop()
	var last string
	for {
		ok := true
		for _, s := range c.Nodes {
			info, err := s.ClusterInfo(ctx)
			if err != nil {
				ok, last = false, fmt.Sprintf("%s: %v", s.Addr, err)
				break
			}
			for k, v := range want {
				if info[k] != v {
					ok, last = false, fmt.Sprintf("%s: %s is %q, want %q", s.Addr, k, info[k], v)
					break
				}
			}
			if !ok {
				break
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: cluster not ready: %w; last check: %s%s", ctx.Err(), last, c.logs())
		case <-ticker.C:
		}
	}
}

// logs renders every node's output for a failure message.
func (c *Cluster) logs() string {
	var b strings.Builder
	for _, s := range c.Nodes {
		fmt.Fprintf(&b, "\n--- redis-server %s output ---\n%s", s.Addr, s.Log())
	}
	return b.String()
}

// Stop stops every running node, in parallel, and waits for their
// processes to exit. It is idempotent, and it also stops nodes restarted
// after an earlier Stop.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for _, s := range c.Nodes {
		wg.Go(s.Stop)
	}
	wg.Wait()
}

// Do runs one command, starting at the first node and following up to
// three MOVED redirects to the node that owns the key's slot. ASK redirects
// (slots mid-migration) are returned as errors: the helper never migrates
// slots.
func (c *Cluster) Do(ctx context.Context, args ...any) (any, error) {
	addr := c.Addrs[0]
	for range maxRedirects + 1 {
		conn, err := Dial(ctx, addr)
		if err != nil {
			return nil, err
		}
		v, err := conn.Do(ctx, args...)
		conn.Close()
		var e Error
		if errors.As(err, &e) {
			if _, to, ok := e.Moved(); ok {
				addr = to
				continue
			}
		}
		return v, err
	}
	return nil, fmt.Errorf("redistest: more than %d MOVED redirects for %v", maxRedirects, args[0])
}

// Owner returns the node that serves key's slot, according to CLUSTER
// SLOTS as the first node sees it.
func (c *Cluster) Owner(ctx context.Context, key string) (*Server, error) {
	addr, err := slotOwner(ctx, c.Addrs[0], Slot(key))
	if err != nil {
		return nil, err
	}
	for _, s := range c.Nodes {
		if s.Addr == addr {
			return s, nil
		}
	}
	return nil, fmt.Errorf("redistest: slot owner %s is not one of this cluster's nodes", addr)
}

// slotOwner asks addr for CLUSTER SLOTS and returns the master serving slot.
// Each entry is [start, end, [ip, port, id, ...], replicas...].
func slotOwner(ctx context.Context, addr string, slot int) (string, error) {
	c, err := Dial(ctx, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	v, err := c.Do(ctx, "CLUSTER", "SLOTS")
	if err != nil {
		return "", err
	}
	ranges, ok := v.([]any)
	if !ok {
		return "", fmt.Errorf("%w: CLUSTER SLOTS reply is %T, want array", ErrProtocol, v)
	}
	for _, r := range ranges {
		e, ok := r.([]any)
		if !ok || len(e) < 3 {
			return "", fmt.Errorf("%w: malformed CLUSTER SLOTS entry %v", ErrProtocol, r)
		}
		start, ok1 := e[0].(int64)
		end, ok2 := e[1].(int64)
		master, ok3 := e[2].([]any)
		if !ok1 || !ok2 || !ok3 || len(master) < 2 {
			return "", fmt.Errorf("%w: malformed CLUSTER SLOTS entry %v", ErrProtocol, r)
		}
		if int64(slot) < start || int64(slot) > end {
			continue
		}
		ip, ok1 := master[0].(string)
		port, ok2 := master[1].(int64)
		if !ok1 || !ok2 {
			return "", fmt.Errorf("%w: malformed CLUSTER SLOTS node %v", ErrProtocol, master)
		}
		return net.JoinHostPort(ip, strconv.FormatInt(port, 10)), nil
	}
	return "", fmt.Errorf("redistest: slot %d is not assigned", slot)
}

// ClusterInfo returns the server's CLUSTER INFO as a map of field to value,
// e.g. info["cluster_state"] == "ok".
func (s *Server) ClusterInfo(ctx context.Context) (map[string]string, error) {
	v, err := s.Do(ctx, "CLUSTER", "INFO")
	if err != nil {
		return nil, err
	}
	text, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%w: CLUSTER INFO reply is %T, want string", ErrProtocol, v)
	}
	return parseInfo(text), nil
}

// parseInfo splits INFO-style "key:value" lines; comments and blank lines
// are skipped.
func parseInfo(text string) map[string]string {
	m := make(map[string]string)
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}
