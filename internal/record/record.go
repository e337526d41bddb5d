package record

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Outcome is how a decision ended.
type Outcome string

// Decision outcomes.
const (
	Allow Outcome = "allow"
	Deny  Outcome = "deny"
	// Skip means the package looked at the request and had nothing to decide,
	// for example anonymous access allowed by auth, or a dry-run authz policy.
	Skip Outcome = "skip"
	// Error means the package could not decide, for example because its store
	// was unreachable; the reason says which way it failed.
	Error Outcome = "error"
	// NotFound means the package refused because what the request addressed
	// does not exist, for example an object an authz Owner resolver did not
	// find. It is a refusal, but not an access-control failure: audit logs it
	// apart from denials.
	NotFound Outcome = "not_found"
)

// A Decision is one package's verdict on the request.
type Decision struct {
	Package string  // "auth", "authz", "ratelimit", "validate", ...
	Outcome Outcome // allow, deny, skip or error
	Reason  string  // a reason code from the errors registry, or a rule name on allow
	Rule    string  // optional: the rule, policy or authenticator that decided
}

// Principal is the summary of the authenticated caller that audit logs.
// It holds no token and no secret.
type Principal struct {
	Subject  string
	Issuer   string
	ClientID string
	Method   string // "jwt", "api_key", "mtls", ...
}

// RateLimit is what the rate limiter decided.
type RateLimit struct {
	Policy     string // the policy that decided (the tightest, or the one that denied)
	Key        string // a non-secret label of the key kind, e.g. "ip", "subject"
	Limit      int
	Remaining  int
	RetryAfter time.Duration
	Allowed    bool
	Shadow     bool // decided in shadow mode: recorded, not enforced
}

// FieldError is one validation failure, as sent to the client.
type FieldError struct {
	In      string // where the value was: body, query, path, header, cookie (or response)
	Pointer string // RFC 6901 JSON Pointer to the failing value within In
	Detail  string
	Keyword string
}

// Problem is the problem response the errors package wrote.
type Problem struct {
	Status int
	Reason string
}

// inlineDecisions is how many decisions the record holds before they move
// to the heap: a refusal before auth makes two (the rate limiter's and
// auth's), and the record stays within 512 bytes, the largest size the
// allocator serves without a per-object header.
const inlineDecisions = 2

// Record is the mutable per-request record. The zero value is not used;
// obtain one from [Install] or [From].
//
// It is the one allocation every request pays for, refusals included, so
// it keeps to what a refusal fills in; what only an admitted or an
// unusual request needs lives in its cold part, allocated when first set.
type Record struct {
	mu sync.Mutex

	// written by the response writer wrapper
	status       int32
	wroteHeader  bool
	hasRateLimit bool
	bytes        atomic.Int64 // added to without the lock, by every Write

	start     time.Time
	clientIP  netip.Addr
	route     string
	decisions []Decision
	decBuf    [inlineDecisions]Decision
	rateLimit RateLimit
	problem   Problem

	errorWriter any
	headerHook  HeaderHook // see SetHeaderHook
	more        *cold      // allocated by the first setter that needs it

	// Installed with the record, in its one allocation: the writer that
	// reports to it, the context that carries it, and the ID: idHeader[0]
	// is the ID, and the X-Request-ID response header's value. (Header.Set
	// or Add replaces or copies that value and leaves the ID alone; only
	// code that writes into the header's slice in place would change both.)
	rw       ResponseWriter
	ctx      recordContext
	req      *http.Request // the request the record was installed for, whose context ctx wraps
	served   *http.Request // the last copy made to carry the record on; see Served
	idHeader [1]string
	idBuf    [26]byte
}

// cold is the part of a record that a refusal before authentication does
// not fill in: an authenticated request allocates it, 128 bytes.
type cold struct {
	clientID        string // an untrusted incoming X-Request-ID
	principal       Principal
	fields          []FieldError
	unauthenticated any // auth's problem for no credentials, see SetUnauthenticated
}

// cold returns the record's cold part, allocating it; rec.mu is held, or
// the record is not yet shared.
func (rec *Record) cold() *cold {
	if rec.more == nil {
		rec.more = new(cold)
	}
	return rec.more
}

// recordContext is the request context that carries its record: what
// context.WithValue(parent, ctxKey{}, rec) would be, without an allocation
// of its own.
type recordContext struct {
	context.Context
	rec *Record
}

func (c *recordContext) Value(key any) any {
	if key == (ctxKey{}) {
		return c.rec
	}
	return c.Context.Value(key)
}

type ctxKey struct{}

// From returns the request's record, or nil if no apishield middleware
// installed one.
func From(ctx context.Context) *Record {
	rec, _ := ctx.Value(ctxKey{}).(*Record)
	return rec
}

// Install returns the request's record, installing a new one if the request
// has none yet. When it installs one it also wraps w so the record learns the
// status and byte count, and gives the request a new ID (see [NewID]), set as
// the X-Request-ID response header. An incoming X-Request-ID is never the
// request's ID here: the client chose it, and could forge or collide IDs in
// the audit trail. If it is acceptable (see [IncomingID]) it is kept as the
// record's [Record.ClientRequestID], which audit logs under its own name.
//
// The returned request carries the record in its context. Install is
// idempotent: a request that already carries a record is returned
// unchanged with the same w, and a request answered through a record's
// writer (see [Enter]) gets that record.
func Install(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request, *Record) {
	return InstallTrusted(w, r, false)
}

// InstallTrusted is [Install] for a caller that has established that the
// request's X-Request-ID, if any, was set by a trusted proxy (errors'
// Responder does, from its trusted proxies): with trustID, an acceptable
// incoming ID becomes the request's ID. Without trustID, or when the
// incoming ID is missing or unacceptable, it behaves exactly as Install.
func InstallTrusted(w http.ResponseWriter, r *http.Request, trustID bool) (http.ResponseWriter, *http.Request, *Record) {
	w, r, rec := enter(w, r, trustID, nil)
	return w, rec.Attach(r), rec
}

// Enter is [Install] without the request copy: the returned request may
// lack the record in its context, when Enter installed the record or found
// it through w, which is then the record's own writer. A refusal made
// before the request reaches the application then costs no copy of the
// request.
//
// A middleware that enters must be a [Handler], must answer through the
// returned writer, and must give the request to anything but apishield's
// own code only through [Record.RequestFor] or [Record.Attach]: a
// handler, an authenticator or a key function of the application's may
// look for the record in the context.
func Enter(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request, *Record) {
	return enter(w, r, false, nil)
}

// EnterResponder is [Enter] for errors' Responder: trustID as for
// [InstallTrusted], and errorWriter stored as by [Record.SetErrorWriter].
func EnterResponder(w http.ResponseWriter, r *http.Request, trustID bool, errorWriter any) (http.ResponseWriter, *http.Request, *Record) {
	return enter(w, r, trustID, errorWriter)
}

func enter(w http.ResponseWriter, r *http.Request, trustID bool, errorWriter any) (http.ResponseWriter, *http.Request, *Record) {
	rec := From(r.Context())
	if rec == nil {
		if rw, ok := w.(*ResponseWriter); ok {
			rec = rw.rec
		}
	}
	if rec != nil {
		if errorWriter != nil {
			rec.SetErrorWriter(errorWriter)
		}
		return w, r, rec
	}
	rec = &Record{start: time.Now(), errorWriter: errorWriter}
	rec.decisions = rec.decBuf[:0]
	rec.rw = ResponseWriter{ResponseWriter: w, rec: rec}
	rec.ctx = recordContext{Context: r.Context(), rec: rec}
	rec.req = r
	incoming, ok := IncomingID(r)
	switch {
	case ok && trustID:
		rec.idHeader[0] = incoming
	case ok:
		rec.idHeader[0] = rec.newID()
		rec.cold().clientID = incoming
	default:
		rec.idHeader[0] = rec.newID()
	}
	// The header's value lives in the record: one allocation less per
	// request. Its capacity is 1, so a later Header.Add copies.
	w.Header()["X-Request-Id"] = rec.idHeader[:1:1]
	return &rec.rw, r, rec
}

// Of returns the record of a request answered through w: the one in r's
// context, else the one whose writer w is (see [Enter]), else nil.
func Of(w http.ResponseWriter, r *http.Request) *Record {
	if rec := From(r.Context()); rec != nil {
		return rec
	}
	if rw, ok := w.(*ResponseWriter); ok {
		return rw.rec
	}
	return nil
}

// A Handler is the handler of a middleware that uses [Enter]: it finds the
// record through the writer, so a request passed to it from another such
// middleware need not carry the record in its context.
type Handler func(http.ResponseWriter, *http.Request)

// ServeHTTP calls h(w, r).
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h(w, r) }

// RequestFor returns the request to pass to next along with w: r as it is
// when next is a [Handler] and w the record's own writer, since next finds
// the record through w; else r with the record in its context (see
// [Record.Attach]).
func (rec *Record) RequestFor(next http.Handler, w http.ResponseWriter, r *http.Request) *http.Request {
	if _, ok := next.(Handler); ok && w == &rec.rw {
		return r
	}
	return rec.Attach(r)
}

// Attach returns r with rec in its context: r itself if it carries rec
// already, else a copy of r.
func (rec *Record) Attach(r *http.Request) *http.Request {
	if From(r.Context()) == rec {
		return r
	}
	return rec.WithContext(r, rec.ContextOf(r))
}

// WithContext returns r.WithContext(ctx), for a ctx that carries rec, and
// remembers the copy as the request served on (see [Record.Served]).
func (rec *Record) WithContext(r *http.Request, ctx context.Context) *http.Request {
	r = r.WithContext(ctx)
	rec.served = r
	return r
}

// Served returns the last copy of the request made by [Record.Attach] or
// [Record.WithContext] to carry the record on, or nil. A ServeMux sets
// its Pattern on the request it serves, which is that one when no
// middleware of the application's copied it again. Served and the
// methods that set it are for the goroutine serving the request.
func (rec *Record) Served() *http.Request { return rec.served }

// ForgetRequests drops the record's hold on the request it was installed
// for and on the copy served on, once the request is answered: a record
// outlives its request wherever its ID does (an audit event waiting for
// the writer), and must not keep the request's headers and body in
// memory with it. Attach and ContextOf still work after it, at the cost
// of a copy.
func (rec *Record) ForgetRequests() { rec.req, rec.served = nil, nil }

// ContextOf returns r's context with rec in it: r's context itself if rec
// is there already.
func (rec *Record) ContextOf(r *http.Request) context.Context {
	switch ctx := r.Context(); {
	case From(ctx) == rec:
		return ctx
	case r == rec.req:
		return &rec.ctx // the request's context, which the record was installed under: no allocation
	default:
		return &recordContext{Context: ctx, rec: rec}
	}
}

// ID returns the request ID.
func (rec *Record) ID() string { return rec.idHeader[0] } // immutable after Install

// ClientRequestID returns the X-Request-ID the client sent when it was not
// taken as the request ID (see [Install]), or "". It is acceptable as
// [ValidID] defines it, but it is the client's word: log it beside the
// request ID, never in its place.
func (rec *Record) ClientRequestID() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.more == nil {
		return ""
	}
	return rec.more.clientID
}

// Start returns when the record was installed.
func (rec *Record) Start() time.Time { return rec.start }

// SetClientIP records the resolved client address.
func (rec *Record) SetClientIP(ip netip.Addr) {
	rec.mu.Lock()
	rec.clientIP = ip
	rec.mu.Unlock()
}

// ClientIP returns the recorded client address, which is invalid if no
// package resolved it.
func (rec *Record) ClientIP() netip.Addr {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.clientIP
}

// SetRoute records the matched route pattern, such as "GET /v1/items/{id}".
func (rec *Record) SetRoute(pattern string) {
	rec.mu.Lock()
	rec.route = pattern
	rec.mu.Unlock()
}

// Route returns the recorded route pattern, or "".
func (rec *Record) Route() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.route
}

// SetPrincipal records who the caller is.
func (rec *Record) SetPrincipal(p Principal) {
	rec.mu.Lock()
	if rec.more != nil || p != (Principal{}) {
		rec.cold().principal = p
	}
	rec.mu.Unlock()
}

// Principal returns the recorded caller; the zero Principal if anonymous.
func (rec *Record) Principal() Principal {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.more == nil {
		return Principal{}
	}
	return rec.more.principal
}

// AddDecision appends a package's decision.
func (rec *Record) AddDecision(d Decision) {
	rec.mu.Lock()
	rec.addDecision(d)
	rec.mu.Unlock()
}

// addDecision appends d; past the inline buffer, the decisions move to
// the heap as append grows them. rec.mu is held.
func (rec *Record) addDecision(d Decision) {
	rec.decisions = append(rec.decisions, d)
}

// AddRouteDecision records the matched route pattern (unless it is empty)
// and appends a decision, under one lock: the common path of a middleware
// that learns the route and decides at once.
func (rec *Record) AddRouteDecision(pattern string, d Decision) {
	rec.mu.Lock()
	if pattern != "" {
		rec.route = pattern
	}
	rec.addDecision(d)
	rec.mu.Unlock()
}

// Decisions returns a copy of the decisions in the order they were made.
func (rec *Record) Decisions() []Decision {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Decision(nil), rec.decisions...)
}

// AppendDecisions appends the decisions to dst and returns it, so a caller
// with its own buffer can read them without allocating.
func (rec *Record) AppendDecisions(dst []Decision) []Decision {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append(dst, rec.decisions...)
}

// SetRateLimit records the rate limiter's result, replacing an earlier one
// only if the new one denies or the earlier one allowed: with two limiters in
// a stack, the record keeps the one that mattered.
func (rec *Record) SetRateLimit(rl RateLimit) {
	rec.mu.Lock()
	rec.setRateLimit(rl)
	rec.mu.Unlock()
}

// SetRateLimitDecision is [Record.SetRateLimit] and [Record.AddDecision]
// under one lock, as the rate limiter records both on every request.
func (rec *Record) SetRateLimitDecision(rl RateLimit, d Decision) {
	rec.mu.Lock()
	rec.setRateLimit(rl)
	rec.addDecision(d)
	rec.mu.Unlock()
}

func (rec *Record) setRateLimit(rl RateLimit) {
	if rec.hasRateLimit && !rec.rateLimit.Allowed && rl.Allowed {
		return
	}
	rec.rateLimit, rec.hasRateLimit = rl, true
}

// RateLimit returns the recorded rate-limit result and whether there is one.
func (rec *Record) RateLimit() (RateLimit, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.rateLimit, rec.hasRateLimit
}

// AddFieldErrors records validation failures.
func (rec *Record) AddFieldErrors(errs ...FieldError) {
	rec.mu.Lock()
	c := rec.cold()
	c.fields = append(c.fields, errs...)
	rec.mu.Unlock()
}

// FieldErrors returns a copy of the recorded validation failures.
func (rec *Record) FieldErrors() []FieldError {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.more == nil {
		return nil
	}
	return append([]FieldError(nil), rec.more.fields...)
}

// SetProblem records the problem response written for the request.
func (rec *Record) SetProblem(p Problem) {
	rec.mu.Lock()
	rec.problem = p
	rec.mu.Unlock()
}

// SetProblemUnlessStarted records p as SetProblem does, unless the
// response's header is written, and reports whether it was: a problem can
// only be sent before that.
func (rec *Record) SetProblemUnlessStarted(p Problem) (started bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.wroteHeader {
		return true
	}
	rec.problem = p
	return false
}

// Problem returns the recorded problem; its Status is 0 if none was written.
func (rec *Record) Problem() Problem {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.problem
}

// Status returns the response status (0 if nothing was written yet), the
// number of body bytes written, and whether the header was written.
func (rec *Record) Status() (status int, bytes int64, wroteHeader bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return int(rec.status), rec.bytes.Load(), rec.wroteHeader
}

// SetErrorWriter stores the errors package's per-request settings. The value
// is opaque here: the record cannot import errors, which imports it.
func (rec *Record) SetErrorWriter(v any) {
	rec.mu.Lock()
	rec.errorWriter = v
	rec.mu.Unlock()
}

// ErrorWriter returns what SetErrorWriter stored, or nil.
func (rec *Record) ErrorWriter() any {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.errorWriter
}

// ResetResponse forgets the written status, byte count and problem. It exists
// for benchmarks that reuse one request; middleware never calls it.
func ResetResponse(rec *Record) {
	rec.mu.Lock()
	rec.status, rec.wroteHeader = 0, false
	rec.bytes.Store(0)
	rec.problem = Problem{}
	rec.mu.Unlock()
}

// ResetDecisions forgets the recorded decisions and route, keeping the
// inline buffer. It exists for benchmarks that reuse one request;
// middleware never calls it.
func ResetDecisions(rec *Record) {
	rec.mu.Lock()
	rec.decisions = rec.decisions[:0]
	rec.route = ""
	rec.mu.Unlock()
}
