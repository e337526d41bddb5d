package validate_test

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apishield/apishield/validate"
)

// hostileCase is one line of testdata/hostile/manifest.txt.
type hostileCase struct {
	name, file  string
	body        []byte
	status      int
	reason      string
	contentType string
}

// loadCorpus reads the hostile-input corpus and the schema it is checked
// against.
func loadCorpus(tb testing.TB) (schema []byte, cases []hostileCase) {
	tb.Helper()
	dir := filepath.Join("testdata", "hostile")
	schema, err := os.ReadFile(filepath.Join(dir, "schema.json"))
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "manifest.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || len(fields) > 4 {
			tb.Fatalf("manifest: bad line %q", line)
		}
		c := hostileCase{file: fields[0], reason: fields[2], contentType: "application/json"}
		if c.status, err = strconv.Atoi(fields[1]); err != nil {
			tb.Fatalf("manifest: bad status in %q", line)
		}
		if c.reason == "-" {
			c.reason = ""
		}
		if len(fields) == 4 {
			c.contentType = fields[3]
		}
		c.name = c.file
		if c.contentType != "application/json" {
			c.name += "/" + c.contentType
		}
		c.body = readCase(tb, filepath.Join(dir, c.file))
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return schema, cases
}

// readCase returns a case's body, expanding a .gen file.
func readCase(tb testing.TB, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if filepath.Ext(path) != ".gen" {
		return b
	}
	var out bytes.Buffer
	for line := range strings.Lines(string(b)) {
		count, quoted, ok := strings.Cut(strings.TrimSpace(line), " ")
		n, err := strconv.Atoi(count)
		text, err2 := strconv.Unquote(quoted)
		if !ok || err != nil || err2 != nil {
			tb.Fatalf("%s: bad line %q", path, line)
		}
		for i := range n {
			out.WriteString(strings.ReplaceAll(text, "{{i}}", strconv.Itoa(i)))
		}
	}
	return out.Bytes()
}

func corpusRequest(c hostileCase) *http.Request {
	req := httptest.NewRequest("POST", "/v1/items", bytes.NewReader(c.body))
	req.Header.Set("Content-Type", c.contentType)
	return req
}

// TestHostileCorpus sends every corpus case through the middleware and
// checks its status and reason. Its benchmark twin, BenchmarkHostileCorpus,
// shows what each costs.
func TestHostileCorpus(t *testing.T) {
	t.Parallel()
	schema, cases := loadCorpus(t)
	if len(cases) < 50 {
		t.Fatalf("only %d corpus cases", len(cases))
	}
	v := validate.MustNew(validate.Config{Body: schema})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rr, p := serve(t, v, corpusRequest(c))
			if rr.Code != c.status {
				t.Fatalf("status = %d, want %d; %s", rr.Code, c.status, truncate(rr.Body.String()))
			}
			if p.Reason != c.reason {
				t.Errorf("reason = %q, want %q", p.Reason, c.reason)
			}
			if c.status == 400 && !strings.Contains(p.Detail, "at byte") {
				t.Errorf("400 detail %q does not say where", p.Detail)
			}
			if rr.Code >= 400 && rr.Body.Len() > 2048 {
				t.Errorf("problem body is %d bytes; it must not grow with the input", rr.Body.Len())
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
