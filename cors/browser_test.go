//go:build unix

package cors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/testenv"
	"github.com/apishield/apishield/route"
)

// browserPage is the script both page servers serve. It calls the API
// server with fetch, as a single-page app would, reports what the browser
// let it see to its own origin's /report, then goes to the next page.
const browserPage = `<!doctype html><meta charset="utf-8"><title>cors</title><script>
const api = %q, next = %q;
async function run(name, path, opts) {
  try {
    const r = await fetch(api + path, opts);
    const body = await r.text();
    return {name, ok: true, status: r.status, body,
      requestID: r.headers.get("X-Request-Id") || "", secret: r.headers.get("X-Secret") || "",
      retryAfter: r.headers.get("Retry-After") || ""};
  } catch (e) {
    return {name, ok: false, error: String(e)};
  }
}
(async () => {
  const out = [];
  out.push(await run("simple-get", "/v1/items", {}));
  out.push(await run("simple-post", "/v1/items", {method: "POST", body: "a=1", headers: {"Content-Type": "text/plain"}}));
  out.push(await run("put-json", "/v1/items/7", {method: "PUT", body: '{"a":1}', headers: {"Content-Type": "application/json", "X-Trace": "t1"}}));
  out.push(await run("delete", "/v1/items/7", {method: "DELETE"}));
  out.push(await run("bad-header", "/v1/items/8", {method: "PUT", body: "{}", headers: {"X-Evil": "1"}}));
  out.push(await run("login", "/login", {method: "POST", credentials: "include"}));
  out.push(await run("whoami", "/whoami", {credentials: "include"}));
  out.push(await run("whoami-no-credentials", "/whoami", {}));
  out.push(await run("public", "/v1/public", {}));
  out.push(await run("public-credentials", "/v1/public", {credentials: "include"}));
  out.push(await run("limited", "/v1/limited", {}));
  await fetch("/report", {method: "POST", body: JSON.stringify(out)});
  if (next) location.href = next;
})();
</script>`

// browserResult is one fetch as the page saw it.
type browserResult struct {
	Name       string `json:"name"`
	OK         bool   `json:"ok"` // false: the browser refused to let the page see the response
	Status     int    `json:"status"`
	Body       string `json:"body"`
	RequestID  string `json:"requestID"`
	Secret     string `json:"secret"`
	RetryAfter string `json:"retryAfter"`
	Error      string `json:"error"`
}

// pageServer serves browserPage and receives its report.
type pageServer struct {
	*httptest.Server
	mu        sync.Mutex // the race detector cannot see that Chromium starts after the URLs are set
	api, next string
	reports   chan []browserResult
}

func (ps *pageServer) set(api, next string) {
	ps.mu.Lock()
	ps.api, ps.next = api, next
	ps.mu.Unlock()
}

func newPageServer(t *testing.T) *pageServer {
	ps := &pageServer{reports: make(chan []browserResult, 1)}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			ps.mu.Lock()
			api, next := ps.api, ps.next
			ps.mu.Unlock()
			fmt.Fprintf(w, browserPage, api, next)
		case "/report":
			var res []browserResult
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&res); err != nil {
				t.Errorf("report from %s: %v", ps.URL, err)
			}
			select {
			case ps.reports <- res:
			default:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ps.Close)
	return ps
}

// TestBrowser proves the middleware in headless Chromium: a page on an
// allowed origin and one on a refused origin call the API on a third
// origin with simple, preflighted and credentialed requests, and the test
// reads what the browser let each page see, and which requests reached
// the API's handlers.
func TestBrowser(t *testing.T) {
	bin := testenv.Chromium.LookPath(t, "chromium")

	allowed, refused := newPageServer(t), newPageServer(t)

	var mu sync.Mutex
	reached := map[string]bool{} // "origin METHOD /path" of requests the handlers saw
	api := http.NewServeMux()
	see := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		api.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			reached[r.Header.Get("Origin")+" "+r.Method+" "+r.URL.Path] = true
			mu.Unlock()
			w.Header().Set("X-Secret", "not exposed")
			h(w, r)
		})
	}
	see("GET /v1/items", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"items":[]}`) })
	see("POST /v1/items", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "created") })
	see("PUT /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1024))
		fmt.Fprintf(w, "%s %s", r.Header.Get("X-Trace"), body)
	})
	see("DELETE /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	see("POST /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s3cret", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	})
	see("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err == nil {
			io.WriteString(w, "sid="+c.Value)
			return
		}
		io.WriteString(w, "no cookie")
	})
	see("GET /v1/public", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") })
	// An inner middleware's problem, as a rate limiter behind cors writes it.
	see("GET /v1/limited", func(w http.ResponseWriter, r *http.Request) {
		apierrors.Write(w, r, apierrors.New(http.StatusTooManyRequests, apierrors.ReasonRateLimited, "Slow down.").WithHeader("Retry-After", "7"))
	})

	rt := route.Mux(api)
	c := MustNew(Config{
		Policy: Policy{
			AllowedOrigins:   []string{allowed.URL},
			AllowedMethods:   []string{"GET", "POST", "PUT"},
			AllowedHeaders:   []string{"Content-Type", "X-Trace"},
			ExposedHeaders:   []string{"X-Request-Id", "Retry-After"},
			AllowCredentials: true,
		},
		Routes: map[string]Policy{"/v1/public": {AllowedOrigins: []string{"*"}}},
		Route:  rt,
	})
	apiSrv := httptest.NewServer(rt(c.Handler(api)))
	t.Cleanup(apiSrv.Close)
	allowed.set(apiSrv.URL, refused.URL+"/")
	refused.set(apiSrv.URL, "")

	dir, err := os.MkdirTemp("", "apishield-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) }) // best effort: a dying renderer may still hold a file
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-proxy-server", "--disable-dev-shm-usage",
		"--disable-breakpad", "--disable-crash-reporter",
		"--user-data-dir="+dir, allowed.URL+"/")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Chromium starts helper processes; give them a group of their own and
	// end the group, and only it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cancel()
		<-exited
	}

	wait := func(ps *pageServer, who string) map[string]browserResult {
		select {
		case res := <-ps.reports:
			m := map[string]browserResult{}
			for _, r := range res {
				m[r.Name] = r
			}
			return m
		case err := <-exited:
			t.Fatalf("chromium exited before the %s page reported: %v\n%s", who, err, out.String())
		case <-ctx.Done():
			stop()
			t.Fatalf("no report from the %s page: %v\n%s", who, ctx.Err(), out.String())
		}
		return nil
	}
	fromAllowed := wait(allowed, "allowed")
	fromRefused := wait(refused, "refused")
	stop()

	type want struct {
		ok      bool   // the page could read the response
		body    string // if ok
		reached bool   // the API's handler ran
		method  string
		path    string
	}
	check := func(t *testing.T, origin string, got map[string]browserResult, wants map[string]want) {
		for name, w := range wants {
			g, found := got[name]
			if !found {
				t.Errorf("%s: no result", name)
				continue
			}
			if g.OK != w.ok {
				t.Errorf("%s: page could read the response = %v (status %d, error %q), want %v", name, g.OK, g.Status, g.Error, w.ok)
			} else if w.ok && (g.Status != 200 || g.Body != w.body) {
				t.Errorf("%s: got %d %q, want 200 %q", name, g.Status, g.Body, w.body)
			}
			mu.Lock()
			r := reached[origin+" "+w.method+" "+w.path]
			mu.Unlock()
			if r != w.reached {
				t.Errorf("%s: handler ran = %v, want %v", name, r, w.reached)
			}
		}
	}

	t.Run("allowed origin", func(t *testing.T) {
		check(t, allowed.URL, fromAllowed, map[string]want{
			"simple-get":            {true, `{"items":[]}`, true, "GET", "/v1/items"},
			"simple-post":           {true, "created", true, "POST", "/v1/items"},
			"put-json":              {true, `t1 {"a":1}`, true, "PUT", "/v1/items/7"},
			"delete":                {false, "", false, "DELETE", "/v1/items/7"},
			"bad-header":            {false, "", false, "PUT", "/v1/items/8"},
			"login":                 {true, "", true, "POST", "/login"},
			"whoami":                {true, "sid=s3cret", true, "GET", "/whoami"},
			"public":                {true, "public", true, "GET", "/v1/public"},
			"public-credentials":    {false, "", true, "GET", "/v1/public"},
			"whoami-no-credentials": {true, "no cookie", true, "GET", "/whoami"},
		})
		if g := fromAllowed["simple-get"]; g.RequestID == "" || g.Secret != "" {
			t.Errorf("simple-get: page read X-Request-Id %q and X-Secret %q; want the exposed one only", g.RequestID, g.Secret)
		}
		// The problems of the middleware behind cors are the page's to read.
		if g := fromAllowed["limited"]; !g.OK || g.Status != http.StatusTooManyRequests || g.RetryAfter != "7" || !strings.Contains(g.Body, "rate_limited") {
			t.Errorf("limited: page read %v %d Retry-After %q %q; want the 429 problem and its Retry-After", g.OK, g.Status, g.RetryAfter, g.Body)
		}
	})
	t.Run("refused origin", func(t *testing.T) {
		check(t, refused.URL, fromRefused, map[string]want{
			"simple-get":         {false, "", false, "GET", "/v1/items"},
			"simple-post":        {false, "", false, "POST", "/v1/items"},
			"put-json":           {false, "", false, "PUT", "/v1/items/7"},
			"delete":             {false, "", false, "DELETE", "/v1/items/7"},
			"login":              {false, "", false, "POST", "/login"},
			"whoami":             {false, "", false, "GET", "/whoami"},
			"public":             {true, "public", true, "GET", "/v1/public"},
			"public-credentials": {false, "", true, "GET", "/v1/public"},
			"limited":            {false, "", false, "GET", "/v1/limited"},
		})
	})
	if t.Failed() {
		t.Logf("chromium output:\n%s", out.String())
	}
}
