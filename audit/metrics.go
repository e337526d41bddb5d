package audit

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

var (
	formatECS  = telemetry.NewAttrs(attribute.String("format", "ecs"))
	formatOCSF = telemetry.NewAttrs(attribute.String("format", "ocsf"))
	bruteForce = telemetry.NewAttrs(attribute.String("kind", "brute_force"))
	metricsCtx = context.Background()
)

// auditMetrics are an auditor's instruments. The queue depth, the drops
// and the alerts are read from the auditor when the SDK collects; only the
// write duration is recorded as events are written, on the writer's
// goroutine.
type auditMetrics struct {
	write  telemetry.Histogram
	format *telemetry.Attrs
}

func newAuditMetrics(mp metric.MeterProvider, a *Auditor) auditMetrics {
	meter := telemetry.Meter(mp, "audit")
	telemetry.Gauge(meter, "apishield.audit.queue.depth",
		"Events waiting for the auditor's writer.", "{event}",
		a, func(a *Auditor, observe func(float64, *telemetry.Attrs)) { observe(float64(len(a.queue)), nil) })
	telemetry.CounterFunc(meter, "apishield.audit.dropped",
		"Events dropped because the queue was full (async mode).", "{event}",
		a, nil, func(a *Auditor) int64 { return int64(a.stats.dropped.Load()) })
	telemetry.CounterFunc(meter, "apishield.audit.alerts",
		"Alerts the auditor raised, by kind.", "{alert}",
		a, bruteForce, func(a *Auditor) int64 { return int64(a.stats.bruteForce.Load()) })
	telemetry.CounterFunc(meter, "apishield.audit.repeated",
		"Requests counted into a summary of repeated refusals instead of an event of their own (Config.Repeats).", "{request}",
		a, nil, func(a *Auditor) int64 { return int64(a.repeats.repeated.Load()) })
	m := auditMetrics{
		write: telemetry.NewHistogram(meter, "apishield.audit.write.duration",
			"Time to write one event (and the alerts it raised) to every handler.", "s", telemetry.LatencyBounds...),
		format: formatECS,
	}
	if a.schema == OCSF {
		m.format = formatOCSF
	}
	return m
}

// write writes e through the writer state, timing it when an SDK keeps
// the measurement. The caller holds a.wmu.
func (a *Auditor) write(e *entry) {
	if !a.metrics.write.Enabled(metricsCtx) {
		a.w.write(e)
		return
	}
	start := time.Now()
	a.w.write(e)
	a.metrics.write.Record(metricsCtx, time.Since(start).Seconds(), a.metrics.format)
}
