package record

import (
	"encoding/binary"
	mrand "math/rand/v2"
	"net/http"
	"time"
	"unsafe"
)

// MaxIDLength is the longest incoming X-Request-ID that is accepted.
const MaxIDLength = 64

// ValidID reports whether an incoming request ID is acceptable as a log
// correlation key: 1 to 64 characters of [A-Za-z0-9._-]. Anything else could
// forge log lines or smuggle markup into a SIEM, so it is dropped. Valid does
// not mean trusted: see [Install].
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// IncomingID returns the request's X-Request-ID header and true if the
// request carries exactly one and it is acceptable (see [ValidID]). Whether
// it may be believed is the caller's decision: only an ID set by a trusted
// proxy may become the request's ID.
func IncomingID(r *http.Request) (string, bool) {
	if v := r.Header["X-Request-Id"]; len(v) == 1 && ValidID(v[0]) {
		return v[0], true
	}
	return "", false
}

// RequestID returns the request's ID: the ID of its record if it has one,
// else a new ID. It never returns the client's X-Request-ID.
func RequestID(r *http.Request) string {
	if rec := From(r.Context()); rec != nil {
		return rec.ID()
	}
	return NewID()
}

// crockford is the Crockford base32 alphabet used by ULIDs.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new ULID: 48 bits of Unix milliseconds and 80 random
// bits, in 26 characters of Crockford base32. IDs sort by time, which
// makes them pleasant in logs, and do not collide. An ID correlates log
// lines; it is not a secret, and nothing in apishield trusts it as one.
func NewID() string { return newIDAt(time.Now()) }

// newIDAt is NewID for a request whose start time is already read.
func newIDAt(t time.Time) string {
	var out [26]byte
	ulidAt(&out, t)
	return string(out[:])
}

// newID is the ID of the request rec records, made at its start, its
// bytes in the record itself: the string lives as long as the record,
// which is never changed after it.
func (rec *Record) newID() string {
	ulidAt(&rec.idBuf, rec.start)
	return unsafe.String(&rec.idBuf[0], len(rec.idBuf))
}

// ulidAt writes a ULID for time t to out.
func ulidAt(out *[26]byte, t time.Time) {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	idRandom(b[6:])
	encodeULID(out, &b)
}

// idRandom fills p with random bytes from math/rand/v2's generator: the
// runtime's ChaCha8, one per thread, seeded from the kernel's generator.
// It costs a few nanoseconds, without a call into the kernel for every
// request.
func idRandom(p []byte) {
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, mrand.Uint64())
		p = p[8:]
	}
	if len(p) > 0 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], mrand.Uint64())
		copy(p, b[:])
	}
}

func encodeULID(out *[26]byte, b *[16]byte) {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	// 128 bits as 26 base32 digits: the first digit holds the top 3 bits.
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
}
