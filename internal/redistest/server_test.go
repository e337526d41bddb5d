package redistest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// assertExited fails t unless the run p has exited and been reaped and
// nothing listens on addr any more.
func assertExited(t *testing.T, p *process, addr string) {
	t.Helper()
	select {
	case <-p.exited:
	default:
		t.Fatalf("redis-server pid %d still running", p.cmd.Process.Pid)
	}
	if p.cmd.ProcessState == nil {
		t.Fatalf("redis-server pid %d has no ProcessState: not reaped", p.cmd.Process.Pid)
	}
	if err := p.cmd.Process.Signal(syscall.Signal(0)); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signal 0 to pid %d = %v, want os.ErrProcessDone", p.cmd.Process.Pid, err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("dial %s succeeded after Stop, want connection refused", addr)
	}
}

func ping(t *testing.T, s *Server) {
	t.Helper()
	got, err := s.Do(t.Context(), "PING")
	if err != nil || got != "PONG" {
		t.Fatalf("PING %s = %#v, %v; want \"PONG\"", s.Addr, got, err)
	}
}

func TestStartAnswersPing(t *testing.T) {
	t.Parallel()
	s := Start(t)
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil || host != "127.0.0.1" || port == "6379" {
		t.Fatalf("Addr = %q, want 127.0.0.1 and a port other than 6379", s.Addr)
	}
	ping(t, s)
	// Persistence must be off, or a test could leave files behind or block
	// on a fork.
	for param, want := range map[string]string{"save": "", "appendonly": "no"} {
		got, err := s.Do(t.Context(), "CONFIG", "GET", param)
		if err != nil {
			t.Fatal(err)
		}
		if pair, ok := got.([]any); !ok || len(pair) != 2 || pair[1] != want {
			t.Errorf("CONFIG GET %s = %#v, want [%s %q]", param, got, param, want)
		}
	}
}

func TestTwoServersSideBySide(t *testing.T) {
	t.Parallel()
	a, b := Start(t), Start(t)
	if a.Addr == b.Addr {
		t.Fatalf("both servers on %s", a.Addr)
	}
	if _, err := a.Do(t.Context(), "SET", "k", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Do(t.Context(), "SET", "k", "b"); err != nil {
		t.Fatal(err)
	}
	for s, want := range map[*Server]string{a: "a", b: "b"} {
		if got, err := s.Do(t.Context(), "GET", "k"); err != nil || got != want {
			t.Errorf("GET k on %s = %#v, %v; want %q", s.Addr, got, err, want)
		}
	}
}

func TestStopThenRestartOnSameAddress(t *testing.T) {
	t.Parallel()
	s := Start(t)
	addr := s.Addr
	if _, err := s.Do(t.Context(), "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	first := s.last
	s.Stop()
	if s.Running() {
		t.Error("Running() = true after Stop")
	}
	assertExited(t, first, addr)
	if _, err := s.Do(t.Context(), "PING"); err == nil {
		t.Fatal("PING succeeded while stopped")
	}

	s.Restart()
	if s.Addr != addr {
		t.Fatalf("Addr after Restart = %s, want %s", s.Addr, addr)
	}
	if !s.Running() {
		t.Error("Running() = false after Restart")
	}
	ping(t, s)
	if got, err := s.Do(t.Context(), "GET", "k"); err != nil || got != nil {
		t.Errorf("GET k after Restart = %#v, %v; want nil (persistence is off)", got, err)
	}
	if s.last == first || s.last.cmd.Process.Pid == first.cmd.Process.Pid {
		t.Error("Restart did not start a new process")
	}
}

func TestRestartWhileRunning(t *testing.T) {
	t.Parallel()
	s := Start(t)
	first := s.last
	s.Restart()
	if first.cmd.ProcessState == nil {
		t.Fatalf("first redis-server pid %d not reaped by Restart", first.cmd.Process.Pid)
	}
	ping(t, s)
}

func TestStopIsIdempotent(t *testing.T) {
	t.Parallel()
	s := Start(t)
	p := s.last
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(s.Stop)
	}
	wg.Wait()
	s.Stop()
	assertExited(t, p, s.Addr)
}

func TestCleanupLeavesNoProcess(t *testing.T) {
	t.Parallel()
	// A missing Redis skips the whole test here: the checks after the
	// subtest would otherwise fail when the subtest skips.
	lookBinary(t, "redis-server")
	var s *Server
	t.Run("start", func(t *testing.T) {
		s = Start(t)
		ping(t, s)
	})
	// The subtest's cleanups have run.
	if s == nil {
		t.Fatal("subtest did not start a server")
	}
	assertExited(t, s.last, s.Addr)
}

func TestStopUnderLoadThenRestart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	var ok, failed atomic.Int64
	recovered := make(chan struct{})
	var once sync.Once
	var restarted atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var c *Conn
			for ctx.Err() == nil {
				if c == nil {
					var err error
					if c, err = s.Dial(ctx); err != nil {
						failed.Add(1)
						continue
					}
				}
				if _, err := c.Do(ctx, "INCR", "n"); err != nil {
					failed.Add(1)
					c.Close()
					c = nil
					continue
				}
				ok.Add(1)
				if restarted.Load() {
					once.Do(func() { close(recovered) })
				}
			}
			if c != nil {
				c.Close()
			}
		})
	}
	// Let the load reach the server before pulling it away.
	for ok.Load() < 100 && ctx.Err() == nil {
		ping(t, s)
	}
	s.Stop()
	s.Restart()
	restarted.Store(true)
	select {
	case <-recovered:
	case <-ctx.Done():
		t.Error("clients did not get through after Restart")
	}
	cancel()
	wg.Wait()
	if failed.Load() == 0 {
		t.Error("no client saw an error while Redis was stopped")
	}
}

func TestStartFailureReportsServerOutput(t *testing.T) {
	t.Parallel()
	bin := lookBinary(t, "redis-server")
	cfg := newConfig([]Option{WithArgs("--no-such-directive", "x")})
	_, err := startServer(t, bin, t.TempDir(), cfg, false)
	if err == nil {
		t.Fatal("start with a bad directive succeeded")
	}
	for _, want := range []string{"exited during start-up", "redis-server output", "no-such-directive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

func TestStartTimeoutKillsAndReportsOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-redis")
	pidFile := filepath.Join(dir, "pid")
	// A "server" that talks but never gets ready; exec keeps the shell's pid.
	script := "#!/bin/sh\necho $$ > " + pidFile + "\necho 'still loading the dataset'\nexec sleep 600\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := newConfig([]Option{WithStartTimeout(200 * time.Millisecond)})
	_, err := launch(fake, dir, 1, cfg)
	if err == nil {
		t.Fatal("launch of a server that never gets ready succeeded")
	}
	for _, want := range []string{"not ready after 200ms", "still loading the dataset"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// launch must have killed and reaped it: the pid no longer exists.
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill -0 %d after a timed-out launch = %v, want ESRCH", pid, err)
	}
}

func TestLaunchDetectsTakenPort(t *testing.T) {
	t.Parallel()
	bin := lookBinary(t, "redis-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = launch(bin, t.TempDir(), port, newConfig(nil))
	if !errors.Is(err, errAddrInUse) {
		t.Fatalf("launch on a taken port = %v, want errAddrInUse", err)
	}
}

func TestRestartFailsWhenPortTaken(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.Stop()
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		t.Fatalf("take %s: %v", s.Addr, err)
	}
	defer l.Close()
	err = s.restart()
	if !errors.Is(err, errAddrInUse) || !strings.Contains(err.Error(), s.Addr) {
		t.Fatalf("restart on a taken port = %v, want errAddrInUse naming %s", err, s.Addr)
	}
	if s.Running() {
		t.Error("Running() = true after a failed restart")
	}
}
