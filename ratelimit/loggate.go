package ratelimit

import (
	"sync/atomic"
	"time"
)

// logGate lets one log line through per second, so a store outage under
// load does not flood the log.
type logGate struct{ last atomic.Int64 }

func (g *logGate) open() bool {
	now := time.Now().UnixNano()
	last := g.last.Load()
	return now-last >= int64(time.Second) && g.last.CompareAndSwap(last, now)
}
