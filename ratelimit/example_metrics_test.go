package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/apishield/apishield/ratelimit"
)

// A limiter counts its decisions on the MeterProvider it is given (or the
// global one); here an SDK provider with a manual reader, read once.
// Services usually install a Prometheus or OTLP exporter instead.
func ExampleConfig_meterProvider() {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())

	l := ratelimit.MustNew(ratelimit.Config{
		Name:          "ip",
		Key:           ratelimit.BySubject(),
		Policies:      []ratelimit.Policy{{Name: "minute", Limit: 2, Period: time.Minute}},
		MeterProvider: provider,
	})
	for range 3 {
		l.Allow(context.Background(), "client", 1)
	}

	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	// A component is reported while it is in use (reachable).
	fmt.Println("limiter", l.Name())
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "apishield.ratelimit.decisions" {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				outcome, _ := p.Attributes.Value("outcome")
				fmt.Println(outcome.AsString(), p.Value)
			}
		}
	}
	// Unordered output:
	// limiter ip
	// allow 2
	// deny 1
}
