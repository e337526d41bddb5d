package audit

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/apishield/apishield/internal/record"
)

// OCSFVersion is the OCSF schema version the events follow.
const OCSFVersion = "1.3.0"

// The OCSF classes events map onto (class_uid), with their categories. A
// request, and an application event logged inside one, is API Activity:
// an API call with its actor, source and operation. An application event
// logged outside any request is Base Event, OCSF's class for events the
// schema defines nowhere else: there was no API call, so API Activity's
// required api, actor and src_endpoint would have to be invented, and the
// action is the application's own name, which no narrower class fits. A
// brute-force alert is a Detection Finding, OCSF's class for what a
// detection engine raises.
const (
	ocsfClassBase      = 0
	ocsfClassDetection = 2004
	ocsfClassAPI       = 6003

	ocsfCategoryNone     = 0
	ocsfCategoryFindings = 2
	ocsfCategoryApp      = 6
)

// ocsfClass is what the class-level attributes say of an event's class.
type ocsfClass struct {
	uid, category          int
	name, categoryName     string
	activity               int
	activityName, typeName string
	statusID               int
	status                 string
}

// ocsfMethod reports whether OCSF 1.3.0 lists m for
// http_request.http_method; other methods (PATCH among them) are logged as
// unmapped.http_method, since the schema refuses them there.
func ocsfMethod(m string) bool {
	switch m {
	case http.MethodConnect, http.MethodDelete, http.MethodGet, http.MethodHead,
		http.MethodOptions, http.MethodPost, http.MethodPut, http.MethodTrace:
		return true
	}
	return false
}

// apiActivity maps a request's method onto API Activity's activity IDs.
// An ID of 99 (Other) carries the method as its name, as OCSF asks.
func apiActivity(method string) (int, string) {
	switch method {
	case http.MethodPost:
		return 1, "Create"
	case http.MethodGet, http.MethodHead:
		return 2, "Read"
	case http.MethodPut, http.MethodPatch:
		return 3, "Update"
	case http.MethodDelete:
		return 4, "Delete"
	case "":
		return 0, "Unknown"
	}
	return 99, method
}

// appActivity maps an application event's action onto API Activity's
// activity IDs: the Action constants that create, change or delete, and
// Other (99, named by the action) for the rest.
func appActivity(action string) (int, string) {
	switch action {
	case ActionUserCreated, ActionAuthnTokenCreated:
		return 1, "Create"
	case ActionUserUpdated, ActionAuthzChange, ActionPrivilegeChanged:
		return 3, "Update"
	case ActionUserDeleted:
		return 4, "Delete"
	}
	return 99, action
}

// apiTypeName is the schema's type_name of an API Activity activity ID.
func apiTypeName(id int) string {
	switch id {
	case 0:
		return "API Activity: Unknown"
	case 1:
		return "API Activity: Create"
	case 2:
		return "API Activity: Read"
	case 3:
		return "API Activity: Update"
	case 4:
		return "API Activity: Delete"
	}
	return "API Activity: Other"
}

// class picks e's OCSF class and the class-level values.
func (a *Auditor) class(e *entry) ocsfClass {
	if e.alert() {
		return ocsfClass{uid: ocsfClassDetection, name: "Detection Finding",
			category: ocsfCategoryFindings, categoryName: "Findings",
			activity: 1, activityName: "Create", typeName: "Detection Finding: Create",
			statusID: 1, status: "New"}
	}
	c := ocsfClass{uid: ocsfClassAPI, name: "API Activity",
		category: ocsfCategoryApp, categoryName: "Application Activity"}
	switch {
	case !e.app:
		c.activity, c.activityName = apiActivity(e.method)
		c.activityName = a.cleanKnown(c.activityName, 32)
	case e.id != "": // an application event inside a request
		c.activity, c.activityName = appActivity(e.action)
	default:
		c = ocsfClass{uid: ocsfClassBase, name: "Base Event",
			category: ocsfCategoryNone, categoryName: "Uncategorized",
			activity: 99, activityName: e.action}
	}
	if c.uid == ocsfClassBase {
		c.typeName = "Base Event: Other"
	} else {
		c.typeName = apiTypeName(c.activity)
	}
	switch e.outcome {
	case Success:
		c.statusID, c.status = 1, "Success"
	case Failure:
		c.statusID, c.status = 2, "Failure"
	default:
		c.status = "Unknown"
	}
	return c
}

// ocsfAttrs maps e onto its OCSF class's attributes. apishield's own
// fields and the event name go under unmapped, which the caller closes.
// ar, when not nil, holds the groups' members and the lists (attrArena).
func (a *Auditor) ocsfAttrs(e *entry, level slog.Level, ar *attrArena) (top, ns []slog.Attr) {
	c := a.class(e)
	sev, sevName := 1, "Informational"
	switch {
	case e.alert():
		sev, sevName = 4, "High"
	case e.outcome == Failure && e.action != ActionRequest && e.action != ActionNotFound:
		sev, sevName = 3, "Medium"
	case e.outcome == Failure:
		sev, sevName = 2, "Low"
	}
	top, ns = ar.lists()
	top = append(top,
		slog.Int64("time", e.end.UnixMilli()),
		slog.Int("class_uid", c.uid),
		slog.String("class_name", c.name),
		slog.Int("category_uid", c.category),
		slog.String("category_name", c.categoryName),
		slog.Int("activity_id", c.activity),
		slog.String("activity_name", c.activityName),
		slog.Int("type_uid", c.uid*100+c.activity),
		slog.String("type_name", c.typeName),
		slog.Int("severity_id", sev),
		slog.String("severity", sevName),
		slog.Int("status_id", c.statusID),
		slog.String("status", c.status),
	)
	var mb [6]slog.Attr
	meta := append(mb[:0],
		slog.String("version", OCSFVersion),
		ar.group("product", slog.String("name", "apishield"), slog.String("vendor_name", "apishield")),
		slog.String("event_code", e.action),
		// OCSF has no top-level level: NewJSONHandler writes none for
		// these lines, and the level is here.
		slog.String("log_level", ocsfLevel(level)))
	if e.id != "" {
		// The one attribute every class has that joins an event to its
		// request: the request's own event, the application events
		// logged inside it, and the alert it raised.
		meta = append(meta, slog.String("correlation_uid", e.id))
	}
	if t, ok := tagsAttr(e, "labels"); ok {
		meta = append(meta, t)
	}
	top = append(top, ar.group("metadata", meta...))
	if e.reason != "" {
		top = append(top, slog.String("status_detail", a.cleanKnown(e.reason, 128)))
	}
	ns = append(ns, slog.String("action", e.action))
	switch c.uid {
	case ocsfClassAPI:
		top, ns = a.ocsfAPI(e, top, ns, ar)
	case ocsfClassDetection:
		top = a.ocsfFinding(e, top)
	default: // Base Event: no actor attribute, so the user goes with ours
		if user := a.user(e); user != "" {
			ns = append(ns, ar.group("user", slog.String("uid", user)))
		}
	}
	return top, a.nsAttrs(e, ns, ar)
}

// ocsfAPI adds API Activity's attributes: api, actor and src_endpoint
// (required), and for a request its times and http_request.
func (a *Auditor) ocsfAPI(e *entry, top, ns []slog.Attr, ar *attrArena) ([]slog.Attr, []slog.Attr) {
	op := a.route(e)
	if op == "" && !e.app {
		op = a.cleanKnown(e.method, 32)
	}
	if op == "" {
		op = e.action // an application event where the route is unknown
	}
	var apib [3]slog.Attr
	api := append(apib[:0], slog.String("operation", op), ar.group("request", slog.String("uid", e.id)))
	if !e.app {
		top = append(top,
			slog.Int64("start_time", e.start.UnixMilli()),
			slog.Int64("end_time", e.end.UnixMilli()),
			slog.Int64("duration", ms(e.end.Sub(e.start))))
		api = append(api, ar.group("response", slog.Int("code", e.status)))
		if e.repeats > 0 {
			top = append(top, slog.Int("count", e.repeats))
		}
	}
	top = append(top, ar.group("api", api...))
	if !e.app {
		var reqb [4]slog.Attr
		req := reqb[:0]
		if ocsfMethod(e.method) {
			req = append(req, slog.String("http_method", e.method))
		} else {
			ns = append(ns, slog.String("http_method", a.cleanKnown(e.method, 32)))
		}
		if e.path != "" { // a summary of repeats has no one path
			req = append(req, urlAttr(a, e, ar))
		}
		if e.userAgent != "" {
			req = append(req, slog.String("user_agent", a.cleanUserAgent(e.userAgent)))
		}
		if e.bytesIn >= 0 {
			req = append(req, slog.Int64("length", e.bytesIn))
		}
		top = append(top, ar.group("http_request", req...))
		// API Activity has no http_response: the status is
		// api.response.code, the body's size ours.
		ns = append(ns, slog.Int64("bytes_out", e.bytesOut))
	}
	top = append(top, ar.group("src_endpoint", a.srcEndpoint(e, ar)))
	return append(top, a.actor(e, ar)), ns
}

// srcEndpoint is the client's address; an event whose address nobody
// resolved (an application event inside a request that neither ratelimit
// nor ipfilter saw) names it unknown, since the class requires one.
func (a *Auditor) srcEndpoint(e *entry, ar *attrArena) slog.Attr {
	if e.clientIP.IsValid() {
		return ar.ip("ip", e.clientIP)
	}
	return slog.String("name", "unknown")
}

// actor is the actor group: who made the call: the user and the client application, or,
// for a caller no package authenticated, a user of type Anonymous, since
// the class requires an actor and OCSF has no type for one.
func (a *Auditor) actor(e *entry, ar *attrArena) slog.Attr {
	var ab [2]slog.Attr
	actor := ab[:0]
	if user := a.user(e); user != "" {
		actor = append(actor, ar.group("user", slog.String("uid", user)))
	}
	if e.snap.Principal.ClientID != "" {
		actor = append(actor, slog.String("app_uid", a.cleanKnown(e.snap.Principal.ClientID, 256)))
	}
	if len(actor) == 0 {
		actor = append(actor, ar.group("user",
			slog.String("name", "anonymous"), slog.Int("type_id", 99), slog.String("type", "Anonymous")))
	}
	return ar.group("actor", actor...)
}

// ocsfFinding adds a Detection Finding's attributes for a brute-force
// alert: what was found (finding_info), on what evidence (the client IP or
// the user), and the failures it counted over the window.
func (a *Auditor) ocsfFinding(e *entry, top []slog.Attr) []slog.Attr {
	if e.findingUID == "" {
		e.findingUID = record.NewID()
	}
	var evidence slog.Attr
	what := "for one user"
	if e.clientIP.IsValid() {
		what = "from one client IP"
		evidence = slog.GroupAttrs("src_endpoint", slog.String("ip", e.clientIP.String()))
	} else {
		evidence = slog.GroupAttrs("user", slog.String("uid", a.clean(e.snap.Principal.Subject, 256)))
	}
	return append(top,
		slog.Int("count", e.count),
		slog.Int64("start_time", e.start.UnixMilli()),
		slog.Int64("end_time", e.end.UnixMilli()),
		slog.GroupAttrs("finding_info",
			slog.String("uid", e.findingUID),
			slog.String("title", "Authentication brute force suspected"),
			slog.String("desc", strconv.Itoa(e.count)+" authentication failures "+what+" within "+e.window.String()),
			slog.Any("types", []string{ActionBruteForceSuspected}),
			slog.GroupAttrs("analytic", slog.String("name", "brute_force"), slog.Int("type_id", 1), slog.String("type", "Rule"))),
		slog.Any("evidences", []map[string]any{evidenceMap(evidence)}))
}

// evidenceMap turns one evidence attribute into the object of the
// evidences array (slog has no array of groups).
func evidenceMap(at slog.Attr) map[string]any {
	inner := map[string]any{}
	for _, g := range at.Value.Group() {
		inner[g.Key] = g.Value.String()
	}
	return map[string]any{at.Key: inner}
}

// ocsfLevel is the level as NewJSONHandler writes it in ECS lines, for the
// two levels the auditor uses, without an allocation.
func ocsfLevel(l slog.Level) string {
	if l == slog.LevelWarn {
		return "warn"
	}
	return "info"
}

// urlAttr is http_request's url group.
func urlAttr(a *Auditor, e *entry, ar *attrArena) slog.Attr {
	var ub [2]slog.Attr
	u := append(ub[:0], slog.String("path", a.clean(e.path, DefaultMaxPath)))
	if q := a.cleanQuery(e.rawQuery); q != "" {
		u = append(u, slog.String("query_string", q))
	}
	return ar.group("url", u...)
}
