package record

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
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

// inline capacity for decisions; a request rarely sees more, so the common
// path does not allocate when a package records its decision.
const inlineDecisions = 6

// Record is the mutable per-request record. The zero value is not used;
// obtain one from [Install] or [From].
type Record struct {
	mu sync.Mutex

	id           string
	clientID     string    // an untrusted incoming X-Request-ID
	idHeader     [1]string // the X-Request-ID response header's value
	start        time.Time
	clientIP     netip.Addr
	route        string
	principal    Principal
	decisions    []Decision
	decBuf       [inlineDecisions]Decision
	rateLimit    RateLimit
	hasRateLimit bool
	fields       []FieldError
	problem      Problem

	// written by the response writer wrapper
	status      int
	bytes       int64
	wroteHeader bool

	errorWriter     any
	unauthenticated any        // auth's problem for no credentials, see SetUnauthenticated
	headerHook      HeaderHook // see SetHeaderHook

	// Installed with the record, in its one allocation: the writer that
	// reports to it, the context that carries it, and the ID's bytes.
	rw    ResponseWriter
	ctx   recordContext
	idBuf [26]byte
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

// NewContext returns a copy of ctx carrying rec.
func NewContext(ctx context.Context, rec *Record) context.Context {
	return context.WithValue(ctx, ctxKey{}, rec)
}

// Install returns the request's record, installing a new one if the request
// has none yet. When it installs one it also wraps w so the record learns the
// status and byte count, and gives the request a new ID (see [NewID]), set as
// the X-Request-ID response header. An incoming X-Request-ID is never the
// request's ID here: the client chose it, and could forge or collide IDs in
// the audit trail. If it is acceptable (see [IncomingID]) it is kept as the
// record's [Record.ClientRequestID], which audit logs under its own name.
//
// Install is idempotent: a request that already carries a record is returned
// unchanged with the same w.
func Install(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request, *Record) {
	return InstallTrusted(w, r, false)
}

// InstallTrusted is [Install] for a caller that has established that the
// request's X-Request-ID, if any, was set by a trusted proxy (errors'
// Responder does, from its trusted proxies): with trustID, an acceptable
// incoming ID becomes the request's ID. Without trustID, or when the
// incoming ID is missing or unacceptable, it behaves exactly as Install.
func InstallTrusted(w http.ResponseWriter, r *http.Request, trustID bool) (http.ResponseWriter, *http.Request, *Record) {
	if rec := From(r.Context()); rec != nil {
		return w, r, rec
	}
	rec := &Record{start: time.Now()}
	rec.decisions = rec.decBuf[:0]
	rec.rw = ResponseWriter{ResponseWriter: w, rec: rec}
	rec.ctx = recordContext{Context: r.Context(), rec: rec}
	incoming, ok := IncomingID(r)
	switch {
	case ok && trustID:
		rec.id = incoming
	case ok:
		rec.id, rec.clientID = rec.newID(), incoming
	default:
		rec.id = rec.newID()
	}
	// The header's value lives in the record: one allocation less per
	// request. Its capacity is 1, so a later Header.Add copies.
	rec.idHeader[0] = rec.id
	w.Header()["X-Request-Id"] = rec.idHeader[:1:1]
	return &rec.rw, r.WithContext(&rec.ctx), rec
}

// ID returns the request ID.
func (rec *Record) ID() string { return rec.id } // immutable after Install

// ClientRequestID returns the X-Request-ID the client sent when it was not
// taken as the request ID (see [Install]), or "". It is acceptable as
// [ValidID] defines it, but it is the client's word: log it beside the
// request ID, never in its place.
func (rec *Record) ClientRequestID() string { return rec.clientID } // immutable after Install

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
	rec.principal = p
	rec.mu.Unlock()
}

// Principal returns the recorded caller; the zero Principal if anonymous.
func (rec *Record) Principal() Principal {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.principal
}

// AddDecision appends a package's decision.
func (rec *Record) AddDecision(d Decision) {
	rec.mu.Lock()
	rec.decisions = append(rec.decisions, d)
	rec.mu.Unlock()
}

// AddRouteDecision records the matched route pattern (unless it is empty)
// and appends a decision, under one lock: the common path of a middleware
// that learns the route and decides at once.
func (rec *Record) AddRouteDecision(pattern string, d Decision) {
	rec.mu.Lock()
	if pattern != "" {
		rec.route = pattern
	}
	rec.decisions = append(rec.decisions, d)
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
	defer rec.mu.Unlock()
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
	rec.fields = append(rec.fields, errs...)
	rec.mu.Unlock()
}

// FieldErrors returns a copy of the recorded validation failures.
func (rec *Record) FieldErrors() []FieldError {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]FieldError(nil), rec.fields...)
}

// SetProblem records the problem response written for the request.
func (rec *Record) SetProblem(p Problem) {
	rec.mu.Lock()
	rec.problem = p
	rec.mu.Unlock()
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
	return rec.status, rec.bytes, rec.wroteHeader
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
	rec.status, rec.bytes, rec.wroteHeader = 0, 0, false
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
