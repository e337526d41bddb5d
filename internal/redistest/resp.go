package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds on what the client accepts from a server. The helper only ever
// talks to a redis-server it started itself, but a test that points Dial at
// the wrong port must get an error, not an out-of-memory crash or a hang.
const (
	// maxLine is the size of the read buffer; a reply header line (and a
	// simple string or error reply) longer than this is a protocol error.
	maxLine = 64 << 10
	// maxBulk caps one bulk string; larger values are refused before any
	// memory is allocated for them.
	maxBulk = 16 << 20
	// maxArray caps the element count of one array reply.
	maxArray = 1 << 20
	// maxDepth caps how deeply arrays may nest (CLUSTER SLOTS needs 3).
	maxDepth = 16
	// defaultTimeout applies to a Do whose context has no deadline, so a
	// wedged server fails the test instead of hanging it until the global
	// test timeout.
	defaultTimeout = 10 * time.Second
)

// ErrProtocol reports a reply that is not well-formed RESP2 or that exceeds
// the client's bounds.
var ErrProtocol = errors.New("redistest: RESP protocol error")

// ErrClosed reports use of a Conn after Close or after an I/O error, which
// leaves the stream in an unknown state.
var ErrClosed = errors.New("redistest: connection closed")

// Error is an error reply from Redis, such as "ERR unknown command" or
// "MOVED 3999 127.0.0.1:7001". At the top level Do returns it as the error;
// inside an array reply (EXEC) it appears as an element.
type Error string

// Error returns the reply text without the leading '-'.
func (e Error) Error() string { return string(e) }

// Moved reports whether the reply is a cluster MOVED redirect and, if so,
// the slot and the address of the node that owns it.
func (e Error) Moved() (slot int, addr string, ok bool) {
	f := strings.Fields(string(e))
	if len(f) != 3 || f[0] != "MOVED" {
		return 0, "", false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 || n >= slotCount {
		return 0, "", false
	}
	return n, f[2], true
}

// Conn is a minimal RESP2 client connection: one request at a time, no
// pipelining, no pooling. It is safe for concurrent use; calls serialise.
//
// Replies are decoded as: simple string and bulk string → string,
// integer → int64, array → []any, nil bulk or nil array → nil,
// error → Error.
type Conn struct {
	mu     sync.Mutex
	nc     net.Conn
	r      *bufio.Reader
	w      *bufio.Writer
	broken bool
}

// Dial connects to the Redis at addr ("host:port").
func Dial(ctx context.Context, addr string) (*Conn, error) {
	var d net.Dialer
	if _, ok := ctx.Deadline(); !ok {
		d.Timeout = defaultTimeout
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("redistest: dial %s: %w", addr, err)
	}
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, maxLine), w: bufio.NewWriter(nc)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.broken = true
	return c.nc.Close()
}

// Do sends one command and returns its decoded reply. Arguments may be
// string, []byte, int or int64. An error reply is returned as an Error; a
// network or protocol failure closes the connection, since the stream can no
// longer be trusted to line up requests with replies.
func (c *Conn) Do(ctx context.Context, args ...any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("redistest: Do needs a command")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return nil, ErrClosed
	}
	if err := writeCommand(c.w, args); err != nil {
		return nil, err
	}

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(defaultTimeout)
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		return nil, c.fail(ctx, err)
	}
	// Cancellation interrupts blocked I/O by moving the deadline into the past.
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if err := c.w.Flush(); err != nil {
		return nil, c.fail(ctx, err)
	}
	v, err := readReply(c.r, 0)
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	if e, ok := v.(Error); ok {
		return nil, e
	}
	return v, nil
}

// fail marks the connection unusable and prefers the context's error, which
// explains a deadline-induced I/O error better than the I/O error does.
func (c *Conn) fail(ctx context.Context, err error) error {
	c.broken = true
	_ = c.nc.Close()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("redistest: %w (%v)", ctxErr, err)
	}
	return fmt.Errorf("redistest: %w", err)
}

// writeCommand buffers args as a RESP array of bulk strings. Types are
// checked before anything is buffered, so a rejected command leaves the
// stream in step.
func writeCommand(w *bufio.Writer, args []any) error {
	for i, a := range args {
		switch a.(type) {
		case string, []byte, int, int64:
		default:
			return fmt.Errorf("redistest: unsupported argument type %T at position %d", a, i)
		}
	}
	writeHeader(w, '*', int64(len(args)))
	for _, a := range args {
		switch v := a.(type) {
		case string:
			writeHeader(w, '$', int64(len(v)))
			w.WriteString(v)
		case []byte:
			writeHeader(w, '$', int64(len(v)))
			w.Write(v)
		case int:
			writeInt(w, int64(v))
		case int64:
			writeInt(w, v)
		}
		w.WriteString("\r\n")
	}
	return nil
}

// writeInt writes n as a bulk string of its decimal digits.
func writeInt(w *bufio.Writer, n int64) {
	d := strconv.FormatInt(n, 10)
	writeHeader(w, '$', int64(len(d)))
	w.WriteString(d)
}

// writeHeader writes a RESP type byte, a decimal length and CRLF.
func writeHeader(w *bufio.Writer, kind byte, n int64) {
	w.WriteByte(kind)
	// AvailableBuffer lets the digits be formatted in place, without a
	// scratch array that would escape through Write.
	w.Write(strconv.AppendInt(w.AvailableBuffer(), n, 10))
	w.WriteString("\r\n")
}

// readReply decodes one RESP2 reply. Every length is checked against the
// bounds above before anything is allocated for it, and array storage grows
// with the elements actually read rather than with the announced count.
func readReply(r *bufio.Reader, depth int) (any, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: reply line longer than %d bytes", ErrProtocol, maxLine)
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: reply line not terminated by CRLF", ErrProtocol)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return string(body), nil
	case '-':
		return Error(body), nil
	case ':':
		n, err := parseInt(body)
		if err != nil {
			return nil, err
		}
		return n, nil
	case '$':
		n, err := parseLen(body, maxBulk, "bulk string")
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return nil, fmt.Errorf("%w: bulk string not terminated by CRLF", ErrProtocol)
		}
		return string(buf[:n]), nil
	case '*':
		n, err := parseLen(body, maxArray, "array")
		if err != nil || n < 0 {
			return nil, err
		}
		if depth >= maxDepth {
			return nil, fmt.Errorf("%w: arrays nested deeper than %d", ErrProtocol, maxDepth)
		}
		out := make([]any, 0, min(n, 64))
		for range n {
			v, err := readReply(r, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%w: unknown reply type %q", ErrProtocol, kind)
	}
}

// parseInt parses a RESP integer strictly: optional '-', then digits only.
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, fmt.Errorf("%w: bad integer %q", ErrProtocol, b)
	}
	for i, ch := range b {
		if (ch < '0' || ch > '9') && !(i == 0 && ch == '-' && len(b) > 1) {
			return 0, fmt.Errorf("%w: bad integer %q", ErrProtocol, b)
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad integer %q", ErrProtocol, b)
	}
	return n, nil
}

// parseLen parses a bulk or array length: -1 means nil, anything else must
// lie in [0, limit].
func parseLen(b []byte, limit int64, what string) (int, error) {
	n, err := parseInt(b)
	if err != nil {
		return 0, err
	}
	if n == -1 {
		return -1, nil
	}
	if n < 0 || n > limit {
		return 0, fmt.Errorf("%w: %s length %d outside [0, %d]", ErrProtocol, what, n, limit)
	}
	return int(n), nil
}
