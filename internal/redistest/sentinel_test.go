package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSentinel starts one deployment and runs every Sentinel check against
// it, failovers last: each takes a couple of seconds while the new master
// spreads from sentinel to sentinel.
func TestSentinel(t *testing.T) {
	t.Parallel()
	// A missing Redis skips the whole test here: the checks after the
	// subtest would otherwise fail when the subtest skips.
	lookBinary(t, "redis-server")
	var s *Sentinel
	var procs []*process
	var addrs []string
	t.Run("group", func(t *testing.T) {
		start := time.Now()
		s = StartSentinel(t)
		t.Logf("deployment ready in %v", time.Since(start).Round(time.Millisecond))

		t.Run("addresses", func(t *testing.T) {
			if s.MasterName != SentinelMasterName {
				t.Errorf("MasterName = %q, want %q", s.MasterName, SentinelMasterName)
			}
			if len(s.Nodes) != 2 || len(s.Sentinels) != sentinelCount || len(s.SentinelAddrs) != sentinelCount {
				t.Fatalf("got %d nodes, %d sentinels, %d sentinel addrs; want 2, %d, %d",
					len(s.Nodes), len(s.Sentinels), len(s.SentinelAddrs), sentinelCount, sentinelCount)
			}
			seen := map[string]bool{}
			for i, srv := range append(append([]*Server{}, s.Nodes...), s.Sentinels...) {
				if i >= 2 && s.SentinelAddrs[i-2] != srv.Addr {
					t.Errorf("SentinelAddrs[%d] = %s, Sentinels[%d].Addr = %s", i-2, s.SentinelAddrs[i-2], i-2, srv.Addr)
				}
				host, port, err := net.SplitHostPort(srv.Addr)
				if err != nil || host != "127.0.0.1" || port == strconv.Itoa(reservedPort) {
					t.Errorf("address %q: want 127.0.0.1 and a port other than %d", srv.Addr, reservedPort)
				}
				if seen[srv.Addr] {
					t.Errorf("address %s used twice", srv.Addr)
				}
				seen[srv.Addr] = true
			}
		})

		t.Run("roles are as reported", func(t *testing.T) {
			if s.Master() != s.Nodes[0] || s.Replica() != s.Nodes[1] {
				t.Fatalf("Master() = %s, Replica() = %s; want Nodes[0] %s and Nodes[1] %s",
					s.Master().Addr, s.Replica().Addr, s.Nodes[0].Addr, s.Nodes[1].Addr)
			}
			assertRoles(t, s, s.Nodes[0], s.Nodes[1])
			for _, sn := range s.Sentinels {
				// A sentinel is a sentinel, not a data node that happens to
				// answer SENTINEL commands.
				v, err := sn.Do(t.Context(), "ROLE")
				if r, ok := v.([]any); err != nil || !ok || len(r) != 2 || r[0] != "sentinel" || fmt.Sprint(r[1]) != "["+s.MasterName+"]" {
					t.Errorf("ROLE on %s = %#v, %v; want [sentinel [%s]]", sn.Addr, v, err, s.MasterName)
				}
			}
		})

		t.Run("write on master reads on replica", func(t *testing.T) {
			assertReplicates(t, s.Master(), s.Replica(), "before-failover")

			// After WaitReplicated the replica has the write at once, and
			// the helper's own key is gone from both nodes.
			ctx := t.Context()
			if _, err := s.Master().Do(ctx, "SET", "waited", "yes"); err != nil {
				t.Fatal(err)
			}
			if err := s.WaitReplicated(ctx); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Replica().Do(ctx, "GET", "waited"); err != nil || got != "yes" {
				t.Errorf("GET waited on the replica right after WaitReplicated = %#v, %v; want \"yes\"", got, err)
			}
			for _, n := range s.Nodes {
				if got, err := n.Do(ctx, "EXISTS", "redistest:replicated"); err != nil || got != int64(0) {
					t.Errorf("EXISTS redistest:replicated on %s = %#v, %v; want 0", n.Addr, got, err)
				}
			}

			_, err := s.Replica().Do(t.Context(), "SET", "on-replica", "x")
			var e Error
			if !errors.As(err, &e) || !strings.HasPrefix(string(e), "READONLY") {
				t.Errorf("SET on the replica = %v, want a READONLY error", err)
			}
		})

		t.Run("Failover honours its context", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := s.Failover(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Failover with a cancelled context = %v, want context.Canceled", err)
			}
			if s.Master() != s.Nodes[0] {
				t.Fatal("a cancelled Failover changed the master")
			}
		})

		t.Run("Failover swaps roles, and back", func(t *testing.T) {
			for i, want := range []*Server{s.Nodes[1], s.Nodes[0]} {
				old := s.Master()
				start := time.Now()
				if err := s.Failover(t.Context()); err != nil {
					t.Fatal(err)
				}
				t.Logf("failover %d took %v", i+1, time.Since(start).Round(time.Millisecond))
				if s.Master() != want || s.Replica() != old {
					t.Fatalf("after failover %d: Master() = %s, Replica() = %s; want %s and %s",
						i+1, s.Master().Addr, s.Replica().Addr, want.Addr, old.Addr)
				}
				assertRoles(t, s, want, old)
				assertReplicates(t, want, old, fmt.Sprintf("after-failover-%d", i+1))
			}
		})

		// Last, as it leaves the deployment without a replica.
		t.Run("master stopped, Sentinel promotes the replica", func(t *testing.T) {
			if err := s.WaitMaster(t.Context(), &Server{}); err == nil {
				t.Error("WaitMaster accepted a server that is not a node")
			}
			old, next := s.Master(), s.Replica()
			old.Stop()
			start := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), sentinelTimeout)
			defer cancel()
			if err := s.WaitMaster(ctx, next); err != nil {
				t.Fatal(err)
			}
			t.Logf("Sentinel promoted the replica %v after the master stopped", time.Since(start).Round(time.Millisecond))
			if s.Master() != next {
				t.Fatalf("Master() = %s after WaitMaster, want %s", s.Master().Addr, next.Addr)
			}
			if got, err := next.Do(ctx, "SET", "after-stop", "x"); err != nil || got != "OK" {
				t.Errorf("SET on the promoted node = %#v, %v; want OK", got, err)
			}
			_, port, _ := net.SplitHostPort(next.Addr)
			for _, sn := range s.Sentinels {
				v, err := sn.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
				if fmt.Sprint(v) != "[127.0.0.1 "+port+"]" || err != nil {
					t.Errorf("sentinel %s names master %#v, %v; want [127.0.0.1 %s]", sn.Addr, v, err, port)
				}
			}
		})

		// Capture the processes last, to check that cleanup stops them.
		for _, srv := range append(append([]*Server{}, s.Nodes...), s.Sentinels...) {
			procs = append(procs, srv.last)
			addrs = append(addrs, srv.Addr)
		}
	})
	// The group's cleanups have stopped the deployment.
	if s == nil || len(procs) != 2+sentinelCount {
		t.Fatal("deployment did not start")
	}
	for i, p := range procs {
		assertExited(t, p, addrs[i])
	}
	s.Stop() // idempotent after cleanup
}

// assertRoles checks, with ROLE rather than the INFO the helper polls, that
// master is a master with replica attached, that replica replicates from
// master with its link up, and that every sentinel names master.
func assertRoles(t *testing.T, s *Sentinel, master, replica *Server) {
	t.Helper()
	ctx := t.Context()
	_, mport, _ := net.SplitHostPort(master.Addr)
	_, rport, _ := net.SplitHostPort(replica.Addr)

	// ["master", offset, [[ip, port, offset], ...]]
	v, err := master.Do(ctx, "ROLE")
	r, ok := v.([]any)
	if err != nil || !ok || len(r) != 3 || r[0] != "master" {
		t.Fatalf("ROLE on master %s = %#v, %v", master.Addr, v, err)
	}
	reps, _ := r[2].([]any)
	if len(reps) != 1 || fmt.Sprint(reps[0].([]any)[:2]) != "[127.0.0.1 "+rport+"]" {
		t.Errorf("master %s lists replicas %#v, want just 127.0.0.1:%s", master.Addr, r[2], rport)
	}

	// ["slave", master ip, master port, link state, offset]
	v, err = replica.Do(ctx, "ROLE")
	r, ok = v.([]any)
	if err != nil || !ok || len(r) != 5 || r[0] != "slave" || r[1] != "127.0.0.1" || fmt.Sprint(r[2]) != mport || r[3] != "connected" {
		t.Errorf("ROLE on replica %s = %#v, %v; want slave of 127.0.0.1:%s, connected", replica.Addr, v, err, mport)
	}

	for _, sn := range s.Sentinels {
		v, err := sn.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
		if fmt.Sprint(v) != "[127.0.0.1 "+mport+"]" || err != nil {
			t.Errorf("sentinel %s names master %#v, %v; want [127.0.0.1 %s]", sn.Addr, v, err, mport)
		}
	}
}

// assertReplicates writes a key on master and waits for it on replica.
func assertReplicates(t *testing.T, master, replica *Server, val string) {
	t.Helper()
	key := "replicated:" + val
	if got, err := master.Do(t.Context(), "SET", key, val); err != nil || got != "OK" {
		t.Fatalf("SET %s on master %s = %#v, %v", key, master.Addr, got, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := replica.Do(t.Context(), "GET", key)
		if err == nil && got == val {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s on replica %s = %#v, %v; want %q within 10s of the write", key, replica.Addr, got, err, val)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
