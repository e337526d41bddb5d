package tlsconfig

import (
	"bytes"
	"context"
	"crypto/tls"
	"log"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Defaults of [HTTPServerConfig].
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultErrorLogBurst     = 10
	DefaultErrorLogEvery     = time.Second
)

// HTTPServerConfig configures [NewHTTPServer]. Durations and sizes that are
// zero take the documented default; a negative duration means no limit,
// which only a streaming endpoint should ask for (WriteTimeout) and
// which is refused for ReadHeaderTimeout, the guard against slowloris.
type HTTPServerConfig struct {
	// Addr is the listen address, as http.Server.Addr. Empty means ":https"
	// with TLSConfig and ":http" without, as net/http does.
	Addr string
	// Handler serves requests. Required.
	Handler http.Handler
	// TLSConfig is the server's TLS configuration, normally from [Server].
	// Nil means plain HTTP.
	TLSConfig *tls.Config

	// ReadHeaderTimeout bounds reading the request headers. Zero means
	// DefaultReadHeaderTimeout (5s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included. Zero
	// means DefaultReadTimeout (30s).
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the request headers to
	// the end of the response. Zero means DefaultWriteTimeout (30s).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for the
	// next request. Zero means DefaultIdleTimeout (30s): an idle connection
	// holds a connection slot and about 30 KiB, and a client that needs it
	// again within 30 s is a busy one. Behind a load balancer that reuses
	// connections to the server, set it above the balancer's own idle
	// timeout (60 s on AWS ALB, 600 s on Google Cloud), or the balancer may
	// send a request on a connection the server is closing and answer 502.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers. Zero means
	// DefaultMaxHeaderBytes (64 KiB, a sixteenth of net/http's 1 MiB).
	MaxHeaderBytes int

	// MaxConns and MaxConnsPerClient bound the connections the server
	// holds open, overall and per client network (IPv4 address or IPv6
	// /64 of the TCP peer), as [ConnLimitConfig] documents: a connection
	// over a bound is closed at once and logged through Logger,
	// rate-limited. Zero means DefaultMaxConns (10000) and
	// DefaultMaxConnsPerClient (256); negative means no bound. Behind a
	// load balancer every connection comes from the balancer's few
	// addresses: raise MaxConnsPerClient or set it negative there.
	MaxConns          int
	MaxConnsPerClient int
	// ConnLimiter, if set, bounds the server's connections instead of one
	// built from MaxConns and MaxConnsPerClient, which must then be zero:
	// for bounds shared by several servers, or to read its Stats.
	ConnLimiter *ConnLimiter

	// Logger receives the server's own error log (TLS handshake failures,
	// panics in handlers, accept errors) as Warn records with the message
	// "http: server error". Nil means slog.Default().
	Logger *slog.Logger
	// ErrorLogBurst and ErrorLogEvery rate-limit that log: at most
	// ErrorLogBurst lines pass at once, then one more per ErrorLogEvery;
	// the rest are counted and the count is reported on the next line that
	// passes, as "suppressed". Scanners and bots otherwise flood the log
	// with handshake errors. Zero means DefaultErrorLogBurst (10) and
	// DefaultErrorLogEvery (1s).
	ErrorLogBurst int
	ErrorLogEvery time.Duration
}

// NewHTTPServer returns an http.Server with timeouts, header limits and
// connection bounds set, and its ErrorLog routed to slog through a rate
// limiter. With a TLSConfig, start it with ListenAndServeTLS("", "") or
// ServeTLS(l, "", ""); without, with ListenAndServe or Serve. The
// connection bounds are enforced by the server's ConnState hook (see
// [ConnLimiter.ConnState]), so they hold however it is started; do not
// replace that hook. Errors wrap [ErrInvalidConfig].
func NewHTTPServer(cfg HTTPServerConfig) (*http.Server, error) {
	if cfg.Handler == nil {
		return nil, invalid("HTTPServerConfig.Handler is nil")
	}
	if cfg.ReadHeaderTimeout < 0 {
		return nil, invalid("ReadHeaderTimeout must not be negative: it guards against slowloris")
	}
	if cfg.MaxHeaderBytes < 0 || cfg.ErrorLogBurst < 0 || cfg.ErrorLogEvery < 0 {
		return nil, invalid("MaxHeaderBytes, ErrorLogBurst and ErrorLogEvery must not be negative")
	}
	dur := func(d, def time.Duration) time.Duration {
		switch {
		case d == 0:
			return def
		case d < 0:
			return 0 // http.Server's "no limit"
		}
		return d
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	burst := cfg.ErrorLogBurst
	if burst == 0 {
		burst = DefaultErrorLogBurst
	}
	every := cfg.ErrorLogEvery
	if every == 0 {
		every = DefaultErrorLogEvery
	}
	maxHeader := cfg.MaxHeaderBytes
	if maxHeader == 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	conns := cfg.ConnLimiter
	switch {
	case conns != nil && (cfg.MaxConns != 0 || cfg.MaxConnsPerClient != 0):
		return nil, invalid("set ConnLimiter or MaxConns and MaxConnsPerClient, not both")
	case conns == nil:
		var err error
		conns, err = NewConnLimiter(ConnLimitConfig{
			MaxConns: cfg.MaxConns, MaxConnsPerClient: cfg.MaxConnsPerClient,
			Logger: logger, LogBurst: burst, LogEvery: every,
		})
		if err != nil {
			return nil, err
		}
	}
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           cfg.Handler,
		TLSConfig:         cfg.TLSConfig,
		ReadHeaderTimeout: dur(cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       dur(cfg.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      dur(cfg.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       dur(cfg.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          log.New(newLimitedWriter(logger, burst, every), "", 0),
		ConnState:         conns.ConnState,
	}, nil
}

// logGate is a token bucket for log records: at most burst pass at once,
// then one per every; the rest are counted and the count handed to the
// next record that passes. Time comes from the caller (time.Now), so tests
// drive it with testing/synctest.
type logGate struct {
	burst float64
	every time.Duration

	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
}

func newLogGate(burst int, every time.Duration) *logGate {
	return &logGate{burst: float64(burst), every: every, tokens: float64(burst), last: time.Now()}
}

// allow reports whether a record may pass at now and, if so, how many were
// suppressed since the last one that did.
func (g *logGate) allow(now time.Time) (ok bool, suppressed int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens += float64(now.Sub(g.last)) / float64(g.every)
	if g.tokens > g.burst {
		g.tokens = g.burst
	}
	g.last = now
	if g.tokens < 1 {
		g.suppressed++
		return false, 0
	}
	g.tokens--
	suppressed, g.suppressed = g.suppressed, 0
	return true, suppressed
}

// limitedWriter turns log.Logger lines into slog records through a logGate.
type limitedWriter struct {
	log  *slog.Logger
	gate *logGate
}

func newLimitedWriter(l *slog.Logger, burst int, every time.Duration) *limitedWriter {
	return &limitedWriter{log: l, gate: newLogGate(burst, every)}
}

// maxErrorLine bounds what one record carries: handshake errors can quote
// attacker-chosen bytes.
const maxErrorLine = 1024

func (w *limitedWriter) Write(p []byte) (int, error) {
	ok, suppressed := w.gate.allow(time.Now())
	if !ok {
		return len(p), nil
	}
	line := bytes.TrimRight(p, "\n")
	if len(line) > maxErrorLine {
		line = line[:maxErrorLine]
	}
	attrs := []slog.Attr{slog.String("error", string(line))}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	w.log.LogAttrs(context.Background(), slog.LevelWarn, "http: server error", attrs...)
	return len(p), nil
}
