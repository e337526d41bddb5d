package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// SentinelMasterName is the name the sentinels of StartSentinel
	// monitor their master under.
	SentinelMasterName = "redistest"
	// sentinelCount is how many sentinels watch the master: three, as
	// deployments run them, so clients work through a list of sentinels
	// and a failover has to spread from one sentinel to the others.
	sentinelCount = 3
	// sentinelTimeout bounds starting a deployment, and each wait whose
	// context has no deadline of its own.
	sentinelTimeout = 30 * time.Second
	// sentinelPoll is how often the roles are polled while they settle;
	// nothing announces that they have.
	sentinelPoll = 20 * time.Millisecond
	// sentinelReadyMarker is what redis-server logs in Sentinel mode once
	// it listens.
	sentinelReadyMarker = "Sentinel ID is"
)

// sentinelConf is a sentinel's config file. Quorum 1 lets a single
// sentinel declare the master down, and the short timeouts keep an
// automatic failover within a test's patience. The first sentinel takes a
// master for dead after a second, the others only after ten (see
// sentinelDownAfter), so that the first leads the failover: when all three
// notice together, they can split the vote and retry only after twice the
// failover timeout, ten seconds later.
const sentinelConf = `sentinel monitor %[1]s 127.0.0.1 %[2]d 1
sentinel down-after-milliseconds %[1]s %[3]d
sentinel failover-timeout %[1]s 5000
`

// sentinelDownAfter is the down-after-milliseconds of sentinel i.
func sentinelDownAfter(i int) int {
	if i == 0 {
		return 1000
	}
	return 10000
}

// Sentinel is a private Redis Sentinel deployment started by StartSentinel:
// a master, one replica and three sentinels. Its methods are safe for
// concurrent use.
type Sentinel struct {
	// MasterName is the name the sentinels know the master by, for a
	// client's FailoverOptions.MasterName.
	MasterName string
	// SentinelAddrs are the sentinels' addresses, "127.0.0.1:port", in
	// Sentinels order, for a client's FailoverOptions.SentinelAddrs.
	SentinelAddrs []string
	// Nodes are the two data servers. Nodes[0] starts as the master and
	// Nodes[1] as its replica; Master and Replica say which is which now.
	// A node restarted on its own comes back with its start-up flags and
	// no data.
	Nodes []*Server
	// Sentinels are the sentinel processes (redis-server --sentinel).
	Sentinels []*Server

	mu     sync.Mutex
	master int // index in Nodes of the master, as last seen settled
}

// StartSentinel runs a master redis-server, a replica of it and three
// sentinels monitoring it, each on a free loopback port, and returns once
// the deployment is ready as WaitReady defines it. tb.Cleanup stops every
// process and waits for it to exit.
//
// Options apply to the master and the replica; the sentinels take only the
// start timeout. If redis-server is not on PATH, StartSentinel skips the
// test, or fails it when APISHIELD_REQUIRE_REDIS=1.
func StartSentinel(tb testing.TB, opts ...Option) *Sentinel {
	tb.Helper()
	cfg := newConfig(opts)
	bin := lookBinary(tb, "redis-server")
	// Every directory is made before Stop is registered, so the cleanup
	// that removes them runs after the processes have exited.
	dirs := make([]string, 2+sentinelCount)
	for i := range dirs {
		dirs[i] = tb.TempDir()
	}
	s := &Sentinel{MasterName: SentinelMasterName}
	tb.Cleanup(s.Stop)

	// Without a delay the master starts a replica's full sync at once
	// instead of waiting five seconds for more replicas to ask. The flags
	// go first so that WithArgs can override them; --replicaof goes last
	// because the helper relies on it.
	nodeCfg := cfg
	nodeCfg.args = slices.Concat([]string{"--repl-diskless-sync-delay", "0"}, cfg.args)
	master, err := startServer(tb, bin, dirs[0], nodeCfg, false)
	if err != nil {
		tb.Fatal(err)
	}
	s.Nodes = append(s.Nodes, master)
	replicaCfg := nodeCfg
	replicaCfg.args = slices.Concat(nodeCfg.args, []string{"--replicaof", "127.0.0.1", strconv.Itoa(master.port)})
	replica, err := startServer(tb, bin, dirs[1], replicaCfg, false)
	if err != nil {
		tb.Fatal(err)
	}
	s.Nodes = append(s.Nodes, replica)

	for i, dir := range dirs[2:] {
		// The sentinel rewrites this file as it learns the deployment.
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Appendf(nil, sentinelConf, s.MasterName, master.port, sentinelDownAfter(i))
		if err := os.WriteFile(conf, text, 0o600); err != nil {
			tb.Fatal(err)
		}
		sc := config{startTimeout: cfg.startTimeout, confFile: conf, ready: sentinelReadyMarker, args: []string{"--sentinel"}}
		sn, err := startServer(tb, bin, dir, sc, false)
		if err != nil {
			tb.Fatal(err)
		}
		s.Sentinels = append(s.Sentinels, sn)
		s.SentinelAddrs = append(s.SentinelAddrs, sn.Addr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), sentinelTimeout)
	defer cancel()
	if err := s.WaitReady(ctx); err != nil {
		tb.Fatal(err)
	}
	if s.Master() != master {
		tb.Fatalf("redistest: the sentinels settled on %s as master, want %s%s", s.Master().Addr, master.Addr, s.logs())
	}
	return s
}

// Master returns the node that is master, as of the last WaitReady,
// WaitMaster or Failover.
func (s *Sentinel) Master() *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Nodes[s.master]
}

// Replica returns the other node, the master's replica as of the last
// WaitReady or Failover.
func (s *Sentinel) Replica() *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Nodes[1-s.master]
}

// WaitReady polls until every sentinel names the same node as master and
// lists the other as a replica that is neither down nor disconnected, that
// node reports role:master with the other online as its one replica, the
// other reports role:slave with its link to it up, and it has acknowledged
// a write made on the master (see WaitReplicated); or until ctx ends.
// Master and Replica then return the roles found. Without a deadline in
// ctx, WaitReady gives up after 30 seconds.
func (s *Sentinel) WaitReady(ctx context.Context) error {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	return s.poll(ctx, "deployment not ready", func() error {
		m, err := s.settled(ctx)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.master = m
		s.mu.Unlock()
		return nil
	})
}

// Failover has the first sentinel fail the master over to the replica
// (SENTINEL FAILOVER), waits until every sentinel names the replica as
// master and it reports role:master, then makes the old master a replica of
// the new one and waits for WaitReady. Sentinel itself would reconfigure the
// old master too, but only after about eight seconds; doing it at once
// leaves the deployment whole when Failover returns. Both nodes must be
// running. Without a deadline in ctx, Failover gives up after 30 seconds.
func (s *Sentinel) Failover(ctx context.Context) error {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	s.mu.Lock()
	from, to := s.Nodes[s.master], s.Nodes[1-s.master]
	s.mu.Unlock()

	// A sentinel refuses while it has no fresh enough word from the
	// replica (NOGOODSLAVE) or is still busy with a previous failover
	// (INPROG); both pass.
	err := s.poll(ctx, "SENTINEL FAILOVER refused", func() error {
		_, err := s.Sentinels[0].Do(ctx, "SENTINEL", "FAILOVER", s.MasterName)
		var e Error
		if errors.As(err, &e) && !strings.HasPrefix(string(e), "NOGOODSLAVE") && !strings.HasPrefix(string(e), "INPROG") {
			return permanent{err}
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := s.WaitMaster(ctx, to); err != nil {
		return err
	}
	if _, err := from.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(to.port)); err != nil {
		return fmt.Errorf("redistest: REPLICAOF on the old master %s: %w%s", from.Addr, err, s.logs())
	}
	if err := s.WaitReady(ctx); err != nil {
		return err
	}
	if m := s.Master(); m != to {
		return fmt.Errorf("redistest: after the failover the sentinels settled on %s as master, want %s%s", m.Addr, to.Addr, s.logs())
	}
	return nil
}

// WaitMaster polls until every sentinel names node n as master and n
// reports role:master, or until ctx ends; Master then returns n. After the
// master is stopped, it waits out Sentinel's own failover, which starts
// once the master has not answered the first sentinel for a second
// and takes one or two more. Unlike WaitReady it does not need the other
// node. Without a deadline in ctx, WaitMaster gives up after 30 seconds.
func (s *Sentinel) WaitMaster(ctx context.Context, n *Server) error {
	i := slices.Index(s.Nodes, n)
	if i < 0 {
		return errors.New("redistest: WaitMaster: the server is not a node of this deployment")
	}
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	return s.poll(ctx, "waiting for "+n.Addr+" to be master", func() error {
		for _, sn := range s.Sentinels {
			addr, err := s.masterAddr(ctx, sn)
			if err != nil {
				return err
			}
			if addr != n.Addr {
				return fmt.Errorf("sentinel %s names %s as master, want %s", sn.Addr, addr, n.Addr)
			}
		}
		if err := wantRole(ctx, n, "master"); err != nil {
			return err
		}
		s.mu.Lock()
		s.master = i
		s.mu.Unlock()
		return nil
	})
}

// Stop stops the sentinels, then the nodes, each group in parallel, and
// waits for every process to exit; sentinels go first so that none starts
// a failover while the nodes go down. It is idempotent.
func (s *Sentinel) Stop() {
	for _, group := range [][]*Server{s.Sentinels, s.Nodes} {
		var wg sync.WaitGroup
		for _, srv := range group {
			wg.Go(srv.Stop)
		}
		wg.Wait()
	}
}

// settled checks the deployment once and returns the index of the master
// in Nodes if every part agrees, or what it found wrong.
func (s *Sentinel) settled(ctx context.Context) (int, error) {
	addr, err := s.masterAddr(ctx, s.Sentinels[0])
	if err != nil {
		return 0, err
	}
	m := slices.IndexFunc(s.Nodes, func(n *Server) bool { return n.Addr == addr })
	if m < 0 {
		return 0, fmt.Errorf("sentinel %s names %s as master, which is not a node of this deployment", s.Sentinels[0].Addr, addr)
	}
	master, replica := s.Nodes[m], s.Nodes[1-m]
	for _, sn := range s.Sentinels {
		a, err := s.masterAddr(ctx, sn)
		if err != nil {
			return 0, err
		}
		if a != addr {
			return 0, fmt.Errorf("sentinel %s names %s as master, sentinel %s names %s", sn.Addr, a, s.Sentinels[0].Addr, addr)
		}
		if err := s.seesReplica(ctx, sn, replica.Addr); err != nil {
			return 0, err
		}
	}
	info, err := master.Info(ctx, "replication")
	if err != nil {
		return 0, err
	}
	// A master counts a replica as online only once it has acknowledged
	// the initial sync, a moment after the replica reports its link up.
	_, rport, _ := net.SplitHostPort(replica.Addr)
	if info["role"] != "master" || info["connected_slaves"] != "1" || !strings.HasPrefix(info["slave0"], "ip=127.0.0.1,port="+rport+",state=online,") {
		return 0, fmt.Errorf("master %s: role %q, %s replicas, slave0 %q; want master with %s online",
			master.Addr, info["role"], info["connected_slaves"], info["slave0"], replica.Addr)
	}
	info, err = replica.Info(ctx, "replication")
	if err != nil {
		return 0, err
	}
	if info["role"] != "slave" || net.JoinHostPort(info["master_host"], info["master_port"]) != master.Addr || info["master_link_status"] != "up" {
		return 0, fmt.Errorf("replica %s: role %q, master %s:%s, link %q; want slave of %s, link up",
			replica.Addr, info["role"], info["master_host"], info["master_port"], info["master_link_status"], master.Addr)
	}
	// Even then the master may still hold writes back: after a full sync
	// it streams nothing until the replica's first acknowledgement, up to
	// a second later, and a failover meanwhile loses them.
	if err := replicated(ctx, master, sentinelPoll); err != nil {
		return 0, err
	}
	return m, nil
}

// WaitReplicated waits until the replica has acknowledged every write the
// master took before the call, or until ctx ends. Replication is
// asynchronous, so a failover loses what the replica has not got yet; call
// WaitReplicated before Failover when a test needs the data to survive it.
// It writes and deletes the key "redistest:replicated" on the master.
// Without a deadline in ctx, WaitReplicated gives up after 30 seconds.
func (s *Sentinel) WaitReplicated(ctx context.Context) error {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	master := s.Master()
	return s.poll(ctx, "replica behind "+master.Addr, func() error {
		return replicated(ctx, master, time.Second)
	})
}

// replicated writes to master and waits up to timeout for its replica to
// acknowledge the write. WAIT counts acknowledgements of the writes made on
// its own connection, and the replication stream is ordered, so the write
// stands for every earlier one.
func replicated(ctx context.Context, master *Server, timeout time.Duration) error {
	c, err := master.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, cmd := range [][]any{{"SET", "redistest:replicated", "1"}, {"DEL", "redistest:replicated"}} {
		if _, err := c.Do(ctx, cmd...); err != nil {
			return err
		}
	}
	n, err := c.Do(ctx, "WAIT", 1, timeout.Milliseconds())
	if err != nil {
		return err
	}
	if n != int64(1) {
		return fmt.Errorf("master %s: the replica has not acknowledged a write after %v", master.Addr, timeout)
	}
	return nil
}

// masterAddr asks sentinel sn for the master's address
// (SENTINEL GET-MASTER-ADDR-BY-NAME).
func (s *Sentinel) masterAddr(ctx context.Context, sn *Server) (string, error) {
	v, err := sn.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
	if err != nil {
		return "", err
	}
	hp, ok := v.([]any)
	if !ok || len(hp) != 2 {
		return "", fmt.Errorf("%w: SENTINEL GET-MASTER-ADDR-BY-NAME reply %#v, want [host port]", ErrProtocol, v)
	}
	host, ok1 := hp[0].(string)
	port, ok2 := hp[1].(string)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("%w: SENTINEL GET-MASTER-ADDR-BY-NAME reply %#v, want [host port]", ErrProtocol, v)
	}
	return net.JoinHostPort(host, port), nil
}

// seesReplica checks that sentinel sn lists addr among the master's
// replicas (SENTINEL REPLICAS) with none of the flags that keep a client or
// a failover from using it.
func (s *Sentinel) seesReplica(ctx context.Context, sn *Server, addr string) error {
	v, err := sn.Do(ctx, "SENTINEL", "REPLICAS", s.MasterName)
	if err != nil {
		return err
	}
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%w: SENTINEL REPLICAS reply is %T, want array", ErrProtocol, v)
	}
	for _, r := range list {
		fields, ok := r.([]any)
		if !ok || len(fields)%2 != 0 {
			return fmt.Errorf("%w: malformed SENTINEL REPLICAS entry %#v", ErrProtocol, r)
		}
		m := make(map[string]string, len(fields)/2)
		for i := 0; i < len(fields); i += 2 {
			k, _ := fields[i].(string)
			v, _ := fields[i+1].(string)
			m[k] = v
		}
		if net.JoinHostPort(m["ip"], m["port"]) != addr {
			continue
		}
		for flag := range strings.SplitSeq(m["flags"], ",") {
			switch flag {
			case "s_down", "o_down", "disconnected":
				return fmt.Errorf("sentinel %s: replica %s has flags %s", sn.Addr, addr, m["flags"])
			}
		}
		return nil
	}
	return fmt.Errorf("sentinel %s does not list %s among the replicas", sn.Addr, addr)
}

// wantRole checks the role a node reports in INFO replication.
func wantRole(ctx context.Context, n *Server, role string) error {
	info, err := n.Info(ctx, "replication")
	if err != nil {
		return err
	}
	if info["role"] != role {
		return fmt.Errorf("node %s reports role %q, want %q", n.Addr, info["role"], role)
	}
	return nil
}

// Info returns a section of the server's INFO as a map of field to value,
// e.g. Info(ctx, "replication")["role"] == "master".
func (s *Server) Info(ctx context.Context, section string) (map[string]string, error) {
	v, err := s.Do(ctx, "INFO", section)
	if err != nil {
		return nil, err
	}
	text, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%w: INFO reply is %T, want string", ErrProtocol, v)
	}
	return parseInfo(text), nil
}

// withDeadline bounds ctx by sentinelTimeout unless it has a deadline.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, sentinelTimeout)
}

// permanent marks an error that poll must not retry.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// poll calls check every sentinelPoll until it returns nil, returns a
// permanent error, or ctx ends; the error then names what was awaited and
// the last thing check found wrong, and carries every process's output.
func (s *Sentinel) poll(ctx context.Context, what string, check func() error) error {
	ticker := time.NewTicker(sentinelPoll)
	defer ticker.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) {
			return fmt.Errorf("redistest: sentinel: %s: %w%s", what, p.err, s.logs())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: sentinel: %s: %w; last check: %v%s", what, ctx.Err(), err, s.logs())
		case <-ticker.C:
		}
	}
}

// logs renders every process's output for a failure message.
func (s *Sentinel) logs() string {
	var b strings.Builder
	for _, n := range s.Nodes {
		fmt.Fprintf(&b, "\n--- redis-server %s output ---\n%s", n.Addr, n.Log())
	}
	for _, n := range s.Sentinels {
		fmt.Fprintf(&b, "\n--- sentinel %s output ---\n%s", n.Addr, n.Log())
	}
	return b.String()
}
