package openapi

import (
	"encoding/json"
	"strings"
	"time"
)

// extPrefix is the namespace of apishield's extensions.
const extPrefix = "x-apishield-"

// The extensions apishield reads, all at operation level.
const (
	extRateLimit   = "x-apishield-rate-limit"
	extCost        = "x-apishield-cost"
	extOwner       = "x-apishield-owner"
	extDeprecation = "x-apishield-deprecation"
)

// noExtensions refuses every x-apishield- key of an object where none is
// read: an extension apishield ignores would be a silent pass.
func (l *loader) noExtensions(where string, m map[string]any) {
	for k := range m {
		if strings.HasPrefix(k, extPrefix) {
			for _, k := range sortedKeys(m) { // in a stable order
				l.checkExtensionKey(where, k)
			}
			return
		}
	}
}

// checkExtensionKey refuses k if it is in apishield's namespace.
func (l *loader) checkExtensionKey(where, k string) {
	if !strings.HasPrefix(k, extPrefix) {
		return
	}
	switch k {
	case extRateLimit, extCost, extOwner, extDeprecation:
		l.probs.doc(where, "extension %q is read only on operations", k)
	default:
		l.probs.doc(where, "extension %q is unknown: apishield reads %s, %s, %s and %s", k, extRateLimit, extCost, extOwner, extDeprecation)
	}
}

// operationExtensions reads an operation's extensions and its
// deprecation.
func (l *loader) operationExtensions(op *operation, om map[string]any, where string) {
	for _, k := range sortedKeys(om) {
		if !strings.HasPrefix(k, extPrefix) {
			continue
		}
		v := om[k]
		switch k {
		case extRateLimit:
			s, ok := v.(string)
			if !ok || s == "" {
				l.probs.doc(where, "%s must be a non-empty string", k)
				continue
			}
			l.namesLimiter = true
			if _, ok := l.cfg.RateLimiters[s]; !ok {
				l.probs.config(where, "%s names limiter %q, which Config.RateLimiters does not have", k, s)
				continue
			}
			op.rateLimit = s
		case extCost:
			n, ok := v.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < 1 || i > 1<<31-1 {
				l.probs.doc(where, "%s must be an integer of at least 1", k)
				continue
			}
			op.cost = int(i)
		case extOwner:
			s, ok := v.(string)
			if !ok || s == "" {
				l.probs.doc(where, "%s must be a non-empty string", k)
				continue
			}
			if _, ok := l.cfg.Rules[s]; !ok {
				l.probs.config(where, "%s names rule %q, which Config.Rules does not have", k, s)
				continue
			}
			op.owner = s
		case extDeprecation:
			op.deprecation = l.deprecation(v, where+": "+k)
		default:
			l.checkExtensionKey(where, k)
		}
	}
	if op.cost != 0 && op.rateLimit == "" {
		if _, ok := om[extRateLimit]; !ok {
			l.probs.doc(where, "%s needs %s: a cost without a limiter counts nothing", extCost, extRateLimit)
		}
	}
	if _, ok := om[extDeprecation]; ok && !op.deprecated {
		l.probs.doc(where, "%s needs deprecated: true", extDeprecation)
	}
	if op.deprecated && op.deprecation == nil && l.cfg.DeprecatedSince.IsZero() {
		if _, ok := om[extDeprecation]; !ok {
			l.probs.config(where, "deprecated: true needs a date: add %s with since, or set Config.DeprecatedSince", extDeprecation)
		}
	}
}

// deprecation reads an x-apishield-deprecation object.
func (l *loader) deprecation(v any, where string) *deprecationInfo {
	m, ok := v.(map[string]any)
	if !ok {
		l.probs.doc(where, "must be an object with since, and optionally sunset, docs and successor")
		return nil
	}
	d := &deprecationInfo{}
	bad := false
	for _, k := range sortedKeys(m) {
		val := m[k]
		switch k {
		case "since", "sunset":
			s, _ := val.(string)
			t, ok := parseDate(s)
			if !ok {
				l.probs.doc(where, "%s must be an RFC 3339 date or date-time", k)
				bad = true
				continue
			}
			if k == "since" {
				d.since = t
			} else {
				d.sunset = t
			}
		case "docs", "successor":
			s, ok := val.(string)
			if !ok || s == "" {
				l.probs.doc(where, "%s must be a non-empty string", k)
				bad = true
				continue
			}
			if k == "docs" {
				d.docs = s
			} else {
				d.successor = s
			}
		default:
			l.probs.doc(where, "unknown member %q: since, sunset, docs and successor are read", k)
			bad = true
		}
	}
	if _, ok := m["since"]; !ok {
		l.probs.doc(where, "since is required")
		bad = true
	}
	if !d.sunset.IsZero() && !d.since.IsZero() && d.sunset.Before(d.since) {
		l.probs.doc(where, "sunset is before since")
		bad = true
	}
	if bad {
		return nil
	}
	return d
}

// parseDate parses an RFC 3339 date ("2026-01-31") or date-time.
func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
