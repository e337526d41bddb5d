package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// readyMarker is the line redis-server logs once it accepts connections
// (Redis 5 through 7; 7 appends the listener kind, "tcp").
const readyMarker = "Ready to accept connections"

// addrInUseMarker is how redis-server reports that its port was taken.
const addrInUseMarker = "Address already in use"

// maxLog bounds how much of redis-server's output is kept for failure
// messages; the tail is what explains a failure.
const maxLog = 32 << 10

// stopGrace is how long a SHUTDOWN NOSAVE may take before the process is
// killed.
const stopGrace = 5 * time.Second

// errAddrInUse reports that the chosen port was taken between picking it
// and redis-server binding it.
var errAddrInUse = errors.New("redistest: port taken before redis-server could bind it")

// logTail receives redis-server's stdout and stderr, keeps a bounded tail of
// it and signals ready when the ready line appears.
type logTail struct {
	mu      sync.Mutex
	buf     []byte
	dropped bool
	line    []byte // current partial line, bounded
	marker  []byte // the line that means ready
	ready   chan struct{}
	seen    bool
	inUse   bool
}

func newLogTail(marker string) *logTail {
	return &logTail{marker: []byte(marker), ready: make(chan struct{})}
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) > maxLog {
		l.buf = append(l.buf[:0], l.buf[len(l.buf)-maxLog:]...)
		l.dropped = true
	}
	for _, b := range p {
		if b != '\n' {
			if len(l.line) < 4096 {
				l.line = append(l.line, b)
			}
			continue
		}
		if bytes.Contains(l.line, []byte(addrInUseMarker)) {
			l.inUse = true
		}
		if !l.seen && bytes.Contains(l.line, l.marker) {
			l.seen = true
			close(l.ready)
		}
		l.line = l.line[:0]
	}
	return len(p), nil
}

// String returns the kept output, marking where older output was dropped.
func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped {
		return "[... earlier output dropped ...]\n" + string(l.buf)
	}
	return string(l.buf)
}

func (l *logTail) addrInUse() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inUse
}

// process is one run of redis-server.
type process struct {
	cmd     *exec.Cmd
	log     *logTail
	exited  chan struct{} // closed once Wait has returned
	waitErr error         // valid after exited is closed
}

// launch runs redis-server on port and waits until it logs that it is ready,
// exits, or startTimeout passes. Failures carry the server's own output.
func launch(bin, dir string, port int, cfg config) (*process, error) {
	var args []string
	if cfg.confFile != "" {
		args = append(args, cfg.confFile)
	}
	args = append(args,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", "",
		"--loglevel", "notice",
	)
	args = append(args, cfg.args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	marker := cfg.ready
	if marker == "" {
		marker = readyMarker
	}
	lt := newLogTail(marker)
	cmd.Stdout = lt
	cmd.Stderr = lt
	cmd.SysProcAttr = sysProcAttr()
	// A child that inherited the output pipes must not keep Wait blocked.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redistest: start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, log: lt, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	timer := time.NewTimer(cfg.startTimeout)
	defer timer.Stop()
	select {
	case <-lt.ready:
		return p, nil
	case <-p.exited:
		if lt.addrInUse() {
			return nil, fmt.Errorf("%w (port %d)\n--- redis-server output ---\n%s", errAddrInUse, port, lt)
		}
		return nil, fmt.Errorf("redistest: redis-server on port %d exited during start-up (%v)\n--- redis-server output ---\n%s",
			port, p.waitErr, lt)
	case <-timer.C:
		p.kill()
		return nil, fmt.Errorf("redistest: redis-server on port %d not ready after %v\n--- redis-server output ---\n%s",
			port, cfg.startTimeout, lt)
	}
}

// stop asks the server to exit with SHUTDOWN NOSAVE, kills it if it has not
// exited after stopGrace, and returns only once the process has been reaped.
func (p *process) stop(addr string) {
	select {
	case <-p.exited:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	shutdown(ctx, addr)
	cancel()
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
		p.kill()
	}
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// shutdown sends SHUTDOWN NOSAVE. The server closes the connection instead
// of replying, so an I/O error here is the expected outcome.
func shutdown(ctx context.Context, addr string) {
	c, err := Dial(ctx, addr)
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Do(ctx, "SHUTDOWN", "NOSAVE")
}
