package record

import (
	"bufio"
	"net"
	"net/http"
)

// ResponseWriter records the status and byte count of a response in its
// Record. It implements Unwrap, so http.ResponseController reaches the
// underlying writer's Flush, Hijack, SetReadDeadline and friends; Flush and
// Hijack are also implemented directly for code that still uses the
// http.Flusher and http.Hijacker interfaces.
type ResponseWriter struct {
	http.ResponseWriter
	rec *Record
}

// Record returns the record the writer reports to.
func (w *ResponseWriter) Record() *Record { return w.rec }

// WriteHeader records the status. Informational (1xx) statuses other than
// 101 Switching Protocols do not count as the final header.
func (w *ResponseWriter) WriteHeader(status int) {
	rec := w.rec
	rec.mu.Lock()
	if rec.wroteHeader || (status >= 100 && status < 200 && status != http.StatusSwitchingProtocols) {
		rec.mu.Unlock()
		w.ResponseWriter.WriteHeader(status)
		return
	}
	rec.wroteHeader = true
	rec.status = int32(status)
	hook := rec.headerHook
	rec.mu.Unlock()
	w.runHook(hook)
	w.ResponseWriter.WriteHeader(status)
}

// Write records the bytes written, and an implicit 200 status.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	rec := w.rec
	w.runHook(rec.implicitOK())
	n, err := w.ResponseWriter.Write(p)
	rec.bytes.Add(int64(n))
	return n, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *ResponseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush flushes the underlying writer if it can; a flush writes the header.
func (w *ResponseWriter) Flush() {
	w.runHook(w.rec.implicitOK())
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands over the connection if the underlying writer allows it; the
// record then reports status 101-like takeover as "header written".
func (w *ResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		rec := w.rec
		rec.mu.Lock()
		rec.wroteHeader = true
		if rec.status == 0 {
			rec.status = http.StatusSwitchingProtocols
		}
		rec.mu.Unlock()
	}
	return conn, brw, err
}

// implicitOK records the 200 status net/http sends when a body is written or
// flushed before WriteHeader, and returns the header hook to run if this
// is the moment the header is written.
func (rec *Record) implicitOK() (hook HeaderHook) {
	rec.mu.Lock()
	if !rec.wroteHeader {
		rec.wroteHeader = true
		rec.status = http.StatusOK
		hook = rec.headerHook
	}
	rec.mu.Unlock()
	return hook
}
