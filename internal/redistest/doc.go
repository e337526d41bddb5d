// Package redistest gives apishield's own tests a real, private Redis: a
// redis-server, a three-master Redis Cluster or a Sentinel deployment,
// started from PATH on free loopback ports, owned by one test and gone when
// it ends.
//
// It is test-only machinery under internal/: it imports "testing", it is not
// part of apishield's API, and no production code may import it.
//
// # Use
//
//	srv := redistest.Start(t)
//	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
//	...
//	srv.Stop()    // Redis goes away under load: the code under test must cope
//	srv.Restart() // and it comes back on the same address
//
//	addr := redistest.Silent(t) // accepts and never answers: for deadlines
//
//	cl := redistest.StartCluster(t)
//	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs})
//
//	sent := redistest.StartSentinel(t)
//	fc := redis.NewFailoverClient(&redis.FailoverOptions{
//		MasterName: sent.MasterName, SentinelAddrs: sent.SentinelAddrs,
//	})
//	err := sent.Failover(ctx) // the replica is master now: sent.Master()
//
// Start runs redis-server with persistence off (--save "" --appendonly no),
// bound to 127.0.0.1 on a port the kernel reports free, its working
// directory in t.TempDir, and returns once the server logs "Ready to accept
// connections" (bounded by a start timeout, 10 s by default). If another
// process takes the port first, Start tries another. StartCluster also
// requires each node's cluster bus port (port+10000) to be free, creates the
// cluster with `redis-cli --cluster create --cluster-replicas 0`, and waits
// until every node reports cluster_state:ok with all 16384 slots assigned.
// StartSentinel starts a master, a replica (--replicaof) and three
// sentinels (redis-server --sentinel, each with its own config file in
// t.TempDir, monitoring the master with quorum 1 and failover timeout 5 s;
// the first takes a master for dead after 1 s, the others after 10 s, so
// that the first leads an automatic failover rather than all three
// splitting the vote), and waits until every sentinel names the master,
// lists the replica as healthy, and the replica has acknowledged a write
// (see WaitReplicated). Its Failover runs SENTINEL FAILOVER, waits until
// every sentinel names the replica as master and it reports role:master,
// then makes the old master a replica of the new one at once rather than
// after Sentinel's own delay of about eight seconds, and returns once the
// roles have settled swapped (about a second). After the master is
// stopped, WaitMaster waits out Sentinel's own failover (two to three
// seconds).
// t.Cleanup stops every server and waits for its process to exit.
//
// The package speaks RESP2 itself through a small client (Conn, Server.Do,
// Server.Info, Cluster.Do) so that it needs no third-party module; tests of
// Redis-backed code use the real client library against Server.Addr (or
// Sentinel.SentinelAddrs).
//
// # Missing Redis
//
// When redis-server (or, for a cluster, redis-cli) is not on PATH, the test
// is skipped with a message saying how to install it
// (`apt-get install redis-server redis-tools`); a Sentinel deployment needs
// only redis-server, which runs the sentinels too (--sentinel). With
// APISHIELD_REQUIRE_REDIS=1 in the environment, as CI sets it, the test
// fails instead, so a runner without Redis cannot pass by skipping; a value
// other than 1, 0 or empty fails it too (internal/testenv decides, as it
// does for the tests that need Node.js or Chromium).
// Any other start failure fails the test with redis-server's own output.
//
// # Security
//
// The servers listen on 127.0.0.1 only and have no password: any local
// process can reach them while a test runs, so tests must not put real
// secrets in them. The helper never uses a fixed port and
// never hands out 6379, so a Redis already running on the machine is never
// touched. The client bounds every reply (line length, bulk size, array
// length, nesting depth) before allocating for it and applies a deadline to
// every command, so a wrong address yields an error rather than a hang or an
// out-of-memory crash. On Linux each server is killed by the kernel if the
// test binary dies without running its cleanups.
package redistest
