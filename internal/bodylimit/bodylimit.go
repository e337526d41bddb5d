// Package bodylimit is the bounded body read that package validate and
// package limits share: refuse a body whose Content-Length is over the
// cap before reading it, read one of unknown length ahead through
// http.MaxBytesReader up to the cap, and bound the rest as the handler
// reads. Its errors are *apierrors.Problem values: 413
// payload_too_large, or 400 malformed_request for a body that cannot be
// read.
package bodylimit

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	apierrors "github.com/apishield/apishield/errors"
)

// Check bounds r's body to max bytes and returns r, or a copy of r whose
// body is bounded, or an error. A Content-Length over max is refused before
// a byte is read. A body of unknown length (chunked, or HTTP/2 without
// content-length) is read ahead: one past max is refused, and one within
// it is handed on from memory with its ContentLength set. A body with a
// Content-Length within max is passed through, capped at max as it is read
// (see [Capped]). w is used only to tell the server, through
// http.MaxBytesReader, to close the connection after an oversized body; it
// may be nil.
func Check(w http.ResponseWriter, r *http.Request, max int64) (*http.Request, error) {
	switch {
	case r.ContentLength > max:
		return nil, TooLarge(max)
	case r.Body == nil || r.Body == http.NoBody:
		return r, nil
	case r.ContentLength >= 0:
		return Capped(r, max), nil
	}
	b, err := ReadAll(w, r, max)
	if err != nil {
		return nil, err
	}
	rb := &readAhead{req: *r}
	r2 := &rb.req
	r2.ContentLength = int64(len(b))
	r2.TransferEncoding = nil
	r2.Body = http.NoBody
	if len(b) > 0 {
		rb.body.Reset(b)
		r2.Body = &rb.body
	}
	return r2, nil
}

// readAhead is the request copy and its body in one allocation.
type readAhead struct {
	req  http.Request
	body Reader
}

// Stream returns r, or a copy of r whose body is bounded to max bytes as it
// is read, without reading ahead: a Content-Length over max is refused at
// once; a body of unknown length that goes past max fails the handler's
// read with an *http.MaxBytesError (which apierrors.Write turns into a 413)
// and the server closes the connection. For uploads too large to hold in
// memory.
func Stream(w http.ResponseWriter, r *http.Request, max int64) (*http.Request, error) {
	switch {
	case r.ContentLength > max:
		return nil, TooLarge(max)
	case r.Body == nil || r.Body == http.NoBody:
		return r, nil
	case r.ContentLength >= 0:
		return Capped(r, max), nil
	}
	r2 := *r
	if w != nil {
		r2.Body = http.MaxBytesReader(RootWriter(w), r.Body, max)
	} else {
		r2.Body = &capped{rc: r.Body, left: max, max: max}
	}
	return &r2, nil
}

// Capped returns a copy of r whose body fails with an *http.MaxBytesError
// past max bytes, in one allocation. It is for a body with a
// Content-Length within max: net/http's servers (HTTP/1 and HTTP/2) never
// deliver more than the Content-Length, so the cap only matters for a
// request built elsewhere whose body holds more than it says, and the
// server need not be told to close the connection.
func Capped(r *http.Request, max int64) *http.Request {
	c := &cappedRequest{req: *r, body: capped{rc: r.Body, left: max, max: max}}
	c.req.Body = &c.body
	return &c.req
}

// Cap is [Capped] without the copy: it replaces r.Body, which must be
// non-nil, with the capped one, in one small allocation, as the common
// r.Body = http.MaxBytesReader(w, r.Body, n) idiom does; r's other fields
// are untouched. For a caller on the hot path, where copying the request
// would cost more than the rest of its checks.
func Cap(r *http.Request, max int64) {
	r.Body = &capped{rc: r.Body, left: max, max: max}
}

type cappedRequest struct {
	req  http.Request
	body capped
}

// capped reads at most max bytes of rc, then fails with *http.MaxBytesError.
type capped struct {
	rc   io.ReadCloser
	left int64
	max  int64
	err  error
}

func (c *capped) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Read one byte more than is left, to see whether the body goes past.
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.rc.Read(p)
	if int64(n) <= c.left {
		c.left -= int64(n)
		c.err = err
		return n, err
	}
	n = int(c.left)
	c.left = 0
	c.err = &http.MaxBytesError{Limit: c.max}
	return n, c.err
}

func (c *capped) Close() error { return c.rc.Close() }

// ReadAll reads r's whole body, refusing with 413 past max whether or not
// Content-Length announced it. w is as for [Check].
func ReadAll(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, TooLarge(max)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	size := int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1 // +1 so a body longer than announced is seen
	}
	buf := make([]byte, 0, min(size, max+1))
	body := r.Body
	if w != nil {
		body = http.MaxBytesReader(RootWriter(w), r.Body, max)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, TooLarge(max)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, TooLarge(max).WithCause(err)
			}
			return nil, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
				"The request body could not be read.").WithCause(err)
		}
	}
}

// TooLarge is the 413 problem for a body over max bytes.
func TooLarge(max int64) *apierrors.Problem {
	return apierrors.New(http.StatusRequestEntityTooLarge, apierrors.ReasonPayloadTooLarge,
		"The request body is larger than the limit of "+strconv.FormatInt(max, 10)+" bytes.")
}

// Reader gives the handler body bytes again, already read; its zero value
// is an empty body. Reset it with the bytes.
type Reader struct{ bytes.Reader }

// Close does nothing.
func (*Reader) Close() error { return nil }

// RootWriter unwraps w to the server's own ResponseWriter, which is the one
// http.MaxBytesReader can tell to close the connection once a body is over
// its limit, instead of the server reading on to drain it.
func RootWriter(w http.ResponseWriter) http.ResponseWriter {
	for range 16 { // wrappers are few; a cycle must not loop forever
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
	return w
}
