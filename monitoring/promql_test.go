package monitoring

import (
	"fmt"
	"regexp"
	"strings"
)

// The metrics apishield's packages export, by their Prometheus names (the
// OpenTelemetry Prometheus exporter's defaults): the contract between the
// packages and the dashboard and rules here. README.md lists the same.
const (
	counter   = "counter"
	gauge     = "gauge"
	histogram = "histogram"
)

var contract = []struct{ name, kind string }{
	{"apishield_auth_decisions_total", counter},
	{"apishield_auth_jwks_fetches_total", counter},
	{"apishield_auth_jwks_age_seconds", gauge},
	{"apishield_auth_token_cache_lookups_total", counter},
	{"apishield_auth_revocations_applied_total", counter},
	{"apishield_auth_revocations_entries", gauge},
	{"apishield_auth_revocations_syncs_total", counter},
	{"apishield_auth_revocations_messages_total", counter},
	{"apishield_auth_revocations_age_seconds", gauge},
	{"apishield_auth_introspection_calls_total", counter},
	{"apishield_auth_introspection_duration_seconds", histogram},
	{"apishield_auth_introspection_cache_lookups_total", counter},
	{"apishield_auth_replay_cache_replays_total", counter},
	{"apishield_auth_replay_cache_errors_total", counter},
	{"apishield_auth_replay_cache_entries", gauge},
	{"apishield_auth_replay_cache_duration_seconds", histogram},
	{"apishield_auth_replay_cache_breaker_state", gauge},
	{"apishield_authz_decisions_total", counter},
	{"apishield_validate_failures_total", counter},
	{"apishield_ratelimit_decisions_total", counter},
	{"apishield_ratelimit_store_duration_seconds", histogram},
	{"apishield_ratelimit_breaker_state", gauge},
	{"apishield_ratelimit_fallbacks_total", counter},
	{"apishield_ratelimit_concurrency_decisions_total", counter},
	{"apishield_ratelimit_concurrency_in_flight", gauge},
	{"apishield_ratelimit_concurrency_limit", gauge},
	{"apishield_audit_queue_depth", gauge},
	{"apishield_audit_dropped_total", counter},
	{"apishield_audit_write_duration_seconds", histogram},
	{"apishield_audit_alerts_total", counter},
	{"apishield_audit_repeated_total", counter},
	{"apishield_tls_certificate_expiry_seconds", gauge},
	{"apishield_cors_decisions_total", counter},
	{"apishield_headers_host_decisions_total", counter},
	{"apishield_limits_decisions_total", counter},
	{"apishield_ipfilter_decisions_total", counter},
	{"apishield_deprecation_calls_total", counter},
}

// seriesNames maps each series name a query may select to its metric in
// contract: a histogram has no series of its own name, only _bucket, _sum
// and _count.
func seriesNames() map[string]string {
	m := map[string]string{}
	for _, c := range contract {
		if c.kind == histogram {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				m[c.name+suffix] = c.name
			}
			continue
		}
		m[c.name] = c.name
	}
	return m
}

// unknownMetrics returns the metric names expr selects that are not in the
// contract.
func unknownMetrics(expr string) ([]string, error) {
	names, err := metricNames(expr)
	if err != nil {
		return nil, err
	}
	known := seriesNames()
	var unknown []string
	for _, n := range names {
		if _, ok := known[n]; !ok {
			unknown = append(unknown, n)
		}
	}
	return unknown, nil
}

// Words of PromQL that are not metric names. Aggregation operators may be
// followed by "by (…)" rather than "(", so they are listed; functions are
// recognised by the "(" that follows them.
var (
	aggregations = set("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
		"bottomk", "topk", "quantile", "limitk", "limit_ratio")
	labelListKeywords = set("by", "without", "on", "ignoring", "group_left", "group_right")
	keywords          = set("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan")
)

// byName matches a label matcher on __name__.
var byName = regexp.MustCompile(`(^|[{,\s])__name__\s*[=!~]`)

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

// metricNames returns the metric names that the PromQL expression expr
// selects, in order. It reads enough PromQL for dashboards and rules:
// strings, label matchers ({…}), ranges and subqueries ([…]), numbers and
// durations, Grafana variables ($name, ${name}), functions and aggregations
// (a name followed by "(") and the label lists of by, without, on,
// ignoring, group_left and group_right are not metric names; every other
// name is. A selector by __name__ is refused, since it would hide a name
// from the check.
func metricNames(expr string) ([]string, error) {
	var names []string
	s := expr
	i := 0
	skipSpace := func() {
		for i < len(s) && strings.ContainsRune(" \t\r\n", rune(s[i])) {
			i++
		}
	}
	// skipTo moves past the bracket that closes the one at i, stepping
	// over strings.
	skipTo := func(open, close byte) error {
		start := i
		depth := 0
		for i < len(s) {
			switch c := s[i]; c {
			case '"', '\'', '`':
				if err := skipString(s, &i); err != nil {
					return err
				}
				continue
			case open:
				depth++
			case close:
				depth--
				if depth == 0 {
					i++
					return nil
				}
			}
			i++
		}
		return fmt.Errorf("unclosed %c at offset %d in %q", open, start, expr)
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"' || c == '\'' || c == '`':
			if err := skipString(s, &i); err != nil {
				return nil, err
			}
		case c == '{':
			start := i
			if err := skipTo('{', '}'); err != nil {
				return nil, err
			}
			if byName.MatchString(s[start:i]) {
				return nil, fmt.Errorf("a selector by __name__ in %q: name the metric instead", expr)
			}
		case c == '[':
			if err := skipTo('[', ']'); err != nil {
				return nil, err
			}
		case c == '$':
			i++
			if i < len(s) && s[i] == '{' {
				if err := skipTo('{', '}'); err != nil {
					return nil, err
				}
				continue
			}
			for i < len(s) && isNameChar(s[i]) {
				i++
			}
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			for i < len(s) && (isNameChar(s[i]) || s[i] == '.') { // 5m, 1.5, 1e3, 0x1f, 1h30m
				i++
			}
		case isNameStart(c):
			start := i
			for i < len(s) && isNameChar(s[i]) {
				i++
			}
			word := s[start:i]
			lower := strings.ToLower(word)
			skipSpace()
			switch {
			case labelListKeywords[lower]:
				if i < len(s) && s[i] == '(' {
					if err := skipTo('(', ')'); err != nil {
						return nil, err
					}
				}
			case keywords[lower], aggregations[lower]:
			case i < len(s) && s[i] == '(': // a function
			default:
				names = append(names, word)
			}
		default:
			i++
		}
	}
	return names, nil
}

func isNameStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

// skipString moves *i past the string literal that starts there.
func skipString(s string, i *int) error {
	quote := s[*i]
	for j := *i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if quote != '`' {
				j++
			}
		case quote:
			*i = j + 1
			return nil
		}
	}
	return fmt.Errorf("unclosed string at offset %d in %q", *i, s)
}
