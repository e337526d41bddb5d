package validate_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/validate"
)

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// failingReader fails every read, as a broken connection does.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestBodyLimit bounds every body, whatever the method and whether or not
// it announces its length: over the limit is a 413 that never reaches the
// handler (and, with Content-Length, never reads the body); within it,
// the handler reads exactly what was sent.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	const max = 100
	l, err := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		method  string
		body    io.Reader
		length  int64 // Content-Length; -1 for none
		status  int
		want    string // what the handler reads, on 200
		maxRead int64  // at most this much is read from the body; -1 for no bound
	}{
		{"no body", "GET", nil, 0, 200, "", 0},
		{"within, with length", "POST", strings.NewReader("hello"), 5, 200, "hello", -1},
		{"at the limit, with length", "POST", strings.NewReader(strings.Repeat("a", max)), max, 200, strings.Repeat("a", max), -1},
		{"over, with length", "POST", strings.NewReader(strings.Repeat("a", max+1)), max + 1, 413, "", 0},
		{"5 MB GET, with length", "GET", zeros{}, 5 << 20, 413, "", 0},
		{"5 MB HEAD, with length", "HEAD", zeros{}, 5 << 20, 413, "", 0},
		{"5 MB DELETE, with length", "DELETE", zeros{}, 5 << 20, 413, "", 0},
		{"within, chunked", "POST", chunkedReader{strings.NewReader("hello")}, -1, 200, "hello", -1},
		{"at the limit, chunked", "PUT", chunkedReader{strings.NewReader(strings.Repeat("a", max))}, -1, 200, strings.Repeat("a", max), -1},
		{"over, chunked", "POST", chunkedReader{strings.NewReader(strings.Repeat("a", max+1))}, -1, 413, "", max + 1},
		{"endless GET, chunked", "GET", zeros{}, -1, 413, "", max + 1},
		{"empty, chunked", "POST", chunkedReader{strings.NewReader("")}, -1, 200, "", -1},
		{"longer than its length", "POST", strings.NewReader(strings.Repeat("a", max+50)), 10, 200, "", -1},
		{"unreadable, chunked", "POST", failingReader{}, -1, 400, "", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var src *countingReader
			req := httptest.NewRequest(tc.method, "/v1/anything", nil)
			if tc.body != nil {
				src = &countingReader{r: tc.body}
				req.Body = io.NopCloser(src)
			}
			req.ContentLength = tc.length
			var reached bool
			var got []byte
			var gotLen int64
			var readErr error
			h := apierrors.Recover(l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				gotLen = r.ContentLength
				got, readErr = io.ReadAll(r.Body)
			})))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			if rr.Code != tc.status {
				t.Fatalf("status %d, want %d; %s", rr.Code, tc.status, rr.Body)
			}
			if src != nil && tc.maxRead >= 0 && src.n.Load() > tc.maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", src.n.Load(), tc.maxRead)
			}
			switch tc.status {
			case 200:
				if tc.name == "longer than its length" {
					// The body says less than it holds: the handler may read
					// up to the limit, and no further.
					var mbe *http.MaxBytesError
					if int64(len(got)) > max || !errors.As(readErr, &mbe) {
						t.Errorf("read %d bytes, err %v; want at most %d and an *http.MaxBytesError", len(got), readErr, max)
					}
					return
				}
				if !reached || string(got) != tc.want || readErr != nil {
					t.Errorf("handler reached %v, read %q (%v); want %q", reached, got, readErr, tc.want)
				}
				if tc.length < 0 && gotLen != int64(len(tc.want)) {
					t.Errorf("ContentLength %d after the read-ahead, want %d", gotLen, len(tc.want))
				}
			default:
				if reached {
					t.Error("the handler was reached")
				}
				if tc.method == "HEAD" {
					return // a HEAD response has no body to hold the problem
				}
				var p problemBody
				if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil {
					t.Fatalf("problem %q: %v", rr.Body, err)
				}
				want := map[int]string{413: "payload_too_large", 400: "malformed_request"}[tc.status]
				if p.Reason != want || rr.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("reason %q Content-Type %q, want a %s problem", p.Reason, rr.Header().Get("Content-Type"), want)
				}
				if tc.status == 413 && p.Detail != "The request body is larger than the limit of 100 bytes." {
					t.Errorf("detail %q", p.Detail)
				}
			}
		})
	}
}

// TestBodyLimitConfig: zero means the documented default, negative is a
// config error.
func TestBodyLimitConfig(t *testing.T) {
	t.Parallel()
	if _, err := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: -1}); !errors.Is(err, validate.ErrInvalidConfig) {
		t.Errorf("MaxBytes -1: err %v, want ErrInvalidConfig", err)
	}
	l, err := validate.NewBodyLimit(validate.BodyLimitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		size int64
		want int
	}{{validate.DefaultMaxBodyBytes, 200}, {validate.DefaultMaxBodyBytes + 1, 413}} {
		req := httptest.NewRequest("POST", "/", chunkedReader{io.LimitReader(zeros{}, tc.size)})
		req.ContentLength = -1
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code != tc.want {
			t.Errorf("zero config, %d-byte chunked body: status %d, want %d", tc.size, rr.Code, tc.want)
		}
	}
}

// TestBodyLimitNested: an inner BodyLimit lowers the bound for its route;
// it cannot raise it past the outer one.
func TestBodyLimitNested(t *testing.T) {
	t.Parallel()
	outer, _ := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 100})
	lower, _ := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 10})
	higher, _ := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 1000})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			apierrors.Write(w, r, err)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/small", lower.Handler(ok))
	mux.Handle("/large", higher.Handler(ok))
	mux.Handle("/", ok)
	h := apierrors.Recover(outer.Handler(mux))
	for _, tc := range []struct {
		path    string
		size    int
		chunked bool
		want    int
	}{
		{"/small", 10, false, 200}, {"/small", 11, false, 413}, {"/small", 11, true, 413},
		{"/", 100, true, 200}, {"/", 101, false, 413},
		{"/large", 101, false, 413}, {"/large", 101, true, 413},
	} {
		var body io.Reader = strings.NewReader(strings.Repeat("a", tc.size))
		if tc.chunked {
			body = chunkedReader{body}
		}
		req := httptest.NewRequest("POST", tc.path, body)
		if tc.chunked {
			req.ContentLength = -1
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code != tc.want {
			t.Errorf("%s, %d bytes (chunked %v): status %d, want %d", tc.path, tc.size, tc.chunked, rr.Code, tc.want)
		}
	}
}

// TestBodyLimitRecordsDenial: a refusal is a validate decision in the
// request record, for audit.
func TestBodyLimitRecordsDenial(t *testing.T) {
	t.Parallel()
	l, _ := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 10})
	var rec *record.Record
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec = record.Install(w, r)
		l.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	})
	req := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("a", 11)))
	h.ServeHTTP(httptest.NewRecorder(), req)
	d := rec.Decisions()
	if len(d) != 1 || d[0].Package != "validate" || d[0].Outcome != record.Deny || d[0].Reason != "payload_too_large" || d[0].Rule != "BodyLimit" {
		t.Fatalf("decisions %+v, want one validate deny payload_too_large by BodyLimit", d)
	}
}

// rawRequest sends a request over a plain TCP connection, writing the body
// from body in the background so the server may answer before it is all
// sent (as it should for an oversized one), and returns the response. With
// chunked, the body is sent in 32 KiB chunks without Content-Length; else
// with Content-Length: size.
func rawRequest(t *testing.T, addr, method, path string, header http.Header, size int64, chunked bool) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	head := method + " " + path + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	for k, vs := range header {
		for _, v := range vs {
			head += k + ": " + v + "\r\n"
		}
	}
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", size)
	}
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		// Errors are expected once the server has answered and closed.
		chunk := make([]byte, 32<<10)
		for sent := int64(0); sent < size; {
			n := min(int64(len(chunk)), size-sent)
			if chunked {
				if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", n, chunk[:n]); err != nil {
					return
				}
			} else if _, err := conn.Write(chunk[:n]); err != nil {
				return
			}
			sent += n
		}
		if chunked {
			_, _ = io.WriteString(conn, "0\r\n\r\n")
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestBodyLimitOverHTTP is the finding, on a real server: a 5 MB body on a
// GET route with no schema was accepted. Over the wire, with Content-Length
// or chunked, it is now a 413 problem and the server closes the connection
// rather than read the rest; a body under the limit reaches the handler.
func TestBodyLimitOverHTTP(t *testing.T) {
	t.Parallel()
	l, err := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	// Recover outside installs the request record's writer: the limit must
	// still reach the server's own writer to close the connection.
	srv := httptest.NewServer(apierrors.Recover(l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			apierrors.Write(w, r, err)
			return
		}
		got.Store(n)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"read":%d}`, n)
	}))))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	for _, tc := range []struct {
		name    string
		size    int64
		chunked bool
		status  int
	}{
		{"5 MB with Content-Length", 5 << 20, false, 413},
		{"5 MB chunked", 5 << 20, true, 413},
		{"under the limit with Content-Length", 1000, false, 200},
		{"under the limit chunked", 1000, true, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := rawRequest(t, addr, "GET", "/v1/items", nil, tc.size, tc.chunked)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; %s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 200 {
				if got.Load() != tc.size {
					t.Errorf("handler read %d bytes, want %d", got.Load(), tc.size)
				}
				return
			}
			var p problemBody
			if err := json.Unmarshal(body, &p); err != nil || p.Reason != "payload_too_large" {
				t.Errorf("body %s, want a payload_too_large problem", body)
			}
			if !resp.Close {
				t.Error("the connection stays open: the server would read on through the body")
			}
		})
	}
}
