package record

// Authenticated reports whether a principal is recorded: [Record.Principal]
// is not the zero Principal. It copies nothing, for a caller on every
// request's path that needs only the yes or no (headers, at write time).
func (rec *Record) Authenticated() bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.more != nil && rec.more.principal != (Principal{})
}
