package errors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/apishield/apishield/internal/clientip"
	"github.com/apishield/apishield/internal/record"
)

// ErrInvalidConfig is wrapped by every error [NewResponder] returns.
var ErrInvalidConfig = errors.New("errors: invalid config")

// DefaultTypePrefix is prepended to a reason to form the problem's type URI.
// It is a tag URI (RFC 4151): a stable identifier that does not resolve, as
// RFC 9457 §3.1.1 allows.
const DefaultTypePrefix = "tag:apishield,2026:"

// Config configures a [Responder]. The zero Config is valid.
type Config struct {
	// TypePrefix is prepended to the reason to form the type URI, so a team
	// can point "type" at its own documentation, e.g.
	// "https://api.example.com/problems/". If empty, DefaultTypePrefix.
	TypePrefix string
	// Renderer encodes problems. If nil, ProblemJSON.
	Renderer Renderer
	// Logger receives the private side of errors: the cause of every 5xx
	// with the request ID, panics with their stacks, and (at debug level) the
	// causes of 4xx problems. If nil, slog.Default() at the time of logging:
	// a 500's cause must never vanish. To discard, pass
	// slog.New(slog.DiscardHandler).
	Logger *slog.Logger
	// TrustedProxies are the networks of the proxies whose X-Request-ID is
	// kept as the request ID: a request whose socket peer is inside one of
	// them keeps an acceptable incoming ID (1 to 64 characters of
	// [A-Za-z0-9._-]). List only proxies that set X-Request-ID themselves,
	// overwriting any the client sent; a proxy that passes the client's
	// header through hands the choice of ID back to the client. If empty,
	// every request gets a new ID, and an acceptable incoming one is only
	// recorded, for audit to log as the client's request ID. Use the same
	// prefixes as audit's and ratelimit's trusted proxies when those
	// proxies also set X-Request-ID.
	TrustedProxies []netip.Prefix
}

// A Responder writes problems to clients and their causes to the log.
// A Responder is safe for concurrent use.
type Responder struct {
	typePrefix string
	renderer   Renderer
	logger     *slog.Logger
	proxies    *clientip.Resolver      // whose X-Request-ID is kept
	known      map[string]*knownReason // each registered reason, rendered once
}

// knownReason is a registered reason as the Responder renders it, made
// once so that a problem with it costs no concatenation or escaping of
// its constant members.
type knownReason struct {
	status int
	typ    string // the type URI
	title  string
	head   []byte // ProblemJSON's {"type":…,"title":…,"status":…
	reason []byte // ProblemJSON's ,"reason":…
}

// NewResponder returns a responder for cfg.
func NewResponder(cfg Config) (*Responder, error) {
	rs := &Responder{typePrefix: cfg.TypePrefix, renderer: cfg.Renderer, logger: cfg.Logger}
	if rs.typePrefix == "" {
		rs.typePrefix = DefaultTypePrefix
	}
	if strings.ContainsFunc(rs.typePrefix, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' }) {
		return nil, fmt.Errorf("%w: TypePrefix %q contains spaces, quotes or control characters", ErrInvalidConfig, rs.typePrefix)
	}
	if rs.renderer == nil {
		rs.renderer = ProblemJSON
	}
	rs.known = make(map[string]*knownReason, len(registry))
	for _, ri := range registry {
		k := &knownReason{status: ri.Status, typ: rs.typePrefix + ri.Reason, title: ri.Title}
		k.head = problemHead(nil, k.typ, k.title, k.status)
		k.reason = appendMember(nil, "reason", ri.Reason)
		rs.known[ri.Reason] = k
	}
	if len(cfg.TrustedProxies) > 0 {
		proxies, err := clientip.New(clientip.Config{TrustedProxies: cfg.TrustedProxies})
		if err != nil {
			return nil, fmt.Errorf("%w: TrustedProxies: %v", ErrInvalidConfig, err)
		}
		rs.proxies = proxies
	}
	return rs, nil
}

var defaultResponder, _ = NewResponder(Config{})

func (rs *Responder) log() *slog.Logger {
	if rs.logger != nil {
		return rs.logger
	}
	return slog.Default()
}

// Handler is the outermost apishield middleware. It installs the request
// record, which gives every request an ID and an X-Request-ID response header
// (an incoming X-Request-ID is the ID only from Config.TrustedProxies), makes
// rs the responder that [Write] uses for the request, and recovers panics:
//
//   - a panic before the response started becomes a 500 problem, and its
//     value and stack go to the log only;
//   - a panic after the response started cannot be turned into a problem, so
//     the connection is aborted (by re-panicking http.ErrAbortHandler) rather
//     than leaving a truncated body that looks complete;
//   - http.ErrAbortHandler itself is re-panicked untouched, as net/http expects.
func (rs *Responder) Handler(next http.Handler) http.Handler {
	return record.Handler(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.EnterResponder(w, r, rs.trustsID(r), rs)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http compares the sentinel by identity
				panic(v)
			}
			_, _, started := rec.Status()
			// The logger, which may read the context, gets the record's.
			// Not Attach: the copy it makes would become the request
			// served on (record.Served), hiding the one the handler's
			// ServeMux set its pattern on from an auditor around rs.
			rs.log().LogAttrs(logContext(r, rec), slog.LevelError, "apishield: panic serving request",
				slog.String("request_id", rec.ID()),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Any("panic", v),
				slog.Bool("response_started", started),
				slog.String("stack", string(debug.Stack())))
			if started {
				panic(http.ErrAbortHandler)
			}
			rs.write(w, r, rec, &Problem{Status: http.StatusInternalServerError, Reason: ReasonInternal}, false)
		}()
		next.ServeHTTP(w, rec.RequestFor(next, w, r))
	})
}

// trustsID reports whether r's X-Request-ID, if any, was set by one of the
// trusted proxies: whether its socket peer is one of them.
func (rs *Responder) trustsID(r *http.Request) bool {
	return rs.proxies != nil && len(r.Header["X-Request-Id"]) > 0 && rs.proxies.TrustsPeer(r.RemoteAddr)
}

// Recover is the default responder's Handler: the outermost middleware of a
// stack that needs no custom type prefix, renderer or logger.
func Recover(next http.Handler) http.Handler { return defaultResponder.Handler(next) }

// Write sends err to the client as a problem, using the responder installed
// for the request by [Responder.Handler] or [Recover], or the defaults.
//
// A *Problem anywhere in err's chain is sent as is. An *http.MaxBytesError
// becomes 413 payload_too_large. Any other error becomes a generic 500 whose
// body never contains the error's text; the error goes to the log with the
// request ID, which the body carries so the two can be joined.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	rs := defaultResponder
	rec := record.Of(w, r)
	if rec != nil {
		if v, ok := rec.ErrorWriter().(*Responder); ok {
			rs = v
		}
	}
	rs.write(w, r, rec, asProblem(err), true)
}

// Write sends err to the client as a problem rendered by rs; see [Write].
func (rs *Responder) Write(w http.ResponseWriter, r *http.Request, err error) {
	rs.write(w, r, record.Of(w, r), asProblem(err), true)
}

func asProblem(err error) *Problem {
	// The usual case, a *Problem itself, without errors.As, which would
	// move its target to the heap.
	if p, ok := err.(*Problem); ok {
		return p
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Problem{Status: http.StatusRequestEntityTooLarge, Reason: ReasonPayloadTooLarge,
			Detail: "The request body is larger than allowed.", cause: err}
	}
	if err == nil {
		err = errors.New("errors.Write called with a nil error")
	}
	return &Problem{Status: http.StatusInternalServerError, Reason: ReasonInternal, cause: err}
}

// shared, never-modified header values: assigning them costs no allocation.
// Their capacity equals their length, so a later Header.Add copies.
var (
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
	hdrProblem = []string{contentTypeProblem}
	hdrJSON    = []string{contentTypeJSON}
)

type buffer struct {
	b   []byte
	env Envelope
}

var bufPool = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, 512)} }}

func (rs *Responder) write(w http.ResponseWriter, r *http.Request, rec *record.Record, p *Problem, logCause bool) {
	status := p.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	var id string
	if rec != nil {
		id = rec.ID()
		if rec.SetProblemUnlessStarted(record.Problem{Status: status, Reason: p.Reason}) {
			rs.log().LogAttrs(logContext(r, rec), slog.LevelError, "apishield: problem after the response started; not sent",
				slog.String("request_id", id), slog.String("error", p.Error()))
			return
		}
	} else {
		// No record (no Handler in front): the same rule as Handler's.
		id = record.NewID()
		if in, ok := record.IncomingID(r); ok && rs.trustsID(r) {
			id = in
		}
		w.Header()["X-Request-Id"] = []string{id}
	}
	if logCause {
		switch {
		case status >= 500:
			rs.log().LogAttrs(logContext(r, rec), slog.LevelError, "apishield: server error",
				slog.String("request_id", id), slog.Int("status", status),
				slog.String("reason", p.Reason), slog.String("error", p.Error()))
		case p.cause != nil && rs.log().Enabled(logContext(r, rec), slog.LevelDebug): // p.Error() costs
			rs.log().LogAttrs(logContext(r, rec), slog.LevelDebug, "apishield: client error",
				slog.String("request_id", id), slog.Int("status", status),
				slog.String("reason", p.Reason), slog.String("error", p.Error()))
		}
	}

	k := rs.known[p.Reason]
	buf := bufPool.Get().(*buffer)
	e := &buf.env
	*e = Envelope{
		Status:    status,
		Instance:  r.URL.EscapedPath(),
		Reason:    p.Reason,
		RequestID: id,
	}
	if k != nil && k.status == status {
		e.Title = k.title
	} else {
		e.Title = title(p.Reason, status)
	}
	switch {
	case p.Type != "":
		e.Type = p.Type
	case k != nil:
		e.Type = k.typ
	case p.Reason != "":
		e.Type = rs.typePrefix + p.Reason
	default:
		e.Type = "about:blank"
	}
	if status < 500 {
		e.Detail = p.Detail
		e.Errors = p.Errors
		e.Extensions = p.Extensions
	}
	var body []byte
	var ctype string
	if rs.renderer == ProblemJSON && k != nil && e.Type == k.typ && e.Title == k.title && status == k.status {
		body, ctype = renderKnown(buf.b[:0], e, k), negotiate(r)
	} else {
		if rec != nil && rs.renderer != ProblemJSON && record.From(r.Context()) != rec {
			// An application's renderer is given the request, with the
			// record: a copy made here, not with Attach, which would take
			// it for the request served on (see the panic path above).
			r = r.WithContext(rec.ContextOf(r))
		}
		body, ctype = rs.renderer.Render(buf.b[:0], r, e)
	}

	h := w.Header()
	for k, v := range p.Header {
		h[k] = v
	}
	// Whatever the handler meant to send is void. One pass over the few
	// fields a header has costs less than four lookups.
	for k := range h {
		switch k {
		case "Content-Length", "Content-Encoding", "Etag", "Last-Modified":
			delete(h, k)
		}
	}
	switch ctype {
	case contentTypeProblem:
		h["Content-Type"] = hdrProblem
	case contentTypeJSON:
		h["Content-Type"] = hdrJSON
	default:
		h.Set("Content-Type", ctype)
	}
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}

	*e = Envelope{}
	if cap(body) <= 64<<10 { // do not keep huge buffers alive
		buf.b = body[:0]
		bufPool.Put(buf)
	}
}

// logContext is the context to log r's problem with: r's, with the
// record in it, for the application's log handler.
func logContext(r *http.Request, rec *record.Record) context.Context {
	if rec == nil {
		return r.Context()
	}
	return rec.ContextOf(r)
}

// LogValue keeps a Responder's internals out of logs.
func (rs *Responder) LogValue() slog.Value { return slog.StringValue("errors.Responder") }
