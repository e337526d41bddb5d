package record

import "net/netip"

// Snapshot is a copy of what a Record holds, taken under one lock, for a
// reader that wants all of it at once (audit, when the request completes).
type Snapshot struct {
	ClientRequestID string // see Record.ClientRequestID
	ClientIP        netip.Addr
	Route           string
	Principal       Principal
	Decisions       []Decision
	RateLimit       RateLimit
	HasRateLimit    bool
	Problem         Problem
	Status          int
	Bytes           int64
	WroteHeader     bool
}

// Snapshot copies the record into s. The decisions are appended to
// s.Decisions[:0], so a caller that reuses s reads them without allocating.
// Field errors are not copied: FieldErrors returns them when needed.
func (rec *Record) Snapshot(s *Snapshot) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s.ClientIP = rec.clientIP
	s.Route = rec.route
	s.ClientRequestID, s.Principal = "", Principal{}
	if rec.more != nil {
		s.ClientRequestID, s.Principal = rec.more.clientID, rec.more.principal
	}
	s.Decisions = append(s.Decisions[:0], rec.decisions...)
	s.RateLimit, s.HasRateLimit = rec.rateLimit, rec.hasRateLimit
	s.Problem = rec.problem
	s.Status, s.Bytes, s.WroteHeader = int(rec.status), rec.bytes.Load(), rec.wroteHeader
}
