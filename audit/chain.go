package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"time"
)

// ErrTampered is wrapped by every *VerifyError: the log is not the
// sequence of lines the auditor wrote.
var ErrTampered = errors.New("audit: log does not verify")

// MaxLineBytes bounds one line read by Verify.
const MaxLineBytes = 1 << 20

// A VerifyError says which line broke the chain, and how.
type VerifyError struct {
	Line   int    // 1-based line number
	Reason string // what is wrong, e.g. "HMAC mismatch: the line was edited"
}

// Error describes the break with its line number.
func (e *VerifyError) Error() string {
	return fmt.Sprintf("audit: line %d: %s", e.Line, e.Reason)
}

// Unwrap returns ErrTampered.
func (e *VerifyError) Unwrap() error { return ErrTampered }

// VerifyResult summarizes a verified log.
type VerifyResult struct {
	Events int               // chained lines verified
	Chains map[string]uint64 // chain ID → last sequence number seen
}

// chainer seals events into the chain; it belongs to the writer.
type chainer struct {
	mac  hash.Hash
	seq  uint64
	prev string
	buf  bytes.Buffer
	enc  slog.Handler
	p    canonParser
	sum  [sha256.Size]byte // the direct encoder's HMAC, without an allocation
}

func newChainer(key []byte) *chainer {
	c := &chainer{mac: hmac.New(sha256.New, key)}
	c.enc = slog.NewJSONHandler(&c.buf, nil)
	return c
}

// seal appends the chain group to ns: the chain ID, the sequence number,
// prev_hash (the previous event's HMAC) and the HMAC of this event's
// canonical form, which covers every field but "time" (the event carries
// @timestamp or time, which are covered).
func (c *chainer) seal(id string, t time.Time, level slog.Level, msg string, nsName string, top, ns []slog.Attr) []slog.Attr {
	c.seq++
	prev := c.prev
	ns = append(ns, slog.GroupAttrs("chain",
		slog.String("id", id), slog.Uint64("seq", c.seq), slog.String("prev_hash", prev)))
	c.buf.Reset()
	rec := slog.NewRecord(t, level, msg, 0)
	rec.AddAttrs(top...)
	rec.AddAttrs(slog.GroupAttrs(nsName, ns...))
	_ = c.enc.Handle(context.Background(), rec) // writes to a bytes.Buffer: cannot fail
	canon, _, err := c.p.line(c.buf.Bytes())
	if err != nil {
		// Cannot happen with slog's JSON encoding; if it did, the event
		// goes out without an HMAC and Verify flags it, rather than the
		// writer crashing the process.
		return ns
	}
	c.mac.Reset()
	c.mac.Write(canon)
	sum := hex.EncodeToString(c.mac.Sum(nil))
	c.prev = sum
	ns[len(ns)-1] = slog.GroupAttrs("chain",
		slog.String("id", id), slog.Uint64("seq", c.seq), slog.String("prev_hash", prev), slog.String("hmac", sum))
	return ns
}

// chainFields are a line's chain group.
type chainFields struct {
	id, prev, hmac string
	seq            uint64
}

// Verify reads a log written by an auditor with a ChainKey, one JSON event
// per line, and checks that no line was edited, removed, inserted,
// duplicated or moved. Blank lines are skipped; any other line that is not
// a chained event fails. Lines of several chains (several processes, or
// restarts) may be interleaved: each chain is checked on its own and must
// start at sequence number 1.
//
// What Verify cannot see: lines cut from the end of a chain (compare
// VerifyResult.Chains with what you expect, or ship the log off the host
// as it is written), and a forger who holds the key.
//
// A failure returns a *VerifyError wrapping ErrTampered; a read error is
// returned as is.
func Verify(r io.Reader, key []byte) (VerifyResult, error) {
	res := VerifyResult{Chains: map[string]uint64{}}
	if len(key) < 32 {
		return res, fmt.Errorf("audit: Verify key has %d bytes, want at least 32", len(key))
	}
	mac := hmac.New(sha256.New, key)
	last := map[string]string{} // chain ID → last HMAC
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	line := 0
	var p canonParser
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		fail := func(format string, args ...any) (VerifyResult, error) {
			return res, &VerifyError{Line: line, Reason: fmt.Sprintf(format, args...)}
		}
		canon, cf, err := p.line(b)
		if err != nil {
			return fail("%v", err)
		}
		got, err := hex.DecodeString(cf.hmac)
		if err != nil || len(got) != sha256.Size {
			return fail("missing or malformed hmac")
		}
		mac.Reset()
		mac.Write(canon)
		if !hmac.Equal(got, mac.Sum(nil)) {
			return fail("HMAC mismatch: the line was edited (or written with another key)")
		}
		prevSeq, seen := res.Chains[cf.id]
		switch {
		case !seen && cf.seq != 1:
			return fail("chain %s starts at sequence %d: %d earlier line(s) removed", cf.id, cf.seq, cf.seq-1)
		case !seen && cf.prev != "":
			return fail("chain %s starts with a prev_hash", cf.id)
		case seen && cf.seq <= prevSeq:
			return fail("sequence %d after %d: a line was moved or duplicated", cf.seq, prevSeq)
		case seen && cf.seq != prevSeq+1:
			return fail("sequence %d after %d: %d line(s) removed or moved", cf.seq, prevSeq, cf.seq-prevSeq-1)
		case seen && cf.prev != last[cf.id]:
			return fail("prev_hash does not match the previous line of chain %s", cf.id)
		}
		res.Chains[cf.id] = cf.seq
		last[cf.id] = cf.hmac
		res.Events++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return res, &VerifyError{Line: line + 1, Reason: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		return res, err
	}
	return res, nil
}
