package audit

import (
	"log/slog"
	"net/http"
)

// OCSFVersion is the OCSF schema version the events follow.
const OCSFVersion = "1.3.0"

// OCSF API Activity (class 6003) constants.
const (
	ocsfClassAPIActivity = 6003
	ocsfCategoryApp      = 6
)

// ocsfActivity maps a method onto the API Activity activity IDs.
func ocsfActivity(method string) (int, string) {
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
	return 99, "Other"
}

// ocsfAttrs maps e onto OCSF API Activity fields. apishield's own fields
// and the event name go under unmapped, which the caller closes.
func (a *Auditor) ocsfAttrs(e *entry) (top, ns []slog.Attr) {
	act, actName := ocsfActivity(e.method)
	status, statusID := "Unknown", 0
	switch e.outcome {
	case Success:
		status, statusID = "Success", 1
	case Failure:
		status, statusID = "Failure", 2
	}
	sev, sevName := 1, "Informational"
	switch {
	case e.action == ActionBruteForceSuspected:
		sev, sevName = 4, "High"
	case e.outcome == Failure && e.action != ActionRequest:
		sev, sevName = 3, "Medium"
	case e.outcome == Failure:
		sev, sevName = 2, "Low"
	}
	top = []slog.Attr{
		slog.Int64("time", e.end.UnixMilli()),
		slog.Int("class_uid", ocsfClassAPIActivity),
		slog.String("class_name", "API Activity"),
		slog.Int("category_uid", ocsfCategoryApp),
		slog.String("category_name", "Application Activity"),
		slog.Int("activity_id", act),
		slog.String("activity_name", actName),
		slog.Int("type_uid", ocsfClassAPIActivity*100+act),
		slog.Int("severity_id", sev),
		slog.String("severity", sevName),
		slog.Int("status_id", statusID),
		slog.String("status", status),
	}
	meta := []slog.Attr{
		slog.String("version", OCSFVersion),
		slog.String("event_code", e.action),
		slog.GroupAttrs("product", slog.String("name", "apishield"), slog.String("vendor_name", "apishield")),
	}
	if t, ok := tagsAttr(e, "labels"); ok {
		meta = append(meta, t)
	}
	top = append(top, slog.GroupAttrs("metadata", meta...))
	if e.reason != "" {
		top = append(top, slog.String("status_detail", a.clean(e.reason, 128)))
	}
	if e.method != "" {
		top = append(top,
			slog.Int64("start_time", e.start.UnixMilli()),
			slog.Int64("end_time", e.end.UnixMilli()),
			slog.Int64("duration", ms(e.end.Sub(e.start))))
		op := a.route(e)
		if op == "" {
			op = a.clean(e.method, 32)
		}
		top = append(top, slog.GroupAttrs("api",
			slog.String("operation", op),
			slog.GroupAttrs("request", slog.String("uid", e.id)),
			slog.GroupAttrs("response", slog.Int("code", e.status))))
		req := []slog.Attr{
			slog.String("http_method", a.clean(e.method, 32)),
			slog.GroupAttrs("url", urlAttrs(a, e)...),
		}
		if e.userAgent != "" {
			req = append(req, slog.String("user_agent", a.clean(e.userAgent, DefaultMaxUserAgent)))
		}
		if e.bytesIn >= 0 {
			req = append(req, slog.Int64("length", e.bytesIn))
		}
		top = append(top,
			slog.GroupAttrs("http_request", req...),
			slog.GroupAttrs("http_response", slog.Int("code", e.status), slog.Int64("length", e.bytesOut)))
	} else if e.id != "" {
		top = append(top, slog.GroupAttrs("api", slog.GroupAttrs("request", slog.String("uid", e.id))))
	}
	if e.clientIP.IsValid() {
		top = append(top, slog.GroupAttrs("src_endpoint", slog.String("ip", e.clientIP.String())))
	}
	var actor []slog.Attr
	if user := a.user(e); user != "" {
		actor = append(actor, slog.GroupAttrs("user", slog.String("uid", user)))
	}
	if e.snap.Principal.ClientID != "" {
		actor = append(actor, slog.String("app_uid", a.clean(e.snap.Principal.ClientID, 256)))
	}
	if len(actor) > 0 {
		top = append(top, slog.GroupAttrs("actor", actor...))
	}
	ns = append([]slog.Attr{slog.String("action", e.action)}, a.nsAttrs(e)...)
	return top, ns
}

func urlAttrs(a *Auditor, e *entry) []slog.Attr {
	u := []slog.Attr{slog.String("path", a.clean(e.path, DefaultMaxPath))}
	if q := a.cleanQuery(e.rawQuery); q != "" {
		u = append(u, slog.String("query_string", q))
	}
	return u
}
