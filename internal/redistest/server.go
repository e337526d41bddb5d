package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
)

// maxPortAttempts bounds how often Start picks a new port after losing a
// race for the previous one.
const maxPortAttempts = 5

// Server is a private redis-server started by Start. Its methods are safe
// for concurrent use, except that Restart must be called from the goroutine
// running the test, as with testing.T.Fatal.
type Server struct {
	// Addr is the server's address, "127.0.0.1:port". It stays the same
	// across Stop and Restart.
	Addr string

	tb   testing.TB
	bin  string
	dir  string
	port int
	cfg  config

	mu   sync.Mutex
	proc *process // nil while stopped
	last *process // the most recent run, kept so tests can inspect its exit
}

// Start runs a private redis-server from PATH on a free loopback port, with
// persistence off and its working directory in tb.TempDir, and returns once
// it accepts connections. tb.Cleanup stops it and waits for the process to
// exit.
//
// If redis-server is not on PATH, Start skips the test, or fails it when
// APISHIELD_REQUIRE_REDIS=1. If the server cannot start, the failure message
// carries redis-server's own output.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	cfg := newConfig(opts)
	bin := lookBinary(tb, "redis-server")
	s, err := startServer(tb, bin, tb.TempDir(), cfg, false)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// startServer picks a port and launches redis-server on it, picking again if
// another process took the port first. withBus also requires the cluster bus
// port to be free.
func startServer(tb testing.TB, bin, dir string, cfg config, withBus bool) (*Server, error) {
	var lastErr error
	for range maxPortAttempts {
		port, err := freePort(withBus)
		if err != nil {
			return nil, err
		}
		p, err := launch(bin, dir, port, cfg)
		if errors.Is(err, errAddrInUse) {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, err
		}
		return &Server{
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			tb:   tb, bin: bin, dir: dir, port: port, cfg: cfg,
			proc: p, last: p,
		}, nil
	}
	return nil, fmt.Errorf("redistest: gave up after %d ports were taken: %w", maxPortAttempts, lastErr)
}

// Stop shuts the server down (SHUTDOWN NOSAVE, then SIGKILL if it lingers)
// and returns once the process has exited. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	s.proc.stop(s.Addr)
	s.proc = nil
}

// Restart stops the server if it is running and starts it again on the same
// address and directory, returning once it accepts connections. Data is not
// kept: persistence is off. The test fails if the port was taken while the
// server was down.
func (s *Server) Restart() {
	s.tb.Helper()
	if err := s.restart(); err != nil {
		s.tb.Fatal(err)
	}
}

func (s *Server) restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop(s.Addr)
		s.proc = nil
	}
	p, err := launch(s.bin, s.dir, s.port, s.cfg)
	if err != nil {
		return fmt.Errorf("redistest: restart on %s: %w", s.Addr, err)
	}
	s.proc, s.last = p, p
	return nil
}

// Running reports whether the server has been started and not stopped. A
// server that crashed on its own still counts as running until Stop.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil
}

// Do runs one command on a fresh connection and returns the decoded reply
// (see Conn). It is meant for setting up and inspecting state in tests, not
// for load.
func (s *Server) Do(ctx context.Context, args ...any) (any, error) {
	c, err := Dial(ctx, s.Addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Do(ctx, args...)
}

// Dial opens a connection to the server for tests that issue many commands.
func (s *Server) Dial(ctx context.Context) (*Conn, error) { return Dial(ctx, s.Addr) }

// Log returns the tail of the current (or last) run's output, for failure
// messages.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return ""
	}
	return s.last.log.String()
}
