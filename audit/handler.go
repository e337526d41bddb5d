package audit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/internal/record"
)

// entry is what the request path hands to the writer: raw values copied out
// of the request and its record, without encoding, so the request pays for
// a few field copies and a channel send. Entries are pooled.
type entry struct {
	app bool // an application event from Log, not a request

	start, end time.Time
	id         string
	clientID   string // the client's X-Request-ID, when it is not id

	method, path, rawPath, rawQuery string
	route                           string
	routeNeedsMethod                bool // a chi pattern, which lacks the method
	userAgent                       string
	headers                         []string // name, value pairs of Config.Headers
	remoteAddr                      string   // for the writer to resolve the client IP
	fwd                             []string // the forwarding header's values
	bytesIn, bytesOut               int64
	status                          int
	clientIP                        netip.Addr
	fieldErrors                     []record.FieldError
	admin                           bool

	action  string
	outcome Outcome
	reason  string

	event *Event // for app events only (nil for an alert): a request's entry stays small

	// set by the monitor for its own events
	count      int
	window     time.Duration
	repeats    int    // a summary of this many repeated refusals (repeat.go)
	findingUID string // an OCSF alert's finding_info.uid, made once per alert

	// snap is the record, read under one lock: principal, decisions,
	// rate limit and problem are used from it directly (the entry crosses
	// to the writer's CPU, so every byte copied twice costs).
	snap record.Snapshot
}

// alert reports whether e is an alert the monitor raised: an event of the
// auditor's own, not an application's.
func (e *entry) alert() bool { return e.app && e.event == nil }

var entryPool = sync.Pool{New: func() any {
	return &entry{snap: record.Snapshot{Decisions: make([]record.Decision, 0, 8)}}
}}

func getEntry() *entry { return entryPool.Get().(*entry) }

func putEntry(e *entry) {
	if cap(e.snap.Decisions) > 64 || cap(e.headers) > 64 {
		return // do not keep unusually large buffers alive
	}
	*e = entry{snap: record.Snapshot{Decisions: e.snap.Decisions[:0]}, headers: e.headers[:0]}
	entryPool.Put(e)
}

// countingBody counts request body bytes when the length is not known in
// advance (chunked uploads).
type countingBody struct {
	io.ReadCloser
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

// Handler returns middleware that writes one event per request when the
// request completes, from the request record that auth, authz, ratelimit,
// validate and errors fill in. Place it right inside errors.Recover (or a
// Responder's Handler) so it sees every denial; it installs the record
// itself when used alone.
//
// Encoding and writing happen on the background writer: the request path
// copies a few fields and sends them to a queue.
func (a *Auditor) Handler(next http.Handler) http.Handler {
	return record.Handler(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Enter(w, r)
		var cb *countingBody
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			r = r.WithContext(rec.ContextOf(r)) // a copy of our own, whose body it may replace
			cb = &countingBody{ReadCloser: r.Body}
			r.Body = cb
		}
		// The request next gets, which finish reads: ServeMux sets its
		// Pattern on that one.
		r = rec.RequestFor(next, w, r)
		returned := false
		// A deferred call without recover: a panic is logged as the 500
		// that errors.Recover will write, and keeps its original stack.
		defer func() { a.finish(r, rec, cb, !returned) }()
		next.ServeHTTP(w, r)
		returned = true
	})
}

// finish copies the request's outcome into an entry and queues it.
func (a *Auditor) finish(r *http.Request, rec *record.Record, cb *countingBody, panicked bool) {
	e := getEntry()
	e.start = rec.Start()
	e.end = e.start.Add(time.Since(e.start)) // the monotonic clock alone: cheaper than time.Now
	e.id = rec.ID()
	e.method = r.Method
	e.path, e.rawPath, e.rawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	if ua := r.Header["User-Agent"]; len(ua) > 0 {
		e.userAgent = ua[0]
	}
	for _, h := range a.headers {
		if v := r.Header[h]; len(v) > 0 { // h is canonical (New)
			e.headers = append(e.headers, h, v[0])
		}
	}
	e.bytesIn = r.ContentLength
	if cb != nil {
		e.bytesIn = cb.n
	}
	rec.Snapshot(&e.snap)
	snap := &e.snap
	e.clientID = snap.ClientRequestID
	wrote := snap.WroteHeader
	e.status, e.bytesOut = snap.Status, snap.Bytes
	if !wrote {
		e.status = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	if panicked && !wrote {
		e.status = http.StatusInternalServerError
		if e.snap.Problem.Reason == "" {
			e.snap.Problem = record.Problem{Status: http.StatusInternalServerError, Reason: "internal"}
		}
	}
	if e.clientIP = snap.ClientIP; !e.clientIP.IsValid() {
		a.keepClientIP(e, r)
	}
	e.route = snap.Route
	if e.route == "" {
		// ServeMux sets Pattern on the request it serves: visible here when
		// that is this very request, or the copy apishield's middleware
		// served on (see the package doc's # Routes).
		e.route = r.Pattern
		if sr := rec.Served(); e.route == "" && sr != nil {
			e.route = sr.Pattern
		}
		if e.route == "" {
			if rctx := chi.RouteContext(r.Context()); rctx != nil {
				e.route = rctx.RoutePattern()
			}
		}
		// chi's patterns, and ServeMux patterns registered without a
		// method, lack the method that SIEM rules want beside the path.
		e.routeNeedsMethod = strings.HasPrefix(e.route, "/")
	}
	// The entry holds the record through the ID's bytes until the writer
	// has written it; the request itself it must not hold.
	rec.ForgetRequests()
	if e.status == http.StatusUnprocessableEntity || e.snap.Problem.Reason == "validation_failed" {
		e.fieldErrors = rec.FieldErrors()
	}
	for _, p := range a.adminPaths {
		if strings.HasPrefix(e.path, p) {
			e.admin = true
			break
		}
	}
	classify(e)
	a.stats.count(e)
	if !a.repeats.cfg.Disabled && !e.clientIP.IsValid() && summarisable(e) {
		// Repeats are told apart by client IP, which the writer would
		// resolve: a refusal that may be a repeat has it resolved here.
		e.clientIP = a.resolver.Resolve(r.RemoteAddr, r.Header)
	}
	if a.repeats.count(e) {
		putEntry(e)
		return
	}
	_ = a.enqueue(context.Background(), e) // never done: the event waits in blocking mode
}

// Log writes an application event, such as an admin action or a login the
// application checked itself. When ctx carries a request record (inside
// the auditor's Handler, or any apishield middleware), the event carries the
// request's ID, client IP, route and principal.
//
// Log follows the auditor's delivery mode: it never waits in async mode; in
// blocking mode it waits for room in the queue or for ctx to end, and then
// returns ctx's error without logging. An event without a valid Action is
// refused with an error wrapping [ErrInvalidEvent].
func (a *Auditor) Log(ctx context.Context, ev Event) error {
	if !validAction(ev.Action) {
		return fmt.Errorf("%w: action %q is not lowercase snake_case of at most 64 characters", ErrInvalidEvent, ev.Action)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	e := getEntry()
	e.app = true
	e.end = time.Now()
	e.start = e.end
	ev.Attrs = append([]slog.Attr(nil), ev.Attrs...) // the caller may reuse its slice
	e.event = &ev
	e.action, e.outcome, e.reason = ev.Action, ev.Outcome, ev.Reason
	if rec := record.From(ctx); rec != nil {
		e.id, e.clientID = rec.ID(), rec.ClientRequestID()
		e.clientIP = rec.ClientIP()
		e.route = rec.Route()
		e.snap.Principal = rec.Principal()
	}
	a.stats.countApp(e)
	return a.enqueue(ctx, e)
}

func validAction(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
