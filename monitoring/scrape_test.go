package monitoring

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/testenv"
)

// instrumented lists the packages whose metrics (issue #17)
// TestPrometheusScrapesQuickstart checks, by the last element of their
// instrumentation scope, github.com/apishield/apishield/<package>. The
// test fails if a package not listed exports metrics, so that its checks
// in awaitingInstruments get switched on when its instruments land.
var instrumented = map[string]bool{"auth": true, "authz": true, "validate": true, "ratelimit": true, "audit": true, "headers": true}

// A scrapeCheck is a PromQL query that must return at least one series
// once the quickstart has served the requests the test sends; pkg, if
// set, is the package whose instruments it needs.
type scrapeCheck struct{ pkg, why, query string }

// exporterChecks hold whenever the quickstart serves metrics.
var exporterChecks = []scrapeCheck{
	{"", "Prometheus scrapes the quickstart", `up{job="quickstart"} == 1`},
	{"", "the exporter names the service", `target_info{job="quickstart", service_name="apishield-quickstart"}`},
	{"", "the Go runtime's metrics are there", `go_goroutines{job="quickstart"} > 0`},
}

// awaitingInstruments hold once a package records its metrics (list it in
// instrumented): the test's requests, as counted by each package.
var awaitingInstruments = []scrapeCheck{
	{"auth", "the forged token refused", `apishield_auth_decisions_total{job="quickstart", outcome="deny", method="jwt"} >= 1`},
	{"auth", "the demo token accepted", `apishield_auth_decisions_total{job="quickstart", outcome="allow", method="jwt"} >= 1`},
	{"auth", "the key set fetched", `apishield_auth_jwks_fetches_total{job="quickstart", outcome="success"} >= 1`},
	{"auth", "the key set's age", `apishield_auth_jwks_age_seconds{job="quickstart"} >= 0`},
	{"authz", "the reader's write refused by the policy", `apishield_authz_decisions_total{job="quickstart", outcome="deny"} >= 1`},
	{"validate", "the invalid body refused", `apishield_validate_failures_total{job="quickstart", kind="body"} >= 1`},
	{"ratelimit", "the flood limited", `apishield_ratelimit_decisions_total{job="quickstart", limiter="subject", outcome="deny"} >= 1`},
	{"ratelimit", "allowed requests counted by the limiter", `apishield_ratelimit_decisions_total{job="quickstart", limiter="ip", outcome="allow"} >= 1`},
	{"audit", "the audit queue measured", `apishield_audit_queue_depth{job="quickstart"} >= 0`},
	{"audit", "the audit writes timed", `apishield_audit_write_duration_seconds_count{job="quickstart", format="ecs"} >= 1`},
	{"headers", "the requests' Host allowed", `apishield_headers_host_decisions_total{job="quickstart", outcome="allow"} >= 1`},
}

// TestPrometheusScrapesQuickstart builds the quickstart and runs it with
// its metrics on a free loopback port, starts a real Prometheus on another
// with a configuration that scrapes it every second and loads alerts.yml,
// sends requests that are refused (401, 403, 422, 429) and allowed, and
// queries Prometheus's HTTP API until the series appear. It also checks
// that Prometheus evaluates every alert rule without error and answers
// every dashboard query.
func TestPrometheusScrapesQuickstart(t *testing.T) {
	prometheus := testenv.Prometheus.LookPath(t, "prometheus")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH to build the quickstart: %v", err)
	}
	dir := t.TempDir()

	bin := filepath.Join(dir, "quickstart")
	build := exec.Command(goBin, "build", "-o", bin, "github.com/apishield/apishield/examples/quickstart")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build the quickstart: %v\n%s", err, out)
	}
	qs := startQuickstart(t, bin, dir)

	metricsURL, err := url.Parse(qs.metricsURL)
	if err != nil || metricsURL.Path != "/metrics" {
		t.Fatalf("metrics URL %q: %v", qs.metricsURL, err)
	}
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	promAddr := freeLoopbackAddr(t)
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: quickstart
    static_configs:
      - targets: [%q]
`, rules, metricsURL.Host)
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	promLog, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	prom := exec.Command(prometheus,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
		"--log.level=warn")
	prom.Stdout, prom.Stderr = promLog, promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	promDone := make(chan error, 1)
	go func() { promDone <- prom.Wait() }()
	t.Cleanup(func() {
		prom.Process.Signal(syscall.SIGTERM)
		select {
		case <-promDone:
		case <-time.After(10 * time.Second):
			prom.Process.Kill()
			<-promDone
		}
		if t.Failed() {
			if b, err := os.ReadFile(promLog.Name()); err == nil {
				t.Logf("prometheus log:\n%s", b)
			}
		}
		promLog.Close()
	})
	api := "http://" + promAddr
	waitFor(t, "Prometheus ready", func() (bool, string) {
		select {
		case err := <-promDone:
			promDone <- err
			b, _ := os.ReadFile(promLog.Name())
			t.Fatalf("prometheus exited: %v\n%s", err, b)
		default:
		}
		resp, err := http.Get(api + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})

	qs.drive(t)

	checks := exporterChecks
	for _, c := range awaitingInstruments {
		if instrumented[c.pkg] {
			checks = append(checks, c)
		}
	}
	for _, c := range checks {
		waitFor(t, c.why+": "+c.query, func() (bool, string) {
			res, err := query(api, c.query)
			if err != nil {
				return false, err.Error()
			}
			return len(res) > 0, "no series"
		})
	}
	// Which packages export metrics, by their instrumentation scope.
	res, err := query(api, `count by (otel_scope_name) ({job="quickstart", __name__=~"apishield_.+"})`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		var series struct {
			Metric struct {
				Scope string `json:"otel_scope_name"`
			} `json:"metric"`
		}
		if err := json.Unmarshal(r, &series); err != nil {
			t.Fatal(err)
		}
		pkg := series.Metric.Scope[strings.LastIndex(series.Metric.Scope, "/")+1:]
		if !instrumented[pkg] {
			t.Errorf("the quickstart exports metrics of %s: add %q to instrumented in monitoring/scrape_test.go to check them",
				series.Metric.Scope, pkg)
		}
	}

	// The alert rules, as the real Prometheus evaluates them: all six
	// loaded and evaluated without error.
	waitFor(t, "every alert rule evaluated", func() (bool, string) {
		var r struct {
			Data struct {
				Groups []struct {
					Rules []struct {
						Name, Type, Health, LastError string
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		if err := getJSON(api+"/api/v1/rules", &r); err != nil {
			return false, err.Error()
		}
		var healthy []string
		var state []string
		for _, g := range r.Data.Groups {
			for _, rule := range g.Rules {
				state = append(state, fmt.Sprintf("%s %s %s", rule.Name, rule.Health, rule.LastError))
				if rule.Type == "alerting" && rule.Health == "ok" {
					healthy = append(healthy, rule.Name)
				}
				if rule.Health == "err" {
					t.Fatalf("rule %s: %s", rule.Name, rule.LastError)
				}
			}
		}
		return len(healthy) == len(wantAlerts), strings.Join(state, "; ")
	})

	// Every dashboard query, as Grafana would send it.
	for where, expr := range dashboardQueries(t, readDashboard(t)) {
		if _, err := query(api, promQL(expr)); err != nil {
			t.Errorf("%s: Prometheus refuses %q: %v", where, promQL(expr), err)
		}
	}
}

// quickstart is a running quickstart, as its banner describes it.
type quickstart struct {
	base, metricsURL string
	tokens           map[string]string
}

// startQuickstart runs the built quickstart over plain HTTP on free
// loopback ports until the test ends, and reads its banner.
func startQuickstart(t *testing.T, bin, dir string) quickstart {
	t.Helper()
	cmd := exec.Command(bin, "-http", "-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0",
		"-cert-out", filepath.Join(dir, "cert.pem"))
	stderr, err := os.Create(filepath.Join(dir, "quickstart.err"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	// A pipe of the test's own, rather than StdoutPipe, so that the audit
	// events can still be read while Wait runs.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Ctrl-C, as a user stops it: it must exit cleanly.
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("quickstart after Ctrl-C: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("quickstart still running 15 s after Ctrl-C")
		}
		if t.Failed() {
			b, _ := os.ReadFile(stderr.Name())
			t.Logf("quickstart stderr:\n%s", b)
		}
		stderr.Close()
		stdout.Close()
	})
	qs := quickstart{tokens: map[string]string{}}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if _, after, ok := strings.Cut(line, " listening on "); ok {
			qs.base = after
		}
		if after, ok := strings.CutPrefix(line, "Prometheus metrics on "); ok {
			qs.metricsURL, _, _ = strings.Cut(after, " ")
		}
		if v, ok := strings.CutPrefix(line, "export "); ok {
			v, _, _ = strings.Cut(v, "  #")
			name, value, _ := strings.Cut(v, "=")
			qs.tokens[name] = value
		}
		if line == "Press Ctrl-C to stop." {
			go io.Copy(io.Discard, stdout) // the audit events
			if qs.base == "" || qs.metricsURL == "" || qs.tokens["TOKEN"] == "" || qs.tokens["READER"] == "" {
				t.Fatalf("the banner lacks the address, the metrics URL or the tokens: %+v", qs)
			}
			return qs
		}
	}
	b, _ := os.ReadFile(stderr.Name())
	t.Fatalf("the quickstart stopped before printing its commands: %v\n%s", sc.Err(), b)
	return qs
}

// drive sends the requests whose decisions the packages count: a forged
// token and no token (401), the demo token (200), a reader writing (403),
// a malformed body (422), and the reader until its burst runs out (429).
func (qs quickstart) drive(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(method, path, token, body string) int {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, qs.base+path, r)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/v1/items", "not-a-token", "", http.StatusUnauthorized},
		{"GET", "/v1/items", "", "", http.StatusUnauthorized},
		{"GET", "/v1/items", qs.tokens["TOKEN"], "", http.StatusOK},
		{"POST", "/v1/items", qs.tokens["READER"], `{"name":"pen","price":3}`, http.StatusForbidden},
		{"POST", "/v1/items", qs.tokens["TOKEN"], `{"name":"","price":-1}`, http.StatusUnprocessableEntity},
	} {
		if got := do(c.method, c.path, c.token, c.body); got != c.want {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, got, c.want)
		}
	}
	for i := 0; ; i++ {
		got := do("GET", "/v1/items", qs.tokens["READER"], "")
		if got == http.StatusTooManyRequests {
			break
		}
		if got != http.StatusOK || i == 100 {
			t.Fatalf("request %d of the reader's flood: %d, want 200 until a 429", i+1, got)
		}
	}
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago, for a program that takes its listen address as a flag.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls cond every 200 ms until it holds, failing the test after
// 30 s with the last state cond reported.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30 s (%s)", what, state)
		}
		<-tick.C
	}
}

// query runs an instant query and returns its result vector.
func query(api, q string) ([]json.RawMessage, error) {
	var r struct {
		Status, Error string
		Data          struct {
			ResultType string            `json:"resultType"`
			Result     []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(api+"/api/v1/query?query="+url.QueryEscape(q), &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s %s", q, r.Status, r.Error)
	}
	return r.Data.Result, nil
}

// getJSON decodes the JSON body of a GET; Prometheus answers a bad query
// with a 400 whose body says why, which the caller reads.
func getJSON(u string, v any) error {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 10<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %s: %v", u, resp.Status, err)
	}
	return nil
}
