package record

// SetUnauthenticated stores the problem auth writes for a request without
// credentials, when auth lets such a request through as anonymous, so
// that middleware further in that needs a caller (authz) answers with the
// same 401. The value is opaque here: the record cannot import errors.
// A pointer is stored, so recording it allocates nothing.
func (rec *Record) SetUnauthenticated(v any) {
	rec.mu.Lock()
	if rec.more != nil || v != nil {
		rec.cold().unauthenticated = v
	}
	rec.mu.Unlock()
}

// Unauthenticated returns what SetUnauthenticated stored, or nil.
func (rec *Record) Unauthenticated() any {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.more == nil {
		return nil
	}
	return rec.more.unauthenticated
}
