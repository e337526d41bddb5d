package audit

import "log/slog"

// TagDeprecatedRoute marks the event of a request that reached a deprecated
// route, or was refused because the route is past its sunset: package
// deprecation recorded a decision for it. It is logged in ECS tags and in
// OCSF metadata.labels, so a SIEM finds the callers still to be told with
// one term query instead of parsing apishield.decisions.
const TagDeprecatedRoute = "deprecated_route"

// deprecationPackage is the Package that package deprecation records its
// decisions under (audit imports no middleware package).
const deprecationPackage = "deprecation"

// tagsAttr returns the event's tags under key, or false if it has none.
func tagsAttr(e *entry, key string) (slog.Attr, bool) {
	for _, d := range e.snap.Decisions {
		if d.Package == deprecationPackage {
			return slog.Any(key, []string{TagDeprecatedRoute}), true
		}
	}
	return slog.Attr{}, false
}
