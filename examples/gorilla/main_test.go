package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exported holds the shell variables the example printed as
// "export NAME=value" lines, for the curl commands that use them.
type exported map[string]string

// started runs the example on a free loopback port with extra flags and
// returns the curl commands it printed, with the variables they expand.
func started(t *testing.T, flags ...string) []string {
	cmds, _ := startedEnv(t, flags...)
	return cmds
}

func startedEnv(t *testing.T, flags ...string) ([]string, exported) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		args := append([]string{"-addr", "127.0.0.1:0"}, flags...)
		done <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	var cmds []string
	env := exported{}
	sc := bufio.NewScanner(pr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "curl ") {
			cmds = append(cmds, line)
		}
		if v, ok := strings.CutPrefix(line, "export "); ok {
			v, _, _ = strings.Cut(v, "  #")
			name, value, _ := strings.Cut(v, "=")
			env[name] = value
		}
		if line == "Press Ctrl-C to stop." {
			go io.Copy(io.Discard, pr)
			return cmds, env
		}
	}
	t.Fatalf("example stopped before printing its commands: %v", sc.Err())
	return nil, nil
}

// TestDocumentedCommands runs every curl command the example prints, as a
// new user would, and checks the status each one documents and the shape of
// its body.
func TestDocumentedCommands(t *testing.T) {
	cmds, env := startedEnv(t)
	if len(cmds) < 6 {
		t.Fatalf("only %d curl commands printed", len(cmds))
	}
	for _, line := range cmds {
		t.Run(line, func(t *testing.T) { runCurl(t, line, env) })
	}
}

func runCurl(t *testing.T, line string, env exported) {
	req, want := parseCurl(t, line, env)
	client := &http.Client{Timeout: 10 * time.Second}
	if req.URL.Scheme != "http" {
		t.Fatalf("URL scheme %q, want http", req.URL.Scheme)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, want, body)
	}
	if !json.Valid(body) {
		t.Fatalf("body is not JSON: %q", body)
	}
	if id := resp.Header.Get("X-Request-ID"); id == "" {
		t.Error("no X-Request-ID")
	}
	if want >= 400 {
		var p struct {
			Status int    `json:"status"`
			Reason string `json:"reason"`
		}
		json.Unmarshal(body, &p)
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || p.Status != want || p.Reason == "" {
			t.Errorf("want a problem: Content-Type %q, body %s", ct, body)
		}
	}
}

// parseCurl turns one printed curl command into a request and the status its
// trailing "# NNN" comment promises. It knows the flags the example
// prints; an unknown flag fails the test, so new commands get covered.
func parseCurl(t *testing.T, line string, env exported) (*http.Request, int) {
	t.Helper()
	cmd, comment, ok := strings.Cut(line, "# ")
	if !ok {
		t.Fatalf("no expected status comment in %q", line)
	}
	want, err := strconv.Atoi(strings.Fields(comment)[0])
	if err != nil {
		t.Fatalf("bad status comment in %q", line)
	}
	args := shellSplit(t, cmd, env)[1:]
	method, url, data := "", "", ""
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
		case strings.HasPrefix(a, "http://"):
			url = a
		default:
			t.Fatalf("parseCurl does not know %q in %q", a, line)
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
	req.Header = hdr
	return req, want
}

// shellSplit splits a command line on spaces as a shell would for the
// quoting the example prints: single quotes are literal, double quotes
// expand $NAME from env (an unset name fails the test).
func shellSplit(t *testing.T, s string, env exported) []string {
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
				t.Fatalf("$%s is not exported by the example", string(rs[i+1:j]))
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

// TestPlainHTTPOnlyOnLoopback: plain HTTP must not be exposed beyond the
// machine.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a refusal to serve plain HTTP beyond loopback", err)
	}
}

func TestBadFlag(t *testing.T) {
	err := run(context.Background(), []string{"-nope"}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("run accepted an unknown flag")
	}
}

func TestAddressInUse(t *testing.T) {
	cmds := started(t)
	addr := strings.TrimPrefix(strings.Fields(cmds[0])[2], "http://")
	addr = strings.TrimSuffix(addr, "/healthz")
	err := run(context.Background(), []string{"-addr", addr}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(fmt.Sprint(err), "address already in use") {
		t.Fatalf("second listener on %s: err = %v, want address already in use", addr, err)
	}
}
