package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
)

// TestCluster starts one cluster and runs every cluster check against it:
// creating a cluster takes redis-cli a couple of seconds on two cores.
func TestCluster(t *testing.T) {
	t.Parallel()
	// A missing Redis skips the whole test here: the checks after the
	// subtest would otherwise fail when the subtest skips.
	lookBinary(t, "redis-server")
	lookBinary(t, "redis-cli")
	var c *Cluster
	var procs []*process
	t.Run("group", func(t *testing.T) {
		c = StartCluster(t)

		t.Run("nodes", func(t *testing.T) {
			if len(c.Nodes) != 3 || len(c.Addrs) != 3 {
				t.Fatalf("got %d nodes and %d addrs, want 3 each", len(c.Nodes), len(c.Addrs))
			}
			seen := map[string]bool{}
			for i, s := range c.Nodes {
				if c.Addrs[i] != s.Addr {
					t.Errorf("Addrs[%d] = %s, Nodes[%d].Addr = %s", i, c.Addrs[i], i, s.Addr)
				}
				if seen[s.Addr] {
					t.Errorf("address %s used twice", s.Addr)
				}
				seen[s.Addr] = true
				_, port, _ := net.SplitHostPort(s.Addr)
				if n, _ := strconv.Atoi(port); n == reservedPort || n+busOffset > 65535 {
					t.Errorf("node port %d: reserved or without room for a bus port", n)
				}
			}
		})

		t.Run("every node reports ok", func(t *testing.T) {
			for _, s := range c.Nodes {
				info, err := s.ClusterInfo(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for k, want := range map[string]string{
					"cluster_state": "ok", "cluster_slots_assigned": "16384",
					"cluster_slots_ok": "16384", "cluster_known_nodes": "3", "cluster_size": "3",
				} {
					if info[k] != want {
						t.Errorf("%s: %s = %q, want %q", s.Addr, k, info[k], want)
					}
				}
			}
		})

		t.Run("slot agrees with CLUSTER KEYSLOT", func(t *testing.T) {
			keys := []string{"foo", "", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "a{b}c", "ratelimit:ip:203.0.113.7"}
			for i := range 50 {
				keys = append(keys, fmt.Sprintf("key:%d", i))
			}
			for _, k := range keys {
				got, err := c.Nodes[0].Do(t.Context(), "CLUSTER", "KEYSLOT", k)
				if err != nil {
					t.Fatal(err)
				}
				if got != int64(Slot(k)) {
					t.Errorf("Slot(%q) = %d, CLUSTER KEYSLOT = %v", k, Slot(k), got)
				}
			}
		})

		t.Run("write through owner reads back", func(t *testing.T) {
			owners := map[string]bool{}
			for i := range 30 {
				key := fmt.Sprintf("rt:%d", i)
				owner, err := c.Owner(t.Context(), key)
				if err != nil {
					t.Fatal(err)
				}
				owners[owner.Addr] = true
				val := "v" + strconv.Itoa(i)
				if got, err := owner.Do(t.Context(), "SET", key, val); err != nil || got != "OK" {
					t.Fatalf("SET %s on owner %s = %#v, %v", key, owner.Addr, got, err)
				}
				if got, err := owner.Do(t.Context(), "GET", key); err != nil || got != val {
					t.Fatalf("GET %s on owner %s = %#v, %v; want %q", key, owner.Addr, got, err, val)
				}
				for _, other := range c.Nodes {
					if other == owner {
						continue
					}
					_, err := other.Do(t.Context(), "GET", key)
					var e Error
					if !errors.As(err, &e) {
						t.Fatalf("GET %s on non-owner %s = %v, want MOVED", key, other.Addr, err)
					}
					slot, addr, ok := e.Moved()
					if !ok || slot != Slot(key) || addr != owner.Addr {
						t.Errorf("non-owner %s replied %q, want MOVED %d %s", other.Addr, e, Slot(key), owner.Addr)
					}
				}
			}
			if len(owners) != 3 {
				t.Errorf("30 keys landed on %d nodes, want all 3 to own slots", len(owners))
			}
		})

		t.Run("Do follows MOVED", func(t *testing.T) {
			for i := range 10 {
				key := fmt.Sprintf("do:%d", i)
				if _, err := c.Do(t.Context(), "SET", key, key); err != nil {
					t.Fatalf("SET %s: %v", key, err)
				}
				if got, err := c.Do(t.Context(), "GET", key); err != nil || got != key {
					t.Fatalf("GET %s = %#v, %v; want %q", key, got, err, key)
				}
			}
		})

		t.Run("node restart rejoins", func(t *testing.T) {
			n := c.Nodes[1]
			old := n.last
			n.Restart()
			if old.cmd.ProcessState == nil {
				t.Fatal("old node process not reaped by Restart")
			}
			// The node comes back with its nodes.conf, so it keeps its ID
			// and slots; its data is gone (persistence is off).
			ctx, cancel := context.WithTimeout(t.Context(), clusterTimeout)
			defer cancel()
			if err := c.WaitReady(ctx); err != nil {
				t.Fatal(err)
			}
			key := ownedBy(t, c, n)
			if _, err := c.Do(t.Context(), "SET", key, "after"); err != nil {
				t.Fatalf("SET %s on the restarted node: %v", key, err)
			}
			if got, err := n.Do(t.Context(), "GET", key); err != nil || got != "after" {
				t.Fatalf("GET %s on the restarted node = %#v, %v; want %q", key, got, err, "after")
			}
		})

		// Capture the live processes last, after any restart, to check that
		// cleanup stops them.
		for _, s := range c.Nodes {
			procs = append(procs, s.last)
		}
	})
	// The group's cleanups have stopped the cluster.
	if c == nil || len(procs) != 3 {
		t.Fatal("cluster did not start")
	}
	for i, p := range procs {
		assertExited(t, p, c.Addrs[i])
	}
	c.Stop() // idempotent after cleanup
}

// ownedBy returns a key whose slot node n serves.
func ownedBy(t *testing.T, c *Cluster, n *Server) string {
	t.Helper()
	for i := range 1000 {
		key := fmt.Sprintf("own:%d", i)
		owner, err := c.Owner(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		if owner == n {
			return key
		}
	}
	t.Fatalf("no key among 1000 lands on %s", n.Addr)
	return ""
}
