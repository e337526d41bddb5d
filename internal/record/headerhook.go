package record

import "net/http"

// A HeaderHook edits a response's header just before its final header is
// written: when the handler calls WriteHeader with a non-1xx status, or
// writes or flushes the body first. It lets a package decide what only the
// end of the request knows (was the caller authenticated? did the handler
// set Server?) without a second ResponseWriter wrapper. It runs at most
// once per request, without the record's lock held, on the goroutine that
// writes the header.
type HeaderHook interface {
	BeforeHeader(rec *Record, h http.Header)
}

// SetHeaderHook makes hook the request's header hook, replacing an earlier
// one (an inner middleware's settings win over an outer one's). Storing a
// pointer allocates nothing. It has no effect once the header is written.
func (rec *Record) SetHeaderHook(hook HeaderHook) {
	rec.mu.Lock()
	rec.headerHook = hook
	rec.mu.Unlock()
}

// runHook runs the hook taken under the lock, if any, on w's header.
func (w *ResponseWriter) runHook(hook HeaderHook) {
	if hook != nil {
		hook.BeforeHeader(w.rec, w.ResponseWriter.Header())
	}
}

// RunHeaderHook runs the header hook on h now, unless the header has been
// written (the hook then ran already) or there is no hook. A middleware
// calls it after its handler returns: a handler that wrote nothing leaves
// the header to net/http, which writes it past the record's writer. The
// hook runs at most once.
func (rec *Record) RunHeaderHook(h http.Header) {
	rec.mu.Lock()
	hook := rec.headerHook
	if rec.wroteHeader {
		hook = nil
	}
	rec.headerHook = nil
	rec.mu.Unlock()
	if hook != nil {
		hook.BeforeHeader(rec, h)
	}
}
