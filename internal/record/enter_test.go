package record

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"unsafe"
)

// TestRecordSize: the record is the one allocation every request pays for,
// refusals included. 480 bytes is the allocator's size class it fills; a
// field more moves it to the next class (512), and past 512 bytes every
// record also gets a per-object header. Move what a refusal does not need
// to the cold part instead.
func TestRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(Record{}); n > 480 {
		t.Errorf("Record is %d bytes, more than its 480-byte size class", n)
	}
	if n := unsafe.Sizeof(cold{}); n > 128 {
		t.Errorf("the cold part is %d bytes, more than the 128 an authenticated request pays", n)
	}
}

// TestEnterCostsNoRequestCopy: Enter installs the record without copying
// the request; the record is found through the writer, and the request is
// copied only when it leaves apishield's handlers.
func TestEnterCostsNoRequestCopy(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/v1/items", nil)
	w, r, rec := Enter(httptest.NewRecorder(), req)
	if r != req {
		t.Fatal("Enter copied the request")
	}
	if From(r.Context()) != nil {
		t.Fatal("Enter put the record in the request's context")
	}
	if w != &rec.rw {
		t.Fatal("Enter did not answer through the record's writer")
	}
	if Of(w, r) != rec {
		t.Fatal("Of does not find the record through its writer")
	}
	if w2, r2, rec2 := Enter(w, r); rec2 != rec || w2 != w || r2 != r {
		t.Fatal("a second Enter through the record's writer made another record or copy")
	}

	var inner Handler = func(http.ResponseWriter, *http.Request) {}
	if got := rec.RequestFor(inner, w, r); got != r {
		t.Error("RequestFor copied the request for an apishield Handler on the record's writer")
	}
	app := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	passed := rec.RequestFor(app, w, r)
	if passed == r || From(passed.Context()) != rec {
		t.Fatal("RequestFor gave the application a request without the record")
	}
	if rec.Served() != passed {
		t.Error("Served is not the copy made for the application")
	}
	if got := rec.RequestFor(app, w, passed); got != passed {
		t.Error("RequestFor copied a request that carries the record already")
	}
	wrapped := struct{ http.ResponseWriter }{w}
	if got := rec.RequestFor(inner, wrapped, r); From(got.Context()) != rec {
		t.Error("RequestFor passed a bare request with a writer that is not the record's")
	}

	// Install finds the record through the writer and attaches it.
	_, r3, rec3 := Install(w, r)
	if rec3 != rec || From(r3.Context()) != rec {
		t.Error("Install after Enter did not attach the same record")
	}
}

// TestAttachKeepsTheRequestsContext: a request derived from the entered one
// (with a context value of its own) keeps that value when attached, and
// the request the record was installed for is attached without a context
// allocation.
func TestAttachKeepsTheRequestsContext(t *testing.T) {
	type key struct{}
	req := httptest.NewRequest("GET", "/", nil)
	_, r, rec := Enter(httptest.NewRecorder(), req)
	if n := testing.AllocsPerRun(100, func() { _ = rec.ContextOf(r) }); n != 0 {
		t.Errorf("ContextOf the installed request allocates %v times", n)
	}
	derived := r.WithContext(context.WithValue(r.Context(), key{}, "v"))
	attached := rec.Attach(derived)
	if From(attached.Context()) != rec || attached.Context().Value(key{}) != "v" {
		t.Error("Attach lost the derived request's context value or the record")
	}
	if rec.Attach(attached) != attached {
		t.Error("Attach copied a request that carries the record")
	}
}
