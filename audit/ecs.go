package audit

import (
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// ECSVersion is the Elastic Common Schema version the events follow.
const ECSVersion = "8.11.0"

// decisionJSON is how a decision is logged.
type decisionJSON struct {
	Package string `json:"package"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Rule    string `json:"rule,omitempty"`
}

type fieldErrorJSON struct {
	In      string `json:"in,omitempty"`
	Pointer string `json:"pointer"`
	Keyword string `json:"keyword,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// ecsAttrs maps e onto ECS fields. It returns the top-level attributes and
// the attributes of the apishield namespace, which the caller closes
// (after adding the chain, if any).
//
// ar, when not nil, holds the groups' members and the lists (attrArena).
func (a *Auditor) ecsAttrs(e *entry, ar *attrArena) (top, ns []slog.Attr) {
	top, ns = ar.lists()
	top = append(top,
		ar.time("@timestamp", e.end, 0),
		ar.group("ecs", slog.String("version", ECSVersion)))

	category, typ := ar.classes()
	kind, category, typ := ecsClass(e, category, typ)
	var evb [10]slog.Attr
	ev := append(evb[:0], slog.String("kind", kind))
	if len(category) > 0 {
		ev = append(ev, ar.strings("category", category, 0))
	}
	ev = append(ev,
		ar.strings("type", typ, 1),
		slog.String("action", e.action),
		slog.String("outcome", e.outcome.String()),
		slog.String("dataset", "apishield.audit"))
	if e.reason != "" {
		ev = append(ev, slog.String("reason", a.cleanKnown(e.reason, 128)))
	}
	if !e.app && e.action != ActionBruteForceSuspected {
		ev = append(ev,
			ar.time("start", e.start, 1),
			slog.Int64("duration", int64(e.end.Sub(e.start))))
	}
	top = append(top, ar.group("event", ev...))
	if t, ok := tagsAttr(e, "tags"); ok {
		top = append(top, t)
	}

	if e.method != "" {
		var reqb [3]slog.Attr
		req := append(reqb[:0], slog.String("method", a.cleanKnown(e.method, 32)))
		if e.id != "" {
			req = append(req, slog.String("id", e.id))
		}
		if e.bytesIn >= 0 {
			req = append(req, ar.group("body", slog.Int64("bytes", e.bytesIn)))
		}
		top = append(top, ar.group("http",
			ar.group("request", req...),
			ar.group("response",
				slog.Int("status_code", e.status),
				ar.group("body", slog.Int64("bytes", e.bytesOut)))))
		if e.path != "" { // a summary of repeats has no one path
			var ub [2]slog.Attr
			u := append(ub[:0], slog.String("path", a.clean(e.path, DefaultMaxPath)))
			if q := a.cleanQuery(e.rawQuery); q != "" {
				u = append(u, slog.String("query", q))
			}
			top = append(top, ar.group("url", u...))
		}
	} else if e.id != "" {
		top = append(top, ar.group("http", ar.group("request", slog.String("id", e.id))))
	}
	if e.clientIP.IsValid() {
		top = append(top, ar.group("source", ar.ip("ip", e.clientIP)))
	}
	if e.userAgent != "" {
		top = append(top, ar.group("user_agent", slog.String("original", a.cleanUserAgent(e.userAgent))))
	}
	if user := a.user(e); user != "" {
		top = append(top, ar.group("user", slog.String("id", user)))
	}
	// ECS has no field for the route pattern (http.route is
	// OpenTelemetry's), so it is ours. Room for the chain, which the
	// caller adds.
	if r := a.route(e); r != "" {
		ns = append(ns, slog.String("route", r))
	}
	return top, a.nsAttrs(e, ns, ar)
}

// ecsClass returns e's event.kind, event.category and event.type, each
// type one the categories expect (ECS lists them per category): a request
// is in category api (an API call: allowed, denied) and web (web server
// access: access, error), plus authentication or iam by its name; an
// application event outside any request only in the latter.
//
// It appends to category and typ, which may be nil.
func ecsClass(e *entry, category, typ []string) (kind string, _, _ []string) {
	if e.alert() {
		return "alert", append(category, "authentication", "intrusion_detection"), append(typ, "info")
	}
	inRequest := !e.app || e.id != ""
	if inRequest {
		typ = append(typ, "access")
	}
	switch e.action {
	case ActionAuthnLoginFail, ActionAuthnLoginSuccess, ActionAuthnLoginFailMax:
		category, typ = append(category, "authentication"), append(typ, "start")
	case ActionAuthnTokenRevoked:
		category, typ = append(category, "authentication"), append(typ, "end")
	case ActionAuthnTokenCreated, ActionAuthnTokenReuse:
		category, typ = append(category, "authentication"), append(typ, "info")
	case ActionUserCreated:
		category, typ = append(category, "iam"), append(typ, "user", "creation")
	case ActionUserUpdated:
		category, typ = append(category, "iam"), append(typ, "user", "change")
	case ActionUserDeleted:
		category, typ = append(category, "iam"), append(typ, "user", "deletion")
	case ActionAuthzChange, ActionPrivilegeChanged:
		category, typ = append(category, "iam"), append(typ, "change")
	case ActionAuthzAdmin:
		category, typ = append(category, "iam"), append(typ, "admin")
	case ActionAuthzFail:
		category = append(category, "iam")
	}
	if inRequest {
		category = append(category, "api", "web")
		switch {
		case e.outcome == Failure && e.status >= 500:
			typ = append(typ, "error")
		case e.outcome == Failure && e.action == ActionNotFound:
			typ = append(typ, "info") // not a denial: nothing is there
		case e.outcome == Failure:
			typ = append(typ, "denied")
		case e.outcome == Success:
			typ = append(typ, "allowed")
		}
	}
	if len(typ) == 0 {
		typ = append(typ, "info")
	}
	return "event", category, typ
}

// user is the event's user.id: the application's User, else the subject.
func (a *Auditor) user(e *entry) string {
	if e.event != nil && e.event.User != "" {
		return a.clean(e.event.User, 256)
	}
	return a.clean(e.snap.Principal.Subject, 256)
}

// route is the route pattern, with the method for chi patterns.
func (a *Auditor) route(e *entry) string {
	if e.routeNeedsMethod && e.route != "" {
		return a.cleanKnownPair(e.method, e.route, 512)
	}
	return a.cleanKnown(e.route, 512)
}

// nsAttrs appends apishield's own fields, the same in both schemas, to ns.
func (a *Auditor) nsAttrs(e *entry, ns []slog.Attr, ar *attrArena) []slog.Attr {
	if e.clientID != "" {
		// The client's word, never the event's request ID: a client
		// could forge or collide that one. record accepted it as 1 to 64
		// characters of [A-Za-z0-9._-]; it is masked like any value.
		ns = append(ns, slog.String("client_request_id", a.clean(e.clientID, record.MaxIDLength)))
	}
	if p := e.snap.Principal; p != (record.Principal{}) {
		var pb [4]slog.Attr
		pa := pb[:0]
		if p.Subject != "" {
			pa = append(pa, slog.String("subject", a.clean(p.Subject, 256)))
		}
		// Issuer, client ID and method come from a small set (configured
		// issuers, registered clients, authenticators).
		for _, kv := range [...][2]string{{"issuer", p.Issuer}, {"client_id", p.ClientID}, {"method", p.Method}} {
			if kv[1] != "" {
				pa = append(pa, slog.String(kv[0], a.cleanKnown(kv[1], 256)))
			}
		}
		ns = append(ns, ar.group("principal", pa...))
	}
	if len(e.snap.Decisions) > 0 {
		ds := ar.decisionList(len(e.snap.Decisions))
		for i, d := range e.snap.Decisions {
			ds[i] = decisionJSON{Package: a.cleanKnown(d.Package, 64), Outcome: a.cleanKnown(string(d.Outcome), 16),
				Reason: a.cleanKnown(d.Reason, 128), Rule: a.cleanKnown(d.Rule, 256)}
		}
		ns = append(ns, ar.decisions("decisions", ds))
	}
	if e.snap.HasRateLimit {
		rl := e.snap.RateLimit
		ns = append(ns, ar.group("rate_limit",
			slog.String("policy", a.cleanKnown(rl.Policy, 128)),
			slog.String("key", a.cleanKnown(rl.Key, 64)),
			slog.Int("limit", rl.Limit),
			slog.Int("remaining", rl.Remaining),
			slog.Int64("retry_after_ms", ms(rl.RetryAfter)),
			slog.Bool("allowed", rl.Allowed),
			slog.Bool("shadow", rl.Shadow)))
	}
	if len(e.fieldErrors) > 0 {
		n := min(len(e.fieldErrors), 16)
		fs := make([]fieldErrorJSON, n)
		for i, f := range e.fieldErrors[:n] {
			detail := a.clean(f.Detail, 256)
			if a.denied(f.Pointer[strings.LastIndexByte(f.Pointer, '/')+1:]) {
				detail = Redacted // a detail about /password may quote it
			}
			fs[i] = fieldErrorJSON{In: a.cleanKnown(f.In, 16), Pointer: a.clean(f.Pointer, 256), Keyword: a.cleanKnown(f.Keyword, 64), Detail: detail}
		}
		ns = append(ns, slog.Any("field_errors", fs), slog.Int("field_error_count", len(e.fieldErrors)))
	}
	if len(e.headers) > 0 {
		var hb [8]slog.Attr
		hs := hb[:0]
		for j := 0; j+1 < len(e.headers); j += 2 {
			hs = append(hs, slog.String(cleanKey(e.headers[j]), a.clean(e.headers[j+1], 0)))
		}
		ns = append(ns, ar.group("headers", hs...))
	}
	if e.app {
		if e.event != nil && e.event.Target != "" {
			ns = append(ns, slog.String("target", a.clean(e.event.Target, 256)))
		}
		if e.event != nil && len(e.event.Attrs) > 0 {
			n := 0
			ns = append(ns, slog.GroupAttrs("fields", a.cleanAttrs(e.event.Attrs, 0, &n)...))
		}
	}
	if e.repeats > 0 {
		ns = append(ns, ar.group("repeated", slog.Int("count", e.repeats)))
	}
	if e.action == ActionBruteForceSuspected {
		ns = append(ns, ar.group("brute_force",
			slog.Int("failures", e.count), slog.Int64("window_ms", ms(e.window))))
	}
	return ns
}

// cleanAttrs sanitizes application attributes: keys reduced, deny-listed
// values redacted, every value turned into a cleaned string (numbers and
// booleans kept), at most 32 attributes and 4 levels deep.
func (a *Auditor) cleanAttrs(in []slog.Attr, depth int, n *int) []slog.Attr {
	out := make([]slog.Attr, 0, len(in))
	for _, at := range in {
		if *n >= 32 {
			break
		}
		if at.Equal(slog.Attr{}) {
			continue
		}
		*n++
		key := cleanKey(at.Key)
		if a.denied(at.Key) {
			out = append(out, slog.String(key, Redacted))
			continue
		}
		v := at.Value.Resolve()
		switch v.Kind() {
		case slog.KindGroup:
			if depth >= 3 {
				out = append(out, slog.String(key, truncated))
				continue
			}
			out = append(out, slog.GroupAttrs(key, a.cleanAttrs(v.Group(), depth+1, n)...))
		case slog.KindInt64, slog.KindUint64, slog.KindBool:
			out = append(out, slog.Attr{Key: key, Value: v})
		case slog.KindFloat64:
			if f := v.Float64(); math.IsNaN(f) || math.IsInf(f, 0) {
				out = append(out, slog.String(key, v.String())) // JSON has no NaN
			} else {
				out = append(out, slog.Attr{Key: key, Value: v})
			}
		case slog.KindDuration:
			out = append(out, slog.Int64(key, int64(v.Duration())))
		case slog.KindTime:
			out = append(out, slog.String(key, v.Time().UTC().Format(time.RFC3339Nano)))
		default:
			out = append(out, slog.String(key, a.clean(v.String(), 0)))
		}
	}
	return out
}
