package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"expvar"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slogmulti "github.com/samber/slog-multi"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/clientip"
)

// ErrInvalidConfig is wrapped by every error [New] returns.
var ErrInvalidConfig = errors.New("audit: invalid config")

// ErrInvalidEvent is wrapped by the error [Auditor.Log] returns for an event
// it refuses, such as one without a valid action.
var ErrInvalidEvent = errors.New("audit: invalid event")

// Defaults for zero Config fields, and the fixed limits of two fields.
const (
	DefaultQueueSize     = 4096 // events waiting for the writer
	DefaultMaxValueBytes = 1024 // any logged string
	DefaultMaxUserAgent  = 256  // user_agent.original
	DefaultMaxPath       = 2048 // url.path
)

// Schema selects the field names of the events.
type Schema int

const (
	// ECS is the Elastic Common Schema (8.x): @timestamp, event.action,
	// event.outcome, source.ip, user.id, http.request.method, url.path, ….
	// Elastic, OpenSearch and most SIEMs ingest it without a parser.
	ECS Schema = iota
	// OCSF is the Open Cybersecurity Schema Framework 1.3.0, for Amazon
	// Security Lake and other OCSF consumers: requests are API Activity
	// (class_uid 6003), application events outside a request Base Event
	// (0), brute-force alerts Detection Finding (2004).
	OCSF
)

// Config configures an [Auditor]. Only Handlers is required. A Config must
// not be modified while New runs; New copies what it keeps.
type Config struct {
	// Handlers are the sinks. Every event goes to every handler (fan-out
	// through slog-multi); a handler's error is counted in Stats and
	// passed to OnError, and does not stop the others. Required: an
	// auditor that logs nowhere is a configuration mistake.
	// [NewJSONHandler] writes ECS-ready JSON lines.
	Handlers []slog.Handler

	// Schema selects the field names. If zero, ECS.
	Schema Schema

	// Blocking makes the request path wait for room in the queue when the
	// sinks fall behind, so no event is ever lost (backpressure); a sink
	// that stops altogether then stalls requests, which is the price of
	// losing nothing. A request's event waits even if its client has
	// gone, so hanging up cannot keep a request out of the log. If false
	// (the default) the request path never waits: an event that finds the
	// queue full is dropped, counted in Stats().Dropped and passed to
	// OnDrop.
	Blocking bool

	// QueueSize bounds the events waiting for the background writer.
	// If zero, DefaultQueueSize.
	QueueSize int

	// OnDrop, if set, is called on the request's goroutine each time an
	// event is dropped, with the total dropped so far. It must not block.
	OnDrop func(dropped uint64)

	// MeterProvider receives the auditor's metrics (see the package
	// documentation, Monitoring). If nil, the global provider of
	// go.opentelemetry.io/otel when New runs, which does nothing until the
	// application installs an SDK.
	MeterProvider metric.MeterProvider

	// OnError, if set, is called on the writer's goroutine with each sink
	// error (errors are also counted in Stats().SinkErrors). slog.Logger
	// discards handler errors, which is why the auditor calls the handlers
	// itself.
	OnError func(error)

	// TrustedProxies are the networks whose forwarding header is believed
	// when the auditor resolves the client IP itself; a request whose
	// record already carries a client IP (set by ratelimit, with the same
	// resolver) keeps it. If empty, nobody is trusted and the client IP is
	// the socket peer.
	TrustedProxies []netip.Prefix
	// ForwardedHeader is the one header the trusted proxies set:
	// "X-Forwarded-For" or "Forwarded", walked right to left, or a
	// single-address header set by the edge: "X-Real-IP",
	// "CF-Connecting-IP", "True-Client-IP" or "Fastly-Client-IP", believed
	// only as one line holding one bare address. If empty,
	// X-Forwarded-For. Setting it without TrustedProxies is an error: the
	// header would never be believed. Use the same value as ratelimit's
	// IPConfig.Header and ipfilter's Header.
	ForwardedHeader string

	// LogQueryValues logs query parameter values. If false (the default)
	// only the parameter names are logged and every value is replaced by
	// "[REDACTED]". Even when true, values of deny-listed names are
	// redacted and tokens are masked.
	LogQueryValues bool

	// Redact adds names to the deny-list of headers, query parameters and
	// event fields whose values are never logged. Matching ignores case,
	// "-" and "_", and a name matches any key that contains it. The
	// built-in list (always on) is in [DefaultRedact].
	Redact []string

	// SecretPrefixes are prefixes of your own API keys or tokens, such as
	// "ak_live_". A word starting with one is masked wherever it appears.
	// Without configuration the auditor masks JWTs, credentials after an
	// HTTP auth scheme ("Bearer …"), key=value pairs with a deny-listed
	// key, long high-entropy words, PEM private keys, and well-known
	// vendor tokens (Slack, GitHub, GitLab, Stripe, AWS access key IDs,
	// Google API keys, npm, OpenAI-style sk-, Twilio, SendGrid): see the
	// package documentation's # Security.
	SecretPrefixes []string

	// Headers are extra request headers to log (under
	// apishield.headers). A header on the deny-list is a config error:
	// Authorization, Cookie and friends are never logged.
	Headers []string

	// MaxValueBytes truncates every logged string value. If zero,
	// DefaultMaxValueBytes. Some fields have their own, tighter limit
	// that applies when it is smaller: the user agent DefaultMaxUserAgent,
	// the path DefaultMaxPath, principal fields 256 bytes.
	MaxValueBytes int

	// AdminPaths are URL path prefixes (such as "/admin/") whose
	// successful requests are logged as authz_admin, the OWASP event for
	// privileged activity. If empty, none.
	AdminPaths []string

	// ChainKey enables tamper evidence: every event carries a chain ID, a
	// sequence number, the previous event's HMAC (prev_hash) and its own
	// HMAC-SHA256 under this key over its content and prev_hash. [Verify]
	// detects an edited, removed or reordered line. If nil, no chain. At
	// least 32 bytes; keep it out of the log's reach.
	ChainKey []byte

	// BruteForce configures the detection of repeated authentication
	// failures. The zero value enables it with its defaults.
	BruteForce BruteForce

	// Repeats configures the summary of repeated refusals without a
	// credential or over a rate limit, so that a flood of them costs a
	// counter per request instead of an event. The zero value enables it
	// with its defaults.
	Repeats Repeats

	// ExpvarName, if set, publishes Stats under this name through expvar
	// (GET /debug/vars when expvar's handler is served). expvar names are
	// process-global and cannot be unpublished: a name in use is a config
	// error.
	ExpvarName string
}

// An Auditor turns each request, and each application event, into one
// security event written to its handlers. An Auditor is safe for concurrent
// use.
type Auditor struct {
	sink       slog.Handler
	nsinks     int
	schema     Schema
	blocking   bool
	onDrop     func(uint64)
	onError    func(error)
	resolver   *clientip.Resolver
	queryVals  bool
	redact     []string
	prefixes   []string
	headers    []string
	maxValue   int
	adminPaths []string

	queue chan *entry
	// mu is held for reading by every enqueue and for writing by Close, so
	// no event can slip into the queue after the writer's last drain.
	mu     sync.RWMutex
	closed bool
	stop   chan struct{}
	done   chan struct{}
	kick   chan struct{} // wakes the writer early when the queue fills

	// wmu serializes the writer's state (chain, monitor, buffers) between
	// the background writer and the synchronous writes after Close.
	wmu sync.Mutex
	w   writerState

	stats   counters
	metrics auditMetrics
	repeats repeats
}

// New returns an auditor for cfg and starts its background writer; call
// [Auditor.Close] on shutdown to flush it. Errors wrap [ErrInvalidConfig].
func New(cfg Config) (*Auditor, error) {
	bad := func(format string, args ...any) (*Auditor, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if len(cfg.Handlers) == 0 {
		return bad("no Handlers: an auditor must log somewhere")
	}
	for i, h := range cfg.Handlers {
		if h == nil {
			return bad("Handlers[%d] is nil", i)
		}
	}
	if cfg.Schema != ECS && cfg.Schema != OCSF {
		return bad("unknown Schema %d", cfg.Schema)
	}
	if cfg.QueueSize < 0 || cfg.MaxValueBytes < 0 {
		return bad("QueueSize and MaxValueBytes must not be negative")
	}
	if cfg.ChainKey != nil && len(cfg.ChainKey) < 32 {
		return bad("ChainKey has %d bytes, want at least 32", len(cfg.ChainKey))
	}
	bf, err := cfg.BruteForce.withDefaults()
	if err != nil {
		return bad("%v", err)
	}
	rp, err := cfg.Repeats.withDefaults()
	if err != nil {
		return bad("%v", err)
	}
	resolver, err := newResolver(cfg.TrustedProxies, cfg.ForwardedHeader)
	if err != nil {
		return bad("%v", err)
	}
	a := &Auditor{
		sink:       slogmulti.Fanout(cfg.Handlers...),
		nsinks:     len(cfg.Handlers),
		schema:     cfg.Schema,
		blocking:   cfg.Blocking,
		onDrop:     cfg.OnDrop,
		onError:    cfg.OnError,
		resolver:   resolver,
		queryVals:  cfg.LogQueryValues,
		maxValue:   cfg.MaxValueBytes,
		adminPaths: append([]string(nil), cfg.AdminPaths...),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		kick:       make(chan struct{}, 1),
	}
	if a.maxValue == 0 {
		a.maxValue = DefaultMaxValueBytes
	}
	for _, n := range append(append([]string(nil), DefaultRedact...), cfg.Redact...) {
		if n = normalizeName(n); n == "" {
			return bad("empty name in Redact")
		}
		a.redact = append(a.redact, n)
	}
	for _, p := range cfg.SecretPrefixes {
		if len(p) < 3 || strings.ContainsFunc(p, func(r rune) bool { return !isTokenChar(r) }) {
			return bad("SecretPrefixes entry %q: want at least 3 characters of [A-Za-z0-9_.~+/=-]", p)
		}
		a.prefixes = append(a.prefixes, p)
	}
	for _, h := range cfg.Headers {
		if h == "" || strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ':' }) {
			return bad("Headers entry %q is not a header name", h)
		}
		if a.denied(h) {
			return bad("header %q is on the deny-list and is never logged", h)
		}
		a.headers = append(a.headers, http.CanonicalHeaderKey(h))
	}
	for _, p := range a.adminPaths {
		if !strings.HasPrefix(p, "/") {
			return bad("AdminPaths entry %q does not start with /", p)
		}
	}
	size := cfg.QueueSize
	if size == 0 {
		size = DefaultQueueSize
	}
	a.queue = make(chan *entry, size)
	a.w.init(a, cfg.ChainKey, bf, cfg.Handlers)
	a.repeats.init(rp)
	a.metrics = newAuditMetrics(cfg.MeterProvider, a)
	if cfg.ChainKey != nil {
		var id [8]byte
		rand.Read(id[:])
		a.w.chainID = hex.EncodeToString(id[:])
	}
	if cfg.ExpvarName != "" {
		if expvar.Get(cfg.ExpvarName) != nil {
			return bad("expvar name %q is already published", cfg.ExpvarName)
		}
		expvar.Publish(cfg.ExpvarName, expvar.Func(func() any { return a.Stats() }))
	}
	go a.run()
	return a, nil
}

// MustNew is New for start-up code: it panics on an invalid config. Call [Auditor.Close] on shutdown as with New.
func MustNew(cfg Config) *Auditor {
	v, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return v
}

// enqueue hands e to the writer: without waiting in async mode (dropping e
// if the queue is full), with backpressure in blocking mode. After Close
// the event is written synchronously, so shutdown loses nothing. ctx only
// bounds the wait of a blocking Log; a request's own event waits regardless
// of its client, who must not be able to escape the log by hanging up.
func (a *Auditor) enqueue(ctx context.Context, e *entry) error {
	a.mu.RLock()
	if a.closed {
		a.mu.RUnlock()
		a.wmu.Lock()
		a.write(e)
		a.wmu.Unlock()
		return nil
	}
	select {
	case a.queue <- e:
		a.mu.RUnlock()
		if len(a.queue) >= cap(a.queue)/4 {
			a.wake()
		}
		return nil
	default:
	}
	if !a.blocking {
		a.mu.RUnlock()
		putEntry(e)
		n := a.stats.dropped.Add(1)
		if a.onDrop != nil {
			a.onDrop(n)
		}
		return nil
	}
	a.wake()
	select {
	case a.queue <- e:
		a.mu.RUnlock()
		return nil
	case <-ctx.Done():
		a.mu.RUnlock()
		putEntry(e)
		return ctx.Err()
	}
}

// wake tells the writer not to wait for its next tick.
func (a *Auditor) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// writerInterval is how long queued events may wait for the writer. The
// writer drains the queue on a tick (or earlier when a quarter of the queue
// is used) instead of parking on it, so a request's send into the queue
// never has to wake a goroutine: that wake-up, a futex call, would cost the
// request path more than everything else the auditor does there.
const writerInterval = 2 * time.Millisecond

// run is the background writer.
func (a *Auditor) run() {
	defer close(a.done)
	tick := time.NewTicker(writerInterval)
	defer tick.Stop()
	for {
		stopping := false
		select {
		case <-tick.C:
		case <-a.kick:
		case <-a.stop:
			stopping = true
		}
		for drained := false; !drained; {
			select {
			case e := <-a.queue:
				a.wmu.Lock()
				a.write(e)
				a.wmu.Unlock()
			default:
				drained = true
			}
		}
		// The summaries of repeated refusals whose window ended; when
		// stopping, all of them, after every request counted into them.
		a.wmu.Lock()
		a.writeRepeats(time.Now(), stopping)
		a.wmu.Unlock()
		if stopping {
			return
		}
	}
}

// Close flushes every queued event to the handlers and stops the
// background writer (which, until then, wakes every 2ms to drain the
// queue). It returns ctx's error if ctx ends first (the writer
// then finishes the flush on its own). Events that arrive after Close are
// written synchronously. Close is idempotent.
func (a *Auditor) Close(ctx context.Context) error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.stop)
	}
	a.mu.Unlock()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// counter is an atomic counter, named for readability.
type counter = atomic.Uint64
