package tlsconfig

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apishield/apishield/internal/clientip"
)

// Defaults of [ConnLimitConfig], which [HTTPServerConfig] shares.
const (
	// DefaultMaxConns bounds a server's open connections. An idle
	// keep-alive connection holds about 30 KiB (TLS, HTTP/1.1; about 20
	// KiB in plain HTTP, 35 KiB with HTTP/2, measured with Go 1.26), so
	// 10000 is about 300 MiB and well under the file descriptor limit Go
	// raises itself to: the process survives a flood, while a few dozen
	// addresses cannot fill it at the per-client bound.
	DefaultMaxConns = 10000
	// DefaultMaxConnsPerClient bounds the open connections of one client
	// network: 256 is far more than a browser (6 per host) or an HTTP/2
	// client (1) opens, and leaves room for a few hundred users behind one
	// NAT address, while one host can hold only 1/40 of DefaultMaxConns.
	DefaultMaxConnsPerClient = 256
)

// ConnLimitConfig configures [NewConnLimiter]. Zero fields take the
// documented defaults; a negative bound means no bound.
type ConnLimitConfig struct {
	// MaxConns bounds the connections open at once, from all clients.
	// Zero means DefaultMaxConns (10000).
	MaxConns int
	// MaxConnsPerClient bounds the connections open at once from one
	// client network: the TCP peer's IPv4 address, or its IPv6 /64, the
	// smallest network an ISP routes to one subscriber, inside which a
	// host picks addresses at will. Forwarding headers are not read: this
	// runs before any request exists. Zero means DefaultMaxConnsPerClient
	// (256).
	//
	// Behind a load balancer or reverse proxy, every connection comes from
	// a few proxy addresses: raise it above what one proxy node opens, or
	// set it negative, and bound clients at the proxy. Peers that are not
	// IP addresses (unix sockets) all count as one client.
	MaxConnsPerClient int
	// Logger receives a Warn record "tlsconfig: connection refused" for
	// refused connections, with the reason ("max_conns" or
	// "max_conns_per_client"), the client network and the bound reached.
	// Nil means slog.Default().
	Logger *slog.Logger
	// LogBurst and LogEvery rate-limit those records as
	// HTTPServerConfig.ErrorLogBurst and ErrorLogEvery do: refusals come
	// in floods. Zero means DefaultErrorLogBurst (10) and
	// DefaultErrorLogEvery (1s).
	LogBurst int
	LogEvery time.Duration
}

// ConnLimiter bounds the connections a server holds open, overall and per
// client network, so one host cannot hold every connection slot (or all
// of the server's memory) with idle keep-alives, and a flood from many
// cannot exhaust file descriptors or memory. A connection over a bound is
// closed at once, before any TLS handshake or read, and counted in
// [ConnLimiter.Stats]; it is not queued, since a queue would hold the
// very resources the bound protects.
//
// Enforce it with [ConnLimiter.Listener], which wraps a net.Listener, or
// with [ConnLimiter.ConnState] as an http.Server's ConnState hook, which is
// how [NewHTTPServer] applies it. A ConnLimiter may be shared by several
// listeners or servers, which then share its bounds. It is safe for
// concurrent use.
type ConnLimiter struct {
	maxConns     int // 0: no bound
	maxPerClient int // 0: no bound
	log          *slog.Logger
	gate         *logGate

	mu        sync.Mutex
	open      int
	perClient map[netip.Prefix]int      // nil without a per-client bound
	hooked    map[net.Conn]netip.Prefix // connections counted by ConnState

	refusedOverall   atomic.Uint64
	refusedPerClient atomic.Uint64
}

// ConnStats is a snapshot of a [ConnLimiter]'s counters, for monitoring.
type ConnStats struct {
	// Open is the number of connections open now.
	Open int
	// RefusedOverall counts connections refused because MaxConns were open.
	RefusedOverall uint64
	// RefusedPerClient counts connections refused because their client
	// network had MaxConnsPerClient open.
	RefusedPerClient uint64
}

// NewConnLimiter returns a ConnLimiter for cfg. Errors wrap
// [ErrInvalidConfig].
func NewConnLimiter(cfg ConnLimitConfig) (*ConnLimiter, error) {
	if cfg.LogBurst < 0 || cfg.LogEvery < 0 {
		return nil, invalid("ConnLimitConfig.LogBurst and LogEvery must not be negative")
	}
	bound := func(n, def int) int {
		switch {
		case n == 0:
			return def
		case n < 0:
			return 0
		}
		return n
	}
	l := &ConnLimiter{
		maxConns:     bound(cfg.MaxConns, DefaultMaxConns),
		maxPerClient: bound(cfg.MaxConnsPerClient, DefaultMaxConnsPerClient),
		log:          cfg.Logger,
		hooked:       make(map[net.Conn]netip.Prefix),
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	burst, every := cfg.LogBurst, cfg.LogEvery
	if burst == 0 {
		burst = DefaultErrorLogBurst
	}
	if every == 0 {
		every = DefaultErrorLogEvery
	}
	l.gate = newLogGate(burst, every)
	if l.maxPerClient > 0 {
		l.perClient = make(map[netip.Prefix]int)
	}
	return l, nil
}

// Stats returns the limiter's counters.
func (l *ConnLimiter) Stats() ConnStats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	return ConnStats{Open: open, RefusedOverall: l.refusedOverall.Load(), RefusedPerClient: l.refusedPerClient.Load()}
}

// clientOf returns the network a connection counts under: its peer's IPv4
// address or IPv6 /64, as internal/clientip buckets per-IP rate limits.
// A peer that is not an IP address gives the zero Prefix, one bucket
// shared by all such peers.
func clientOf(c net.Conn) netip.Prefix {
	var addr netip.Addr
	switch a := c.RemoteAddr().(type) {
	case *net.TCPAddr:
		addr, _ = netip.AddrFromSlice(a.IP)
	case nil:
	default:
		addr = clientip.ParseRemoteAddr(a.String())
	}
	return clientip.Bucket(addr, clientip.DefaultIPv6Bits)
}

// Refusal reasons, as logged.
const (
	reasonMaxConns          = "max_conns"
	reasonMaxConnsPerClient = "max_conns_per_client"
)

// acquire takes a slot for a connection from client, or reports why not.
// If c is not nil, the slot is recorded as c's, for ConnState to release.
func (l *ConnLimiter) acquire(client netip.Prefix, c net.Conn) (reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxConns > 0 && l.open >= l.maxConns {
		l.refusedOverall.Add(1)
		return reasonMaxConns
	}
	if l.perClient != nil {
		n := l.perClient[client]
		if n >= l.maxPerClient {
			l.refusedPerClient.Add(1)
			return reasonMaxConnsPerClient
		}
		l.perClient[client] = n + 1
	}
	l.open++
	if c != nil {
		l.hooked[c] = client
	}
	return ""
}

// release frees a slot taken for client. l.mu must be held.
func (l *ConnLimiter) releaseLocked(client netip.Prefix) {
	l.open--
	if l.perClient != nil {
		if n := l.perClient[client] - 1; n > 0 {
			l.perClient[client] = n
		} else {
			delete(l.perClient, client)
		}
	}
}

func (l *ConnLimiter) release(client netip.Prefix) {
	l.mu.Lock()
	l.releaseLocked(client)
	l.mu.Unlock()
}

// refuse closes a connection over a bound and logs it, rate-limited.
func (l *ConnLimiter) refuse(c net.Conn, client netip.Prefix, reason string) {
	c.Close()
	ok, suppressed := l.gate.allow(time.Now())
	if !ok {
		return
	}
	limit := l.maxConns
	if reason == reasonMaxConnsPerClient {
		limit = l.maxPerClient
	}
	who := clientip.UnknownKey
	if client.IsValid() {
		who = client.String()
	}
	attrs := []slog.Attr{slog.String("reason", reason), slog.String("client", who), slog.Int("limit", limit)}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "tlsconfig: connection refused", attrs...)
}

// Listener wraps inner so that Accept returns only connections within the
// bounds: one over a bound is closed at once and Accept waits for the
// next. Closing a returned connection frees its slot, whether the server
// closes it or a handler that hijacked it does. Close the listener as
// usual; the ConnLimiter needs no closing.
func (l *ConnLimiter) Listener(inner net.Listener) net.Listener {
	return &limitListener{Listener: inner, l: l}
}

type limitListener struct {
	net.Listener
	l *ConnLimiter
}

// Accept returns the next connection within the bounds.
func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := clientOf(c)
		if reason := ll.l.acquire(client, nil); reason != "" {
			ll.l.refuse(c, client, reason)
			continue
		}
		return &limitedConn{Conn: c, l: ll.l, client: client}, nil
	}
}

// limitedConn frees its slot once, on the first Close.
type limitedConn struct {
	net.Conn
	l      *ConnLimiter
	client netip.Prefix
	closed atomic.Bool
}

// Close closes the connection and frees its slot.
func (c *limitedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c.client)
	}
	return c.Conn.Close()
}

// ReadFrom keeps net/http's sendfile path for plain-HTTP responses, which
// looks for io.ReaderFrom on the connection.
func (c *limitedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite half-closes the connection if the underlying one can, as
// net/http does before closing a plain-HTTP connection after an error.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// ConnState is an http.Server ConnState hook that enforces the bounds: a
// new connection over a bound is closed at once, before its TLS handshake
// or first read; a connection frees its slot when it is closed or
// hijacked (a hijacked connection is its handler's to bound from then on).
// [NewHTTPServer] installs it; to observe connection states yourself as
// well, wrap the hook it set rather than replace it. Connections that a
// [ConnLimiter.Listener] of the same limiter already admitted are not
// counted twice.
//
// A refused TLS connection still reaches net/http's connection goroutine,
// which logs its failed handshake to the server's ErrorLog ("use of closed
// network connection"); a [ConnLimiter.Listener] refuses before net/http
// sees the connection at all.
func (l *ConnLimiter) ConnState(c net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		if l.admittedByListener(c) {
			return
		}
		client := clientOf(c)
		if reason := l.acquire(client, c); reason != "" {
			l.refuse(c, client, reason)
		}
	case http.StateHijacked, http.StateClosed:
		l.mu.Lock()
		if client, ok := l.hooked[c]; ok {
			delete(l.hooked, c)
			l.releaseLocked(client)
		}
		l.mu.Unlock()
	}
}

// admittedByListener reports whether c, or the connection under a
// *tls.Conn c, came from one of l's listeners.
func (l *ConnLimiter) admittedByListener(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	lc, ok := c.(*limitedConn)
	return ok && lc.l == l
}
