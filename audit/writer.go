package audit

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// writerState is the background writer's state. Only the goroutine holding
// Auditor.wmu touches it.
type writerState struct {
	a       *Auditor
	chain   *chainer // nil without a ChainKey
	chainID string
	mon     monitor
	alerts  []*entry
	runs    []*repeatRun        // writeRepeats's, reused
	hdr     http.Header         // reused for the client-IP resolver
	known   map[knownKey]string // see cleanKnown
	// knownFront is cleanKnown's front cache.
	knownFront [knownSlots]knownSlot
	ua         [uaSlots]uaSlot // see cleanUserAgent
	direct     []*jsonHandler  // the sinks, when the direct encoder can serve them all (direct.go)
	line       []byte          // the direct encoder's line, reused
	ar         attrArena       // the direct path's attributes (arena.go)

	// tee, in tests only, sees each entry before it is encoded.
	tee func(*entry)
}

func (w *writerState) init(a *Auditor, key []byte, bf BruteForce, sinks []slog.Handler) {
	w.a = a
	w.direct = directSinks(sinks)
	if key != nil {
		w.chain = newChainer(key)
	}
	w.mon.init(bf)
}

// write emits e, then any alert the monitor raised because of it, and
// recycles them.
func (w *writerState) write(e *entry) {
	w.resolveClientIP(e)
	w.alerts = w.mon.observe(e, w.alerts[:0], &w.a.stats)
	w.emit(e)
	putEntry(e)
	for i, al := range w.alerts {
		w.emit(al)
		putEntry(al)
		w.alerts[i] = nil
	}
}

func (w *writerState) emit(e *entry) {
	a := w.a
	level := slog.LevelInfo
	if e.outcome == Failure || e.action == ActionBruteForceSuspected {
		level = slog.LevelWarn
	}
	// No handler wants the level: skip the encoding, as slog does. The
	// chain is not advanced either, so the lines that are written still
	// verify as a whole.
	if !a.sink.Enabled(context.Background(), level) {
		return
	}
	if w.tee != nil {
		w.tee(e)
	}
	var ar *attrArena
	if w.direct != nil {
		ar = &w.ar
		ar.reset()
	}
	var top, ns []slog.Attr
	if a.schema == OCSF {
		top, ns = a.ocsfAttrs(e, level, ar)
	} else {
		top, ns = a.ecsAttrs(e, ar)
	}
	msg := e.action
	if e.event != nil && e.event.Message != "" {
		msg = a.clean(e.event.Message, 0)
	}
	// OCSF has its own numeric "time": the record carries none, so that
	// slog handlers do not write a second one.
	rt := e.end
	if a.schema == OCSF {
		rt = time.Time{}
	}
	var err error
	if w.direct != nil && w.encodeDirect(level, msg, nsKey(a.schema), top, ns) {
		err = w.writeDirect(level)
	} else {
		if w.chain != nil {
			ns = w.chain.seal(w.chainID, rt, level, msg, nsKey(a.schema), top, ns)
		}
		top = append(top, slog.GroupAttrs(nsKey(a.schema), ns...))
		rec := slog.NewRecord(rt, level, msg, 0)
		rec.AddAttrs(top...)
		err = handle(a.sink, rec)
	}
	ar.keep(top, ns)
	if err != nil {
		n := uint64(1)
		if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
			n = uint64(len(j.Unwrap()))
		}
		a.stats.sinkErrors.Add(n)
		if a.onError != nil {
			a.onError(err)
		}
	}
	a.stats.emitted.Add(1)
}

// handle calls h directly, not through a slog.Logger, which would discard
// its error, and turns a panicking handler into an error.
func handle(h slog.Handler, rec slog.Record) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("audit: handler panicked: %v", v)
		}
	}()
	if !h.Enabled(context.Background(), rec.Level) {
		return nil
	}
	return h.Handle(context.Background(), rec)
}

// nsKey is the group that holds apishield's own fields.
func nsKey(s Schema) string {
	if s == OCSF {
		return "unmapped"
	}
	return "apishield"
}

// NewJSONHandler returns a slog JSON handler that writes one line per
// event, as each schema wants it. ECS: no "time" (events carry
// @timestamp), "level" renamed to log.level in lower case and "msg" to
// message, as the ECS logging specification wants. OCSF: "msg" renamed to
// message and no level at all, since OCSF has no such attribute (the level
// is in metadata.log_level); the handler knows an OCSF event by its record,
// which has no time because the event carries its own. opts may be nil;
// its ReplaceAttr, if any, runs after the renaming.
//
// Lines from other handlers carry slog's own keys and do not validate
// against either schema.
func NewJSONHandler(w interface{ Write([]byte) (int, error) }, opts *slog.HandlerOptions) slog.Handler {
	var o slog.HandlerOptions
	if opts != nil {
		o = *opts
	}
	user := o.ReplaceAttr
	rename := func(dropLevel bool) func([]string, slog.Attr) slog.Attr {
		return func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 {
				switch a.Key {
				case slog.TimeKey:
					if a.Value.Kind() == slog.KindTime { // slog's own, not OCSF's time
						return slog.Attr{}
					}
				case slog.LevelKey:
					if dropLevel {
						return slog.Attr{}
					}
					a = slog.String("log.level", levelName(a.Value))
				case slog.MessageKey:
					a.Key = "message"
				}
			}
			if user != nil {
				a = user(groups, a)
			}
			return a
		}
	}
	// The two handlers share one lock around w, so their lines never
	// interleave, as one handler's would not.
	lw := &lockedWriter{w: w}
	ecs, ocsf := o, o
	ecs.ReplaceAttr, ocsf.ReplaceAttr = rename(false), rename(true)
	h := &jsonHandler{ecs: slog.NewJSONHandler(lw, &ecs), ocsf: slog.NewJSONHandler(lw, &ocsf)}
	if user == nil && !o.AddSource {
		h.plain = lw
	}
	return h
}

// jsonHandler sends a record with a time (ECS, and anything else) to one
// JSON handler and a record without one (OCSF) to the other.
type jsonHandler struct {
	ecs, ocsf slog.Handler
	// plain is the writer when the handler writes what the auditor's
	// direct encoder does (no ReplaceAttr, no AddSource, not derived);
	// nil otherwise.
	plain *lockedWriter
}

func (h *jsonHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.ecs.Enabled(ctx, l) }

func (h *jsonHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Time.IsZero() {
		return h.ocsf.Handle(ctx, r)
	}
	return h.ecs.Handle(ctx, r)
}

func (h *jsonHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &jsonHandler{ecs: h.ecs.WithAttrs(as), ocsf: h.ocsf.WithAttrs(as)}
}

func (h *jsonHandler) WithGroup(name string) slog.Handler {
	return &jsonHandler{ecs: h.ecs.WithGroup(name), ocsf: h.ocsf.WithGroup(name)}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  interface{ Write([]byte) (int, error) }
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func levelName(v slog.Value) string {
	if l, ok := v.Any().(slog.Level); ok {
		return string(bytes.ToLower([]byte(l.String())))
	}
	return v.String()
}

// ms is a duration in whole milliseconds.
func ms(d time.Duration) int64 { return d.Milliseconds() }
