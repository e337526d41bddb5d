package redisstore

import "fmt"

// A FailMode says how a component of this package answers while Redis
// fails: a call times out, errors, or is refused by the open circuit
// breaker.
type FailMode int

const (
	// FailClosed returns an error, and the caller refuses: the default.
	FailClosed FailMode = iota
	// FailOpen answers as if Redis had allowed the request.
	FailOpen
	// Local answers from a memory cache of this instance.
	Local
)

// String returns the mode's name as the metrics report it: fail_closed,
// fail_open or local.
func (m FailMode) String() string {
	switch m {
	case FailClosed:
		return "fail_closed"
	case FailOpen:
		return "fail_open"
	case Local:
		return "local"
	}
	return fmt.Sprintf("FailMode(%d)", int(m))
}
