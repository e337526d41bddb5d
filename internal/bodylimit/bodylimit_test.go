package bodylimit

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

// chunked hides the reader's type, so no length is inferred from it.
type chunked struct{ io.Reader }

// TestCapped: a body that holds more than its Content-Length says is read
// up to the cap, then fails with *http.MaxBytesError; one within reads whole.
func TestCapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		max     int64
		want    string
		wantErr bool
	}{
		{"within", "hello", 10, "hello", false},
		{"at the cap", "0123456789", 10, "0123456789", false},
		{"past the cap", "0123456789abc", 10, "0123456789", true},
		{"empty", "", 10, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", io.NopCloser(chunked{strings.NewReader(tc.body)}))
			r.ContentLength = 1
			r2 := Capped(r, tc.max)
			if r2 == r || r.Body == r2.Body {
				t.Fatal("Capped changed the caller's request")
			}
			got, err := io.ReadAll(r2.Body)
			var mbe *http.MaxBytesError
			if string(got) != tc.want || errors.As(err, &mbe) != tc.wantErr {
				t.Errorf("read %q, %v; want %q, MaxBytesError %v", got, err, tc.want, tc.wantErr)
			}
			if tc.wantErr && mbe.Limit != tc.max {
				t.Errorf("MaxBytesError.Limit %d, want %d", mbe.Limit, tc.max)
			}
		})
	}
}

// TestStream: a body of unknown length is not read ahead, and fails the
// read past the cap; a Content-Length over it is refused at once.
func TestStream(t *testing.T) {
	t.Parallel()
	for _, w := range []http.ResponseWriter{nil, httptest.NewRecorder()} {
		r := httptest.NewRequest("POST", "/", io.NopCloser(chunked{strings.NewReader(strings.Repeat("a", 20))}))
		r.ContentLength = -1
		r2, err := Stream(w, r, 10)
		if err != nil {
			t.Fatal(err)
		}
		if r2.ContentLength != -1 {
			t.Errorf("ContentLength %d, want -1: the body must not be read ahead", r2.ContentLength)
		}
		got, err := io.ReadAll(r2.Body)
		var mbe *http.MaxBytesError
		if len(got) != 10 || !errors.As(err, &mbe) {
			t.Errorf("writer %T: read %d bytes, %v; want 10 and *http.MaxBytesError", w, len(got), err)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("a", 20)))
	_, err := Stream(nil, r, 10)
	var p *apierrors.Problem
	if !errors.As(err, &p) || p.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("Content-Length over the cap: err %v, want a 413 problem", err)
	}
}

// TestCheckReadAhead: a body of unknown length within the cap reaches the
// caller from memory with its length; past the cap it is a 413.
func TestCheckReadAhead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"within", "hello", 0},
		{"empty", "", 0},
		{"past", strings.Repeat("a", 11), 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", io.NopCloser(chunked{strings.NewReader(tc.body)}))
			r.ContentLength = -1
			r2, err := Check(httptest.NewRecorder(), r, 10)
			if tc.status != 0 {
				var p *apierrors.Problem
				if !errors.As(err, &p) || p.Status != tc.status {
					t.Fatalf("err %v, want status %d", err, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r2.Body)
			if string(got) != tc.body || r2.ContentLength != int64(len(tc.body)) || r2.TransferEncoding != nil {
				t.Errorf("read %q with ContentLength %d, want %q", got, r2.ContentLength, tc.body)
			}
		})
	}
}

// TestCap: the body is capped in place; the request is otherwise the same.
func TestCap(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/", io.NopCloser(chunked{strings.NewReader("0123456789abc")}))
	r.ContentLength = 3
	Cap(r, 10)
	got, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if string(got) != "0123456789" || !errors.As(err, &mbe) || r.ContentLength != 3 {
		t.Errorf("read %q, %v, ContentLength %d; want 10 bytes, *http.MaxBytesError, 3", got, err, r.ContentLength)
	}
}
