package validate

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// HostileCase is one line of testdata/hostile/manifest.txt. It and
// LoadCorpus exist only in test builds, for the external tests.
type HostileCase struct {
	Name, File  string
	Body        []byte
	Status      int
	Reason      string
	ContentType string
}

// loadCorpus reads the hostile-input corpus and the schema it is checked
// against.
func LoadCorpus(tb testing.TB) (schema []byte, cases []HostileCase) {
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
		c := HostileCase{File: fields[0], Reason: fields[2], ContentType: "application/json"}
		if c.Status, err = strconv.Atoi(fields[1]); err != nil {
			tb.Fatalf("manifest: bad status in %q", line)
		}
		if c.Reason == "-" {
			c.Reason = ""
		}
		if len(fields) == 4 {
			c.ContentType = fields[3]
		}
		c.Name = c.File
		if c.ContentType != "application/json" {
			c.Name += "/" + c.ContentType
		}
		c.Body = readCase(tb, filepath.Join(dir, c.File))
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
