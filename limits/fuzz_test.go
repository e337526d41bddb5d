package limits

import (
	"bufio"
	"errors"
	"mime"
	"net/http"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

// FuzzMediaType: the Content-Type parser accepts only token/token, never a
// wildcard, and agrees with mime.ParseMediaType on the media type whenever
// both accept a value.
func FuzzMediaType(f *testing.F) {
	for _, s := range []string{
		"application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json",
		"text/*", "*/*", "application/", "/json", "application/json, text/plain", " application/json ",
		"application/ json", "application/json;", "a/b/c", "\x00/\x01", "application/jsön",
	} {
		f.Add(s)
	}
	ranges := []mediaRange{}
	for _, s := range []string{"application/json", "text/*", "application/*+json", "*/*"} {
		mr, ok := parseRange(s)
		if !ok {
			f.Fatalf("parseRange(%q) failed", s)
		}
		ranges = append(ranges, mr)
	}
	f.Fuzz(func(t *testing.T, v string) {
		typ, sub, ok := parseMediaType(v)
		if !ok {
			return
		}
		if !isToken(typ) || !isToken(sub) || strings.ContainsRune(typ+sub, '*') {
			t.Fatalf("parseMediaType(%q) = %q, %q: not tokens", v, typ, sub)
		}
		if mt, _, err := mime.ParseMediaType(v); err == nil && mt != strings.ToLower(typ+"/"+sub) {
			t.Fatalf("parseMediaType(%q) = %s/%s, mime says %s", v, typ, sub, mt)
		}
		if !ranges[3].match(typ, sub) {
			t.Fatalf("*/* does not match %s/%s", typ, sub)
		}
		if ranges[2].match(typ, sub) && !strings.HasSuffix(strings.ToLower(sub), "+json") {
			t.Fatalf("application/*+json matches %s/%s", typ, sub)
		}
		if ranges[0].match(typ, sub) != strings.EqualFold(typ+"/"+sub, "application/json") {
			t.Fatalf("application/json vs %s/%s", typ, sub)
		}
	})
}

// FuzzCountParams: the count is that of the non-empty pieces between "&"
// and ";".
func FuzzCountParams(f *testing.F) {
	for _, s := range []string{"", "a=1", "a=1&b=2", "a=1;b=2", "&&&", "a&&b", ";a;", "=&="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		want := 0
		for range strings.FieldsFuncSeq(q, func(r rune) bool { return r == '&' || r == ';' }) {
			want++
		}
		if got := countParams(q); got != want {
			t.Fatalf("countParams(%q) = %d, want %d", q, got, want)
		}
	})
}

// FuzzBound: any request net/http parses is passed or refused with one of
// the package's problems; nothing panics and nothing else comes out.
func FuzzBound(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /v1/items?a=1;b=2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx",
		"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Encoding: identity, gzip\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx",
		"PUT /%61%62 HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 1\r\n\r\nx",
	} {
		f.Add(s)
	}
	g, err := New(Config{Default: Rules{
		ContentTypes: []string{"application/json", "text/*"}, MaxBodyBytes: 64,
		MaxPathBytes: 32, MaxQueryBytes: 32, MaxQueryParams: 3, MaxHeaders: 8, MaxHeaderBytes: 256, MaxHeaderValueBytes: 64,
	}})
	if err != nil {
		f.Fatal(err)
	}
	statuses := map[int]bool{400: true, 405: true, 413: true, 414: true, 415: true, 431: true}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		r2, err := g.Bound(nil, r)
		if err == nil {
			if r2 == nil {
				t.Fatal("Bound returned neither a request nor an error")
			}
			return
		}
		var p *apierrors.Problem
		if !errors.As(err, &p) || !statuses[p.Status] {
			t.Fatalf("Bound: %v, want one of the package's problems", err)
		}
	})
}
