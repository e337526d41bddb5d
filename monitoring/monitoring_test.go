// Package monitoring holds no Go code: its tests check the Prometheus alert
// rules (prometheus/) and the Grafana dashboard (grafana/) beside them. Every
// PromQL expression may name only the metrics apishield exports (contract,
// promql_test.go), so a typo fails; promtool checks and unit-tests the rules
// and parses the dashboard's queries; scrape_test.go has a real Prometheus
// scrape the quickstart.
package monitoring

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/testenv"
)

const (
	rulesFile     = "prometheus/alerts.yml"
	rulesTestFile = "prometheus/alerts_test.yml"
	dashboardFile = "grafana/apishield.json"
)

// The alerts issue #17 asks for, by name.
var wantAlerts = []string{
	"ApishieldBruteForce",
	"ApishieldAuthFailureSpike",
	"ApishieldRateLimitBreakerOpen",
	"ApishieldJWKSStale",
	"ApishieldCertificateExpiringSoon",
	"ApishieldAuditEventsDropped",
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr string
		want       []string
		wantErr    string
	}{
		{name: "bare", expr: "apishield_audit_queue_depth", want: []string{"apishield_audit_queue_depth"}},
		{name: "aggregation by before", expr: `sum by (outcome, reason) (rate(apishield_auth_decisions_total{outcome="deny"}[5m]))`,
			want: []string{"apishield_auth_decisions_total"}},
		{name: "aggregation by after", expr: `sum(rate(a_total[5m])) without (instance)`, want: []string{"a_total"}},
		{name: "binary with matching", expr: `a > 7200 and on (job, instance) b > 0`, want: []string{"a", "b"}},
		{name: "group_left labels", expr: `a * on (job) group_left (version) b`, want: []string{"a", "b"}},
		{name: "histogram", expr: `histogram_quantile(0.99, sum by (le) (rate(h_bucket[$__rate_interval])))`, want: []string{"h_bucket"}},
		{name: "grafana variables", expr: `rate(c_total{job=~"$job", instance=~"${instance}"}[$__rate_interval])`, want: []string{"c_total"}},
		{name: "strings and numbers", expr: `label_replace(x, "dst", "$1 sum(y)", "src", "(.*)") < 14 * 86400 + 1e3`, want: []string{"x"}},
		{name: "matchers hold no names", expr: `x{reason="by (y)", kind!~'z|w'}`, want: []string{"x"}},
		{name: "subquery and offset", expr: `max_over_time(rate(x[1m])[1h:5m] offset 5m)`, want: []string{"x"}},
		{name: "keywords in any case", expr: `a AND b Or c UNLESS d`, want: []string{"a", "b", "c", "d"}},
		{name: "by __name__", expr: `{__name__="apishield_x"}`, wantErr: "__name__"},
		{name: "unclosed matcher", expr: `x{a="b"`, wantErr: "unclosed"},
		{name: "unclosed string", expr: `x{a="b}`, wantErr: "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metricNames(tt.expr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("metricNames(%q) error = %v, want one saying %q", tt.expr, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("metricNames(%q) = %q, %v; want %q", tt.expr, got, err, tt.want)
			}
		})
	}
}

// TestUnknownMetrics: a misspelt name, or a histogram queried by its own
// name rather than a series of it, is caught.
func TestUnknownMetrics(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string][]string{
		`rate(apishield_auth_decisions_total[5m])`:                           nil,
		`rate(apishield_auth_decision_total[5m])`:                            {"apishield_auth_decision_total"},
		`rate(apishield_ratelimit_store_duration_seconds_bucket[5m])`:        nil,
		`rate(apishield_ratelimit_store_duration_seconds[5m])`:               {"apishield_ratelimit_store_duration_seconds"},
		`apishield_ratelimit_breaker_state == 2 and up`:                      {"up"},
		`sum by (le) (rate(apishield_audit_write_duration_seconds_sum[5m]))`: nil,
	} {
		got, err := unknownMetrics(expr)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("unknownMetrics(%q) = %q, %v; want %q", expr, got, err, want)
		}
	}
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	Title      string `json:"title"`
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s does not parse: %v", dashboardFile, err)
	}
	if dec.More() {
		t.Fatalf("%s: data after the dashboard object", dashboardFile)
	}
	return d
}

// dashboardQueries returns every PromQL query of the dashboard, named by
// panel and refId.
func dashboardQueries(t *testing.T, d dashboard) map[string]string {
	t.Helper()
	q := map[string]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				q[fmt.Sprintf("panel %d %q query %s", p.ID, p.Title, tg.RefID)] = tg.Expr
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return q
}

// TestDashboard: the dashboard parses, its panels are well formed and use
// the data-source variable, every query names only exported metrics, and
// every exported metric is on it.
func TestDashboard(t *testing.T) {
	t.Parallel()
	d := readDashboard(t)
	if d.Title == "" || d.UID == "" {
		t.Errorf("dashboard title %q, uid %q: want both", d.Title, d.UID)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)["query"].(string)
		// label_values(label) or label_values(selector, label)
		inner, ok := strings.CutPrefix(q, "label_values(")
		if !ok || !strings.HasSuffix(inner, ")") {
			t.Errorf("variable %s: query %q, want label_values(…)", v.Name, q)
			continue
		}
		if sel, _, ok := cutLast(strings.TrimSuffix(inner, ")"), ","); ok {
			if unknown, err := unknownMetrics(sel); err != nil || len(unknown) > 0 {
				t.Errorf("variable %s: query %q: unknown metrics %q, %v", v.Name, q, unknown, err)
			}
		}
	}
	for _, v := range []string{"datasource", "job", "instance"} {
		if !vars[v] {
			t.Errorf("no $%s variable", v)
		}
	}

	ids := map[int]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d used twice", p.ID)
			}
			ids[p.ID] = true
			if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("panel %d %q: gridPos %+v outside the 24-column grid", p.ID, p.Title, g)
			}
			if p.Type != "row" {
				if p.Title == "" || len(p.Targets) == 0 {
					t.Errorf("panel %d: title %q, %d queries; want a title and a query", p.ID, p.Title, len(p.Targets))
				}
				if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
					t.Errorf("panel %d %q: data source %+v, want the ${datasource} variable", p.ID, p.Title, p.Datasource)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)

	used := map[string]bool{}
	names := seriesNames()
	for where, expr := range dashboardQueries(t, d) {
		got, err := metricNames(expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if len(got) == 0 {
			t.Errorf("%s: %q selects no metric", where, expr)
		}
		for _, n := range got {
			m, ok := names[n]
			if !ok {
				t.Errorf("%s: %q names %s, which apishield does not export", where, expr, n)
			}
			used[m] = true
		}
	}
	for _, c := range contract {
		if !used[c.name] {
			t.Errorf("no panel shows %s", c.name)
		}
	}
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// yamlValues returns the values of every "key:" line in a YAML text:
// plain, single- or double-quoted, or a block scalar (| or >). It reads the
// style the files here are written in; TestRules checks it found one
// expression per rule, so another style cannot slip past the name check.
func yamlValues(t *testing.T, text, key string) []string {
	t.Helper()
	lines := strings.Split(text, "\n")
	re := regexp.MustCompile(`^(\s*)(?:- )?` + regexp.QuoteMeta(key) + `:\s*(.*)$`)
	var vals []string
	for i := 0; i < len(lines); i++ {
		m := re.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent, v := len(m[1]), strings.TrimSpace(m[2])
		switch {
		case strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">"):
			var block []string
			for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) > indent) {
				i++
				block = append(block, strings.TrimSpace(lines[i]))
			}
			v = strings.TrimSpace(strings.Join(block, "\n"))
		case strings.HasPrefix(v, "'"):
			if !strings.HasSuffix(v, "'") || len(v) < 2 {
				t.Fatalf("line %d: a quoted %s: on more than one line: %q", i+1, key, v)
			}
			v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		case strings.HasPrefix(v, `"`):
			if err := json.Unmarshal([]byte(v), &v); err != nil {
				t.Fatalf("line %d: %s: %v", i+1, key, err)
			}
		}
		vals = append(vals, v)
	}
	return vals
}

// TestRules: alerts.yml holds the six alerts, each with a for duration, a
// severity label, a summary and a description; its expressions and the
// fixtures' series name only exported metrics; and alerts_test.yml tests
// every alert.
func TestRules(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	rules := string(b)
	alerts := yamlValues(t, rules, "alert")
	if !slices.Equal(alerts, wantAlerts) {
		t.Errorf("alerts %q, want %q", alerts, wantAlerts)
	}
	exprs := yamlValues(t, rules, "expr")
	if len(exprs) != len(alerts) {
		t.Fatalf("%d expressions read for %d alerts: write each expr: as a block scalar (|) or on one line", len(exprs), len(alerts))
	}
	// Each alert's block, from its "- alert:" line to the next.
	blocks := regexp.MustCompile(`(?m)^\s*- alert: `).Split(rules, -1)[1:]
	for i, name := range alerts {
		block := blocks[i]
		for _, want := range []string{`(?m)^\s+for: \d+[smh]\s*$`, `(?m)^\s+severity: (warning|critical)\s*$`,
			`(?m)^\s+summary: \S`, `(?m)^\s+description: \S`} {
			if !regexp.MustCompile(want).MatchString(block) {
				t.Errorf("alert %s lacks a line matching %s", name, want)
			}
		}
		unknown, err := unknownMetrics(exprs[i])
		if err != nil || len(unknown) > 0 {
			t.Errorf("alert %s: %q names metrics apishield does not export: %q %v", name, exprs[i], unknown, err)
		}
	}

	b, err = os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := string(b)
	series := yamlValues(t, tests, "series")
	if len(series) == 0 {
		t.Fatalf("%s: no input series read", rulesTestFile)
	}
	for _, s := range series {
		name, _, _ := strings.Cut(s, "{")
		if unknown, err := unknownMetrics(name); err != nil || len(unknown) > 0 {
			t.Errorf("%s: series %q is no metric apishield exports", rulesTestFile, s)
		}
	}
	tested := yamlValues(t, tests, "alertname")
	for _, a := range wantAlerts {
		if !slices.Contains(tested, a) {
			t.Errorf("%s does not test %s", rulesTestFile, a)
		}
	}
}

// TestREADME: the README's metric table lists the exported metrics.
func TestREADME(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(apishield_[a-z_]+)` \\|").FindAllStringSubmatch(string(b), -1) {
		listed = append(listed, m[1])
	}
	var want []string
	for _, c := range contract {
		want = append(want, c.name)
	}
	if !slices.Equal(listed, want) {
		t.Errorf("README.md's metric table lists %q, want %q", listed, want)
	}
}

// promtool runs promtool with args in dir and returns its output, failing
// the test if it fails.
func promtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	bin := testenv.Prometheus.LookPath(t, "promtool")
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPromtoolCheckRules: Prometheus accepts the rules file.
func TestPromtoolCheckRules(t *testing.T) {
	t.Parallel()
	out := promtool(t, ".", "check", "rules", rulesFile)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(wantAlerts)); !strings.Contains(out, want) {
		t.Errorf("promtool check rules: %s\nwant %q", out, want)
	}
}

// TestPromtoolTestRules: each alert fires on its fixture and stays silent
// on the healthy ones (alerts_test.yml).
func TestPromtoolTestRules(t *testing.T) {
	t.Parallel()
	out := promtool(t, filepath.Dir(rulesTestFile), "test", "rules", filepath.Base(rulesTestFile))
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: %s", out)
	}
}

// grafanaVar matches a Grafana variable in a query.
var grafanaVar = regexp.MustCompile(`\$(\{[^}]*\}|\w+)`)

// promQL turns a dashboard query into plain PromQL: the interval variables
// become 5m, the others match anything.
func promQL(expr string) string {
	return grafanaVar.ReplaceAllStringFunc(expr, func(v string) string {
		switch strings.Trim(v, "${}") {
		case "__rate_interval", "__interval", "__range":
			return "5m"
		}
		return ".*"
	})
}

// TestDashboardQueriesParse: Prometheus's own parser (promtool, reading
// each query as a recording rule) accepts every dashboard query.
func TestDashboardQueriesParse(t *testing.T) {
	t.Parallel()
	queries := dashboardQueries(t, readDashboard(t))
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	keys := make([]string, 0, len(queries))
	for k := range queries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		q, _ := json.Marshal(promQL(queries[k])) // a JSON string is a YAML double-quoted scalar
		fmt.Fprintf(&b, "      # %s\n      - record: dashboard:query_%d\n        expr: %s\n", k, i, q)
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := promtool(t, ".", "check", "rules", file)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(keys)); !strings.Contains(out, want) {
		t.Errorf("promtool check rules on the dashboard's queries: %s\nwant %q", out, want)
	}
}
