package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/apishield/apishield/audit"
)

// newAuditor returns the example's auditor: one security event per
// request, as Elastic Common Schema JSON lines on w (stdout), which a log
// shipper can forward to a SIEM as they are. A real service would add a
// second handler (a file, a collector) and a ChainKey for tamper evidence.
func newAuditor(w io.Writer) (*audit.Auditor, error) {
	return audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(w, nil)}})
}

// closeAuditor flushes the events still queued, giving a stuck sink five
// seconds; its error says the flush did not finish in time.
func closeAuditor(aud *audit.Auditor) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return aud.Close(ctx)
}
