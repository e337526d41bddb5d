package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"time"
)

// echoUpstream is the demo upstream: a service with no security of its own
// that answers every request with what it received from the gateway, so
// you can see which headers arrive. POST answers 201.
func echoUpstream(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body) // the gateway bounds the body
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"upstream":           "demo",
		"method":             r.Method,
		"path":               r.URL.Path,
		"subject":            r.Header.Get(subjectHeader),
		"scopes":             r.Header.Get(scopesHeader),
		"auth_method":        r.Header.Get(methodHeader),
		"request_id":         r.Header.Get(requestIDHeader),
		"x_forwarded_for":    r.Header.Get("X-Forwarded-For"),
		"authorization_seen": r.Header.Get("Authorization") != "",
		"body_bytes":         n,
	})
}

// startDemoUpstream serves echoUpstream on a free loopback port and returns
// its URL and a function that stops it.
func startDemoUpstream() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(echoUpstream), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
