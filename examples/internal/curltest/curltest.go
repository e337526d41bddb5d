// Package curltest runs the curl commands an example server prints, as a
// new user pasting them into a shell would, so the examples' documentation
// cannot drift from their behaviour. It is test machinery for the examples.
package curltest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A RunFunc is an example's run: it serves until ctx is done and prints its
// address and commands to stdout.
type RunFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Printed is what an example printed before "Press Ctrl-C to stop.".
type Printed struct {
	Base     string            // the URL after "listening on"
	Commands []string          // the curl command lines
	Env      map[string]string // the "export NAME=value" lines
}

// Start runs run with args until the test ends (its error then fails the
// test) and returns what it printed. Output after the commands, such as
// audit events, is discarded unless rest is given, which then receives it.
func Start(t testing.TB, run RunFunc, args []string, rest ...io.Writer) Printed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	p := Printed{Env: map[string]string{}}
	sc := bufio.NewScanner(pr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if _, after, ok := strings.Cut(line, " listening on "); ok && p.Base == "" {
			p.Base, _, _ = strings.Cut(after, ",")
		}
		if strings.HasPrefix(line, "curl ") {
			p.Commands = append(p.Commands, line)
		}
		if v, ok := strings.CutPrefix(line, "export "); ok {
			v, _, _ = strings.Cut(v, "  #")
			name, value, _ := strings.Cut(v, "=")
			p.Env[name] = value
		}
		if line == "Press Ctrl-C to stop." {
			out := io.Discard
			if len(rest) > 0 {
				out = rest[0]
			}
			go io.Copy(out, pr)
			return p
		}
	}
	t.Fatalf("the server stopped before printing its commands: %v", sc.Err())
	return p
}

// Command is one printed command, parsed.
type Command struct {
	Request *http.Request
	Want    int          // the status its trailing "# NNN" comment promises
	Client  *http.Client // trusts the --cacert file, if the command names one
}

// Parse turns one printed curl command into a request. It knows the flags
// the examples print; an unknown flag fails the test, so a new kind of
// command gets covered.
func Parse(t testing.TB, line string, env map[string]string) Command {
	t.Helper()
	cmd, comment, ok := strings.Cut(line, "# ")
	if !ok {
		t.Fatalf("no expected status comment in %q", line)
	}
	want, err := strconv.Atoi(strings.Fields(comment)[0])
	if err != nil {
		t.Fatalf("bad status comment in %q", line)
	}
	args := Split(t, cmd, env)[1:]
	method, url, data, cacert := "", "", "", ""
	hdr := http.Header{}
	for i := 0; i < len(args); i++ {
		next := func() string {
			i++
			if i >= len(args) {
				t.Fatalf("flag %s lacks its value in %q", args[i-1], line)
			}
			return args[i]
		}
		switch a := args[i]; {
		case a == "-i" || a == "-s" || a == "-sS":
		case a == "-X":
			method = next()
		case a == "-H":
			k, v, _ := strings.Cut(next(), ":")
			hdr.Add(k, strings.TrimSpace(v))
		case a == "-d" || a == "--data":
			data = next()
		case a == "--cacert":
			cacert = next()
		case strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://"):
			url = a
		default:
			t.Fatalf("curltest does not know %q in %q", a, line)
		}
	}
	if method == "" {
		method = "GET"
		if data != "" {
			method = "POST"
		}
	}
	var body io.Reader
	if data != "" {
		body = strings.NewReader(data)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if h := hdr.Get("Host"); h != "" { // curl -H 'Host: …' names the request's Host, as Go's Request.Host does
		req.Host = h
		hdr.Del("Host")
	}
	req.Header = hdr
	client := &http.Client{Timeout: 10 * time.Second}
	if cacert != "" {
		pem, err := os.ReadFile(cacert)
		if err != nil {
			t.Fatalf("--cacert: %v", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			t.Fatalf("--cacert %s holds no certificate", cacert)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	}
	return Command{Request: req, Want: want, Client: client}
}

// Check sends the command and checks what every example promises: the
// documented status, a JSON body (none for a 204), exactly one X-Request-ID, and for an
// error an RFC 9457 problem with that status, a reason and a title. It
// returns the response (its body read and closed) and the body.
func Check(t testing.TB, c Command) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Client.Do(c.Request)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != c.Want {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, c.Want, body)
	}
	switch {
	case c.Want == http.StatusNoContent:
		if len(body) != 0 {
			t.Fatalf("a 204 with a body: %q", body)
		}
	case !json.Valid(body):
		t.Fatalf("body is not JSON: %q", body)
	}
	if id := resp.Header.Values("X-Request-ID"); len(id) != 1 || id[0] == "" {
		t.Errorf("X-Request-ID = %q, want one", id)
	}
	if c.Want >= 400 {
		var p struct {
			Status int    `json:"status"`
			Reason string `json:"reason"`
			Title  string `json:"title"`
		}
		json.Unmarshal(body, &p)
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || p.Status != c.Want || p.Reason == "" || p.Title == "" {
			t.Errorf("want a %d problem: Content-Type %q, body %s", c.Want, ct, body)
		}
	}
	return resp, body
}

// Split splits a command line on spaces as a shell would for the quoting
// the examples print: single quotes are literal, double quotes expand $NAME
// from env (an unset name fails the test).
func Split(t testing.TB, s string, env map[string]string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	var quote rune
	have := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == 0 && (r == '\'' || r == '"'):
			quote, have = r, true
		case r == quote:
			quote = 0
		case quote == '"' && r == '$':
			j := i + 1
			for j < len(rs) && (rs[j] == '_' || 'A' <= rs[j] && rs[j] <= 'Z' || '0' <= rs[j] && rs[j] <= '9') {
				j++
			}
			v, ok := env[string(rs[i+1:j])]
			if !ok {
				t.Fatalf("$%s is not exported by the server", string(rs[i+1:j]))
			}
			cur.WriteString(v)
			i = j - 1
		case r == ' ' && quote == 0:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}
