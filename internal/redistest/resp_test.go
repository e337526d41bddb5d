package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func parse(s string) (any, error) {
	return readReply(bufio.NewReaderSize(strings.NewReader(s), maxLine), 0)
}

func TestReadReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"simple string", "+PONG\r\n", "PONG"},
		{"error reply as value", "-ERR unknown command\r\n", Error("ERR unknown command")},
		{"integer", ":42\r\n", int64(42)},
		{"negative integer", ":-7\r\n", int64(-7)},
		{"min int64", ":-9223372036854775808\r\n", int64(-9223372036854775808)},
		{"bulk string", "$5\r\nhello\r\n", "hello"},
		{"bulk string with CRLF inside", "$4\r\na\r\nb\r\n", "a\r\nb"},
		{"empty bulk string", "$0\r\n\r\n", ""},
		{"nil bulk string", "$-1\r\n", nil},
		{"empty array", "*0\r\n", []any{}},
		{"nil array", "*-1\r\n", nil},
		{"mixed array", "*4\r\n:1\r\n$3\r\nfoo\r\n$-1\r\n-ERR x\r\n", []any{int64(1), "foo", nil, Error("ERR x")}},
		{"nested array", "*2\r\n*1\r\n:1\r\n*0\r\n", []any{[]any{int64(1)}, []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.in)
			if err != nil {
				t.Fatalf("readReply(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("readReply(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadReplyRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"LF without CR", "+OK\n", ErrProtocol},
		{"empty line", "\r\n", ErrProtocol},
		{"unknown type", "%1\r\n", ErrProtocol},
		{"RESP3 null", "_\r\n", ErrProtocol},
		{"integer with letters", ":12a\r\n", ErrProtocol},
		{"integer with plus sign", ":+1\r\n", ErrProtocol},
		{"integer lone minus", ":-\r\n", ErrProtocol},
		{"integer with space", ": 1\r\n", ErrProtocol},
		{"integer overflow", ":9223372036854775808\r\n", ErrProtocol},
		{"empty integer", ":\r\n", ErrProtocol},
		{"bulk length over limit", "$" + strconv.Itoa(maxBulk+1) + "\r\n", ErrProtocol},
		{"bulk length huge", "$99999999999999999\r\n", ErrProtocol},
		{"bulk length -2", "$-2\r\n", ErrProtocol},
		{"bulk wrong terminator", "$3\r\nfooXY", ErrProtocol},
		{"bulk truncated", "$10\r\nabc", io.ErrUnexpectedEOF},
		{"array length over limit", "*" + strconv.Itoa(maxArray+1) + "\r\n", ErrProtocol},
		{"array truncated", "*3\r\n:1\r\n", io.EOF},
		{"array element bad", "*1\r\n?\r\n", ErrProtocol},
		{"nesting too deep", strings.Repeat("*1\r\n", maxDepth+1) + ":1\r\n", ErrProtocol},
		{"line too long", "+" + strings.Repeat("a", maxLine) + "\r\n", ErrProtocol},
		{"line without end", "+OK", io.ErrUnexpectedEOF},
		{"nothing", "", io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("readReply(%.40q) = %#v, %v; want error %v", tt.in, got, err, tt.wantErr)
			}
		})
	}
}

func TestReadReplyAcceptsMaxDepth(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("*1\r\n", maxDepth) + ":1\r\n"
	if _, err := parse(in); err != nil {
		t.Fatalf("readReply with %d nested arrays: %v, want success", maxDepth, err)
	}
}

func TestWriteCommand(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	w := bufio.NewWriter(&b)
	if err := writeCommand(w, []any{"SET", []byte("k"), 12, int64(-3), ""}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	want := "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$2\r\n-3\r\n$0\r\n\r\n"
	if got := b.String(); got != want {
		t.Errorf("writeCommand wrote %q, want %q", got, want)
	}
}

func TestWriteCommandRejectsUnsupportedType(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	w := bufio.NewWriter(&b)
	err := writeCommand(w, []any{"SET", "k", 1.5})
	if err == nil || !strings.Contains(err.Error(), "float64") {
		t.Fatalf("writeCommand with a float64 = %v, want an error naming the type", err)
	}
	w.Flush()
	if b.Len() != 0 {
		t.Errorf("writeCommand wrote %q after rejecting an argument, want nothing", b.String())
	}
}

func TestErrorMoved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       Error
		wantSlot int
		wantAddr string
		wantOK   bool
	}{
		{"MOVED 3999 127.0.0.1:6381", 3999, "127.0.0.1:6381", true},
		{"MOVED 16383 10.0.0.1:7000", 16383, "10.0.0.1:7000", true},
		{"MOVED 16384 127.0.0.1:1", 0, "", false},
		{"MOVED -1 127.0.0.1:1", 0, "", false},
		{"MOVED x 127.0.0.1:1", 0, "", false},
		{"ASK 3999 127.0.0.1:6381", 0, "", false},
		{"ERR MOVED", 0, "", false},
		{"MOVED 1", 0, "", false},
	}
	for _, tt := range tests {
		slot, addr, ok := tt.in.Moved()
		if slot != tt.wantSlot || addr != tt.wantAddr || ok != tt.wantOK {
			t.Errorf("Error(%q).Moved() = %d, %q, %v; want %d, %q, %v",
				tt.in, slot, addr, ok, tt.wantSlot, tt.wantAddr, tt.wantOK)
		}
	}
}

// fakeServer accepts one connection on a kernel-chosen loopback port,
// reads one command and hands the connection to serve.
func fakeServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := readReply(bufio.NewReader(c), 0); err != nil {
			return
		}
		serve(c)
	}()
	return l.Addr().String()
}

func TestConnDoReturnsErrorReplyAsError(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func(c net.Conn) { io.WriteString(c, "-WRONGTYPE bad\r\n") })
	c, err := Dial(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Do(t.Context(), "GET", "k")
	var e Error
	if !errors.As(err, &e) || e != "WRONGTYPE bad" || v != nil {
		t.Fatalf("Do = %#v, %v; want nil, Error(%q)", v, err, "WRONGTYPE bad")
	}
}

func TestConnDoCancelInterruptsRead(t *testing.T) {
	t.Parallel()
	received := make(chan struct{})
	release := make(chan struct{})
	addr := fakeServer(t, func(net.Conn) { close(received); <-release })
	defer close(release)
	c, err := Dial(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-received; cancel() }()
	_, err = c.Do(ctx, "PING")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do after cancel = %v, want context.Canceled", err)
	}
	// The stream may hold half a reply now; the Conn must refuse reuse.
	if _, err := c.Do(t.Context(), "PING"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do on a failed Conn = %v, want ErrClosed", err)
	}
}

func TestConnDoRejectsOversizedReply(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func(c net.Conn) { fmt.Fprintf(c, "$%d\r\n", maxBulk+1) })
	c, err := Dial(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Do(t.Context(), "GET", "k"); !errors.Is(err, ErrProtocol) {
		t.Fatalf("Do with an oversized bulk reply = %v, want ErrProtocol", err)
	}
}

func TestConnDoNeedsCommand(t *testing.T) {
	t.Parallel()
	var c Conn
	if _, err := c.Do(t.Context()); err == nil {
		t.Fatal("Do with no arguments succeeded, want an error")
	}
}

// encode renders a decoded reply back to RESP, with every string as a bulk
// string, so a fuzzed reply can be checked to survive a round trip.
func encode(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("$-1\r\n")
	case string:
		fmt.Fprintf(b, "$%d\r\n%s\r\n", len(v), v)
	case Error:
		fmt.Fprintf(b, "-%s\r\n", string(v))
	case int64:
		fmt.Fprintf(b, ":%d\r\n", v)
	case []any:
		fmt.Fprintf(b, "*%d\r\n", len(v))
		for _, e := range v {
			encode(b, e)
		}
	default:
		panic(fmt.Sprintf("readReply produced unexpected type %T", v))
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nfoo\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n:1\r\n*1\r\n$0\r\n\r\n", "$99999999999\r\n", "*3\r\n", ":-\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := parse(string(in))
		if err != nil {
			return
		}
		var b strings.Builder
		encode(&b, v)
		again, err := parse(b.String())
		if err != nil {
			t.Fatalf("re-encoded reply %q does not parse: %v", b.String(), err)
		}
		if !reflect.DeepEqual(v, again) {
			t.Fatalf("round trip changed the reply: %#v became %#v", v, again)
		}
	})
}
