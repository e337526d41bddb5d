package tlsconfig_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/tlsconfig"
)

// peerConn is one end of a net.Pipe that reports remote as its peer's
// address, so tests can connect from any address, IPv6 networks included.
type peerConn struct {
	net.Conn
	remote net.Addr
}

func (c *peerConn) RemoteAddr() net.Addr { return c.remote }

func addr(t testing.TB, s string) net.Addr {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// pipeListener accepts the server ends of connections made with dial.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// dial connects to l from remote and returns the client's end.
func (l *pipeListener) dial(t testing.TB, remote string) net.Conn {
	t.Helper()
	server, client := net.Pipe()
	l.conns <- &peerConn{Conn: server, remote: addr(t, remote)}
	return client
}

// isClosedByServer reports whether the server closed its end of client,
// once everything has settled (synctest.Wait).
func isClosedByServer(client net.Conn) bool {
	client.SetReadDeadline(time.Now())
	_, err := client.Read(make([]byte, 1))
	client.SetReadDeadline(time.Time{})
	return errors.Is(err, io.EOF)
}

// TestConnLimiterListener drives a ConnLimiter's Listener with
// connections from chosen addresses: a client network over its bound is
// refused while others still connect, closing frees a slot, and the
// overall bound holds. synctest fails the test if any goroutine is left
// behind.
func TestConnLimiterListener(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := newLogRecorder()
		lim, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{MaxConns: 6, MaxConnsPerClient: 2, Logger: slog.New(logs)})
		if err != nil {
			t.Fatal(err)
		}
		inner := newPipeListener()
		ln := lim.Listener(inner)
		accepted := make(chan net.Conn, 16)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					close(accepted)
					return
				}
				accepted <- c
			}
		}()
		// connect dials from remote and reports the server's end, or nil
		// if the limiter refused the connection.
		connect := func(remote string) (client, server net.Conn) {
			t.Helper()
			client = inner.dial(t, remote)
			synctest.Wait()
			select {
			case server = <-accepted:
			default:
				if !isClosedByServer(client) {
					t.Fatalf("%s: neither accepted nor closed", remote)
				}
			}
			return client, server
		}
		stats := func(want tlsconfig.ConnStats) {
			t.Helper()
			if got := lim.Stats(); got != want {
				t.Fatalf("Stats() = %+v, want %+v", got, want)
			}
		}

		_, a1 := connect("192.0.2.1:1001")
		_, a2 := connect("192.0.2.1:1002")
		if a1 == nil || a2 == nil {
			t.Fatal("first two connections from 192.0.2.1 refused")
		}
		if _, a3 := connect("192.0.2.1:1003"); a3 != nil {
			t.Fatal("third connection from 192.0.2.1 accepted over MaxConnsPerClient 2")
		}
		stats(tlsconfig.ConnStats{Open: 2, RefusedPerClient: 1})
		if _, b1 := connect("192.0.2.2:1001"); b1 == nil {
			t.Fatal("another address refused while 192.0.2.1 is at its bound")
		}

		// One IPv6 /64 is one client; the next /64 is another.
		_, v1 := connect("[2001:db8::1]:1")
		_, v2 := connect("[2001:db8::ffff:2]:1")
		if v1 == nil || v2 == nil {
			t.Fatal("first two connections from 2001:db8::/64 refused")
		}
		if _, v3 := connect("[2001:db8::3]:1"); v3 != nil {
			t.Fatal("third connection from 2001:db8::/64 accepted: the /64 is one client")
		}
		stats(tlsconfig.ConnStats{Open: 5, RefusedPerClient: 2})

		// Overall bound: the sixth connection fills it, so a new client
		// is refused.
		_, c1 := connect("198.51.100.1:1")
		if c1 == nil {
			t.Fatal("sixth connection refused under MaxConns 6")
		}
		if _, c2 := connect("198.51.100.2:1"); c2 != nil {
			t.Fatal("seventh connection accepted over MaxConns 6")
		}
		stats(tlsconfig.ConnStats{Open: 6, RefusedOverall: 1, RefusedPerClient: 2})

		// Closing frees a slot, once, however often it is closed.
		a1.Close()
		a1.Close()
		stats(tlsconfig.ConnStats{Open: 5, RefusedOverall: 1, RefusedPerClient: 2})
		if _, again := connect("192.0.2.1:1004"); again == nil {
			t.Fatal("192.0.2.1 refused after one of its connections closed")
		}
		if n := logs.count(slog.LevelWarn); n != 3 {
			t.Fatalf("%d refusals logged, want 3", n)
		}

		ln.Close()
		synctest.Wait()
		for c := range accepted {
			c.Close()
		}
		for _, c := range []net.Conn{a2, v1, v2, c1} {
			c.Close()
		}
	})
}

// TestConnLimiterNonIPPeersShareOneBucket: peers without an IP address,
// such as unix sockets, cannot each get a bucket of their own.
func TestConnLimiterNonIPPeersShareOneBucket(t *testing.T) {
	t.Parallel()
	lim, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{MaxConnsPerClient: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	unix := func(name string) net.Conn {
		s, c := net.Pipe()
		t.Cleanup(func() { s.Close(); c.Close() })
		return &peerConn{Conn: s, remote: &net.UnixAddr{Name: name, Net: "unix"}}
	}
	first, second := unix("@a"), unix("@b")
	lim.ConnState(first, http.StateNew)
	lim.ConnState(second, http.StateNew)
	if got := lim.Stats(); got.Open != 1 || got.RefusedPerClient != 1 {
		t.Fatalf("Stats() = %+v, want 1 open and 1 refused", got)
	}
}

// TestConnLimiterConnState drives the ConnState hook as http.Server does.
func TestConnLimiterConnState(t *testing.T) {
	t.Parallel()
	newConn := func(remote string) net.Conn {
		s, c := net.Pipe()
		t.Cleanup(func() { s.Close(); c.Close() })
		return &peerConn{Conn: s, remote: addr(t, remote)}
	}
	tests := []struct {
		name   string
		events func(l *tlsconfig.ConnLimiter, conns []net.Conn)
		want   tlsconfig.ConnStats
	}{
		{"closed frees the slot", func(l *tlsconfig.ConnLimiter, c []net.Conn) {
			l.ConnState(c[0], http.StateNew)
			l.ConnState(c[0], http.StateActive)
			l.ConnState(c[0], http.StateIdle)
			l.ConnState(c[0], http.StateClosed)
		}, tlsconfig.ConnStats{}},
		{"hijacked frees the slot", func(l *tlsconfig.ConnLimiter, c []net.Conn) {
			l.ConnState(c[0], http.StateNew)
			l.ConnState(c[0], http.StateHijacked)
		}, tlsconfig.ConnStats{}},
		{"over the bound, then closed, frees nothing", func(l *tlsconfig.ConnLimiter, c []net.Conn) {
			l.ConnState(c[0], http.StateNew)
			l.ConnState(c[1], http.StateNew)
			l.ConnState(c[2], http.StateNew)
			l.ConnState(c[2], http.StateClosed)
		}, tlsconfig.ConnStats{Open: 2, RefusedPerClient: 1}},
		{"closed twice frees once", func(l *tlsconfig.ConnLimiter, c []net.Conn) {
			l.ConnState(c[0], http.StateNew)
			l.ConnState(c[1], http.StateNew)
			l.ConnState(c[0], http.StateClosed)
			l.ConnState(c[0], http.StateClosed)
		}, tlsconfig.ConnStats{Open: 1}},
		{"admitted by the limiter's Listener: not counted twice", func(l *tlsconfig.ConnLimiter, c []net.Conn) {
			inner := newPipeListener()
			ln := l.Listener(inner)
			go func() { inner.conns <- c[0] }()
			lc, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			tc := tls.Server(lc, &tls.Config{})
			l.ConnState(tc, http.StateNew)
			l.ConnState(tc, http.StateClosed)
		}, tlsconfig.ConnStats{Open: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{MaxConnsPerClient: 2, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			conns := []net.Conn{newConn("192.0.2.1:1"), newConn("192.0.2.1:2"), newConn("192.0.2.1:3")}
			tt.events(l, conns)
			if got := l.Stats(); got != tt.want {
				t.Fatalf("Stats() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestConnLimiterRefusalsLogRateLimited(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := newLogRecorder()
		lim, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{
			MaxConns: 1, Logger: slog.New(logs), LogBurst: 2, LogEvery: time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		conn := func(remote string) net.Conn {
			s, c := net.Pipe()
			t.Cleanup(func() { s.Close(); c.Close() })
			return &peerConn{Conn: s, remote: addr(t, remote)}
		}
		lim.ConnState(conn("192.0.2.1:1"), http.StateNew)
		for range 5 {
			lim.ConnState(conn("[2001:db8:1:2::7]:1"), http.StateNew)
		}
		recs := logs.snapshot()
		if len(recs) != 2 {
			t.Fatalf("%d records for 5 refusals with a burst of 2, want 2", len(recs))
		}
		if v, _ := attr(recs[0], "reason"); v.String() != "max_conns" {
			t.Errorf("reason = %q, want max_conns", v)
		}
		if v, _ := attr(recs[0], "client"); v.String() != "2001:db8:1:2::/64" {
			t.Errorf("client = %q, want the /64", v)
		}
		time.Sleep(time.Second)
		lim.ConnState(conn("192.0.2.9:1"), http.StateNew)
		recs = logs.snapshot()
		if len(recs) != 3 {
			t.Fatalf("%d records after a second, want 3", len(recs))
		}
		if v, _ := attr(recs[2], "suppressed"); v.Int64() != 3 {
			t.Errorf("suppressed = %v, want 3", v)
		}
		if got := lim.Stats().RefusedOverall; got != 6 {
			t.Errorf("RefusedOverall = %d, want 6: every refusal is counted, logged or not", got)
		}
	})
}

func TestNewConnLimiterInvalid(t *testing.T) {
	t.Parallel()
	for _, cfg := range []tlsconfig.ConnLimitConfig{{LogBurst: -1}, {LogEvery: -time.Second}} {
		if _, err := tlsconfig.NewConnLimiter(cfg); !errors.Is(err, tlsconfig.ErrInvalidConfig) {
			t.Errorf("NewConnLimiter(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	lim, _ := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{})
	if _, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{Handler: http.NotFoundHandler(), ConnLimiter: lim, MaxConns: 5}); !errors.Is(err, tlsconfig.ErrInvalidConfig) {
		t.Errorf("NewHTTPServer with ConnLimiter and MaxConns = %v, want ErrInvalidConfig", err)
	}
}

// TestHTTPServerBoundsConnections runs a server from NewHTTPServer over
// real loopback TCP, as the attack did: idle keep-alive connections from
// one address fill only that address's share, the next one from it is
// closed at once while another address is still served, and a closed
// connection frees its slot; the overall bound holds across addresses.
func TestHTTPServerBoundsConnections(t *testing.T) {
	t.Parallel()
	// 127.0.0.2 and 127.0.0.3 are loopback addresses on Linux; elsewhere
	// they may not be configured.
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		if ln, err := net.Listen("tcp", ip+":0"); err != nil {
			t.Skipf("%s is not a local address here: %v", ip, err)
		} else {
			ln.Close()
		}
	}
	lim, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{MaxConns: 4, MaxConnsPerClient: 3, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{
		Handler:     http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		Logger:      slog.New(slog.DiscardHandler),
		ConnLimiter: lim,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Wrap the hook NewHTTPServer set, as its documentation says, to learn
	// when the server has seen a connection close.
	closed := make(chan struct{}, 16)
	hook := srv.ConnState
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		if hook != nil {
			hook(c, s)
		}
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// get opens a keep-alive connection from ip and makes one request on
	// it; the connection is left open and idle. ok is false if the server
	// closed it instead of answering.
	get := func(ip string) (c net.Conn, ok bool) {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return c, false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return c, resp.StatusCode == 200 && string(body) == "ok"
	}

	var first net.Conn
	for i := range 3 {
		c, ok := get("127.0.0.1")
		if !ok {
			t.Fatalf("connection %d from 127.0.0.1 refused under MaxConnsPerClient 3", i+1)
		}
		if i == 0 {
			first = c
		}
	}
	if _, ok := get("127.0.0.1"); ok {
		t.Fatal("fourth connection from 127.0.0.1 served over MaxConnsPerClient 3")
	}
	<-closed // the refused one
	if _, ok := get("127.0.0.2"); !ok {
		t.Fatal("127.0.0.2 refused while only 127.0.0.1 is at its bound")
	}
	if _, ok := get("127.0.0.3"); ok {
		t.Fatal("127.0.0.3 served over MaxConns 4")
	}
	<-closed
	first.Close()
	<-closed
	if _, ok := get("127.0.0.3"); !ok {
		t.Fatal("127.0.0.3 refused after a connection closed")
	}
	if got, want := lim.Stats(), (tlsconfig.ConnStats{Open: 4, RefusedOverall: 1, RefusedPerClient: 1}); got != want {
		t.Fatalf("Stats() = %+v, want %+v", got, want)
	}
}

// TestHTTPServerDefaultConnBounds replays the attack on a server with the
// defaults: idle keep-alive connections from one address get
// DefaultMaxConnsPerClient slots, the next is closed at once, another
// address is still served, and idle connections are dropped after
// DefaultIdleTimeout, which frees their slots. synctest runs the clock and
// fails the test if the server leaves a goroutine behind once closed.
func TestHTTPServerDefaultConnBounds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
			Logger:  slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		ln := newPipeListener()
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()

		// get opens a keep-alive connection from remote and makes one
		// request on it, leaving it open and idle.
		get := func(remote string) (net.Conn, bool) {
			c := ln.dial(t, remote)
			go io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				c.Close()
				return nil, false
			}
			resp.Body.Close()
			return c, resp.StatusCode == 200
		}
		var idle []net.Conn
		for i := range tlsconfig.DefaultMaxConnsPerClient {
			c, ok := get("192.0.2.1:" + strconv.Itoa(1000+i))
			if !ok {
				t.Fatalf("connection %d from 192.0.2.1 refused", i+1)
			}
			idle = append(idle, c)
		}
		if _, ok := get("192.0.2.1:9999"); ok {
			t.Fatalf("connection %d from 192.0.2.1 served", tlsconfig.DefaultMaxConnsPerClient+1)
		}
		other, ok := get("192.0.2.2:1000")
		if !ok {
			t.Fatal("192.0.2.2 refused while 192.0.2.1 is at its bound")
		}
		idle = append(idle, other)

		// The attack held its connections for net/http's 120 s; the
		// default now drops them after 30 s.
		time.Sleep(31 * time.Second)
		synctest.Wait()
		for i, c := range idle {
			if !isClosedByServer(c) {
				t.Fatalf("idle connection %d still open after 31 s idle", i)
			}
			c.Close()
		}
		c, ok := get("192.0.2.1:9999")
		if !ok {
			t.Fatal("192.0.2.1 still refused after its idle connections timed out")
		}
		c.Close()

		srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Fatalf("Serve = %v", err)
		}
	})
}
