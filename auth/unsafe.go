package auth

import "unsafe"

// bytesOf views s as bytes without copying. The result must never be
// written; it feeds decoders that only read.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// stringOf views b as a string without copying, for a comparison or map
// lookup that does not keep it. b must not change while the result is used.
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
