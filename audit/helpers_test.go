package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/apishield/apishield/internal/record"
)

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTest returns an auditor writing JSON lines to a buffer, closed (and
// so flushed) by the returned function, which returns the parsed lines.
func newTest(t *testing.T, cfg Config) (*Auditor, func() []map[string]any, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	cfg.Handlers = append(cfg.Handlers, NewJSONHandler(buf, nil))
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var lines []map[string]any
	flush := func() []map[string]any {
		once.Do(func() {
			if err := a.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			lines = parseLines(t, buf.String())
		})
		return lines
	}
	t.Cleanup(func() { flush() })
	return a, flush, buf
}

// parseLines parses JSON lines, failing on any line that is not one JSON
// object.
func parseLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		m, err := decodeLine([]byte(line))
		if err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", i+1, err, line)
		}
		out = append(out, m)
	}
	return out
}

// get walks a dotted path through nested objects.
func get(m map[string]any, path string) any {
	if v, ok := m[path]; ok { // a dotted key such as log.level
		return v
	}
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func str(m map[string]any, path string) string {
	s, _ := get(m, path).(string)
	return s
}

func num(m map[string]any, path string) int64 {
	n, _ := get(m, path).(json.Number)
	i, _ := n.Int64()
	return i
}

// errHandler fails every Handle.
type errHandler struct{ slog.Handler }

func (errHandler) Enabled(context.Context, slog.Level) bool { return true }
func (errHandler) Handle(context.Context, slog.Record) error {
	return errSink
}

var errSink = &sinkError{}

type sinkError struct{}

func (*sinkError) Error() string { return "sink is down" }

// gateHandler blocks every Handle until gate is closed, counting calls.
type gateHandler struct {
	slog.Handler
	gate    chan struct{}
	entered chan struct{}
	mu      sync.Mutex
	n       int
}

func newGate() *gateHandler {
	return &gateHandler{gate: make(chan struct{}), entered: make(chan struct{}, 1024)}
}

func (g *gateHandler) Enabled(context.Context, slog.Level) bool { return true }
func (g *gateHandler) Handle(context.Context, slog.Record) error {
	g.entered <- struct{}{}
	<-g.gate
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
	return nil
}

func (g *gateHandler) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

func decodeLine(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// serveRec serves one request through a's Handler: h decides what the record
// holds and what is written.
func serveRec(a *Auditor, req *http.Request, h func(w http.ResponseWriter, r *http.Request, rec *record.Record)) {
	serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, record.From(r.Context()))
	}), req)
}
