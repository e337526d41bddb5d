package audit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/apishield/apishield/internal/jsonstr"
	"log/slog"
	"net/netip"
	"strconv"
)

// The direct encoder writes an event's line for sinks that are all plain
// NewJSONHandlers (no ReplaceAttr, no AddSource, not derived with WithAttrs
// or WithGroup): the same bytes slog's JSON handler would write, in the same
// order, without a slog.Record, the handler's per-attribute ReplaceAttr
// calls, or, with a chain, a second encoding of the event to seal it. Any
// other sink, and any value it does not encode exactly as slog does, takes
// the slog path (emit).

// directSinks returns the writers of hs when every handler is a plain
// NewJSONHandler, else nil.
func directSinks(hs []slog.Handler) []*jsonHandler {
	out := make([]*jsonHandler, 0, len(hs))
	for _, h := range hs {
		j, ok := h.(*jsonHandler)
		if !ok || j.plain == nil {
			return nil
		}
		out = append(out, j)
	}
	return out
}

// maxKeptLine bounds the line buffer the writer keeps between events.
const maxKeptLine = 64 << 10

// lineEnc appends one JSON line as slog's JSON handler does (handleState):
// the same separators, the same elision of empty attributes and groups,
// the same escaping.
type lineEnc struct {
	buf []byte
	sep bool // a member precedes: the next one needs a comma
	ok  bool // false once a value was met that slog would encode otherwise
}

// attrs appends as and reports whether any was appended.
func (l *lineEnc) attrs(as []slog.Attr, top bool) bool {
	nonEmpty := false
	for _, a := range as {
		if l.attr(a, top) {
			nonEmpty = true
		}
	}
	return nonEmpty
}

// attr appends a, as handleState.appendAttr does with NewJSONHandler's
// renaming (which only touches top-level keys).
func (l *lineEnc) attr(a slog.Attr, top bool) bool {
	v := a.Value
	kind := v.Kind()
	if kind == slog.KindLogValuer {
		l.ok = false // resolving runs user code: leave it to slog
		return false
	}
	if top && kind != slog.KindGroup {
		switch a.Key {
		case slog.TimeKey:
			if v.Kind() == slog.KindTime {
				return false // NewJSONHandler drops slog's own time
			}
		case slog.LevelKey, slog.MessageKey:
			l.ok = false // renamed by NewJSONHandler: none of ours is
			return false
		}
	}
	if a.Key == "" && a.Equal(slog.Attr{}) { // the key first: it is seldom empty
		return false
	}
	if kind == slog.KindGroup {
		as := v.Group()
		if len(as) > 0 {
			pos := len(l.buf)
			if a.Key != "" {
				l.key(a.Key)
				l.buf = append(l.buf, '{')
				l.sep = false
			}
			if !l.attrs(as, top && a.Key == "") {
				l.buf = l.buf[:pos]
				return false
			}
			if a.Key != "" {
				l.buf = append(l.buf, '}')
				l.sep = true
			}
		}
		return true
	}
	l.key(a.Key)
	l.value(v)
	return true
}

func (l *lineEnc) key(k string) {
	if l.sep {
		l.buf = append(l.buf, ',')
	}
	l.buf = jsonstr.Append(l.buf, k, jsonstr.Slog)
	l.buf = append(l.buf, ':')
	l.sep = true
}

// value appends v as slog's appendJSONValue does.
func (l *lineEnc) value(v slog.Value) {
	switch v.Kind() {
	case slog.KindString:
		l.buf = jsonstr.Append(l.buf, v.String(), jsonstr.Slog)
	case slog.KindInt64:
		l.buf = strconv.AppendInt(l.buf, v.Int64(), 10)
	case slog.KindUint64:
		l.buf = strconv.AppendUint(l.buf, v.Uint64(), 10)
	case slog.KindBool:
		l.buf = strconv.AppendBool(l.buf, v.Bool())
	case slog.KindDuration:
		l.buf = strconv.AppendInt(l.buf, int64(v.Duration()), 10)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case []string:
			l.strings(x)
		case *[]string: // an arena's (attrArena.strings)
			l.strings(*x)
		case []decisionJSON:
			l.decisions(x)
		case *[]decisionJSON:
			l.decisions(*x)
		case []fieldErrorJSON:
			l.fieldErrors(x)
		case *nanoTime: // an arena's (attrArena.time)
			l.buf = x.appendJSON(l.buf)
		case *netip.Addr: // an arena's (attrArena.ip): valid, no zone, nothing to escape
			l.buf = append(l.buf, '"')
			l.buf = x.AppendTo(l.buf)
			l.buf = append(l.buf, '"')
		default:
			l.ok = false // encoding/json's business: leave it to slog
		}
	default: // floats and times never reach the line as such (cleanAttrs)
		l.ok = false
	}
}

// strings, decisions and fieldErrors encode what encoding/json would for
// these types, with HTML escaping off as slog sets it.
func (l *lineEnc) strings(ss []string) {
	if ss == nil {
		l.buf = append(l.buf, "null"...)
		return
	}
	l.buf = append(l.buf, '[')
	for i, s := range ss {
		if i > 0 {
			l.buf = append(l.buf, ',')
		}
		l.buf = jsonstr.Append(l.buf, s, jsonstr.JSON)
	}
	l.buf = append(l.buf, ']')
}

func (l *lineEnc) decisions(ds []decisionJSON) {
	if ds == nil {
		l.buf = append(l.buf, "null"...)
		return
	}
	l.buf = append(l.buf, '[')
	for i, d := range ds {
		if i > 0 {
			l.buf = append(l.buf, ',')
		}
		l.buf = append(l.buf, `{"package":`...)
		l.buf = jsonstr.Append(l.buf, d.Package, jsonstr.JSON)
		l.buf = append(l.buf, `,"outcome":`...)
		l.buf = jsonstr.Append(l.buf, d.Outcome, jsonstr.JSON)
		l.member("reason", d.Reason)
		l.member("rule", d.Rule)
		l.buf = append(l.buf, '}')
	}
	l.buf = append(l.buf, ']')
}

func (l *lineEnc) fieldErrors(fs []fieldErrorJSON) {
	if fs == nil {
		l.buf = append(l.buf, "null"...)
		return
	}
	l.buf = append(l.buf, '[')
	for i, f := range fs {
		if i > 0 {
			l.buf = append(l.buf, ',')
		}
		l.buf = append(l.buf, '{')
		if f.In != "" {
			l.buf = append(l.buf, `"in":`...)
			l.buf = jsonstr.Append(l.buf, f.In, jsonstr.JSON)
			l.buf = append(l.buf, ',')
		}
		l.buf = append(l.buf, `"pointer":`...)
		l.buf = jsonstr.Append(l.buf, f.Pointer, jsonstr.JSON)
		l.member("keyword", f.Keyword)
		l.member("detail", f.Detail)
		l.buf = append(l.buf, '}')
	}
	l.buf = append(l.buf, ']')
}

// member appends ,"k":v for an omitempty string field that follows another.
func (l *lineEnc) member(k, v string) {
	if v == "" {
		return
	}
	l.buf = append(l.buf, ',', '"')
	l.buf = append(l.buf, k...)
	l.buf = append(l.buf, '"', ':')
	l.buf = jsonstr.Append(l.buf, v, jsonstr.JSON)
}

// encodeDirect encodes e's line into w.line, sealing it into the chain if
// there is one, and reports whether it could; when it could not, nothing
// changed (the chain included) and the caller takes the slog path.
func (w *writerState) encodeDirect(level slog.Level, msg, nsName string, top, ns []slog.Attr) bool {
	l := lineEnc{buf: w.line[:0], ok: true}
	l.buf = append(l.buf, '{')
	if w.a.schema != OCSF { // OCSF lines carry no level (NewJSONHandler)
		l.buf = append(l.buf, `"log.level":`...)
		switch level {
		case slog.LevelInfo:
			l.buf = append(l.buf, `"info"`...)
		case slog.LevelWarn:
			l.buf = append(l.buf, `"warn"`...)
		default:
			l.buf = jsonstr.Append(l.buf, levelName(slog.AnyValue(level)), jsonstr.Slog)
		}
		l.buf = append(l.buf, ',')
	}
	l.buf = append(l.buf, `"message":`...)
	l.buf = jsonstr.Append(l.buf, msg, jsonstr.Slog)
	l.sep = true
	// The record's attributes: top, then the namespace group, which holds
	// ns and, last, the chain group.
	pos := len(l.buf)
	nonEmpty := l.attrs(top, true)
	c := w.chain
	switch {
	case c == nil:
		if l.attr(slog.GroupAttrs(nsName, ns...), true) {
			nonEmpty = true
		}
	default:
		l.key(nsName)
		l.buf = append(l.buf, '{')
		l.sep = false
		l.attrs(ns, false)
		l.key("chain")
		l.buf = append(l.buf, `{"id":`...)
		l.buf = jsonstr.Append(l.buf, w.chainID, jsonstr.Slog)
		l.buf = append(l.buf, `,"seq":`...)
		l.buf = strconv.AppendUint(l.buf, c.seq+1, 10)
		l.buf = append(l.buf, `,"prev_hash":`...)
		l.buf = jsonstr.Append(l.buf, c.prev, jsonstr.Slog)
		l.buf = append(l.buf, '}', '}')
		nonEmpty = true
	}
	if !nonEmpty {
		l.buf = l.buf[:pos] // as slog drops a record's attributes that all turned out empty
	}
	l.buf = append(l.buf, '}', '\n')
	if !l.ok {
		return false
	}
	if c != nil {
		c.seq++
		// The same canonical form the slog path seals (canonicalLine
		// reads NewJSONHandler's keys as slog's own), so the HMAC is the
		// same; it goes in last, before the three closing braces.
		canon, err := c.p.sealLine(l.buf)
		if err == nil {
			c.mac.Reset()
			c.mac.Write(canon)
			var sum [64]byte
			hex.Encode(sum[:], c.mac.Sum(c.sum[:0]))
			c.prev = string(sum[:])
			n := len(l.buf) - len("}}}\n")
			l.buf = append(l.buf[:n], `,"hmac":"`...)
			l.buf = append(l.buf, sum[:]...)
			l.buf = append(l.buf, "\"}}}\n"...)
		}
		// An error cannot happen with this encoding; if it did, the line
		// goes out without an HMAC and Verify flags it, as on the slog
		// path.
	}
	w.line = l.buf
	return true
}

// writeDirect writes w.line to every sink that wants level, with the
// errors the slog path would report: the single handler's own, or one
// joined error per failing sink when several are fanned out.
func (w *writerState) writeDirect(level slog.Level) error {
	defer func() {
		if cap(w.line) > maxKeptLine {
			w.line = nil
		}
	}()
	if len(w.direct) == 1 {
		return writeLine(w.direct[0], w.line, level, func(v any) error {
			return fmt.Errorf("audit: handler panicked: %v", v)
		})
	}
	var errs []error
	for _, h := range w.direct {
		if err := writeLine(h, w.line, level, func(v any) error {
			if err, ok := v.(error); ok {
				return err
			}
			return fmt.Errorf("unexpected error: %+v", v)
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func writeLine(h *jsonHandler, line []byte, level slog.Level, panicked func(any) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked(v)
		}
	}()
	if !h.Enabled(context.Background(), level) {
		return nil
	}
	_, err = h.plain.Write(line)
	return err
}
