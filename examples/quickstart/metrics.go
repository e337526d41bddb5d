package main

// metrics.go serves the metrics apishield's packages record, in
// Prometheus's text format, on a listener of its own. The packages record
// through the OpenTelemetry API only; the application chooses where the
// numbers go by installing a MeterProvider, here one that a Prometheus
// server scrapes at /metrics. monitoring/ in the repository holds a
// Grafana dashboard and Prometheus alert rules for these metrics.
//
// The listener is plain HTTP on a loopback address: the metrics tell how
// the API is attacked and what it refuses, which is for the operator's
// scraper on the same host, not for the network. To scrape from another
// host, put the endpoint behind TLS and access control of your own.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/tlsconfig"
)

// defaultMetricsAddr is Prometheus's registered port for OpenTelemetry's
// Prometheus exporter, on the loopback address.
const defaultMetricsAddr = "127.0.0.1:9464"

// checkMetricsAddr refuses a metrics address that is not a loopback one,
// before anything listens: an empty host (all interfaces), a name other
// than localhost, or an IP address off the machine.
func checkMetricsAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-metrics-addr %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !ip.IsLoopback()) {
		return fmt.Errorf("-metrics-addr %q: metrics are served on a loopback address only (127.0.0.1, [::1] or localhost); "+
			"to scrape from another host, put the endpoint behind TLS and access control", addr)
	}
	return nil
}

// metricsServer is the running metrics endpoint.
type metricsServer struct {
	URL      string // where /metrics is served
	srv      *http.Server
	provider *sdkmetric.MeterProvider
	done     chan struct{}
	logger   *slog.Logger
}

// startMetrics installs a MeterProvider that exports to a Prometheus
// registry as OpenTelemetry's global one, so apishield's packages record
// into it, and serves the registry at /metrics on addr, which
// checkMetricsAddr has accepted. The registry also holds the Go runtime's
// and the process's metrics.
func startMetrics(ctx context.Context, addr string, logger *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics-addr: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() { // localhost resolved off the machine
		ln.Close()
		return nil, fmt.Errorf("-metrics-addr %q listens on %s, not a loopback address", addr, ip)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		ln.Close()
		return nil, err
	}
	// service.name names the quickstart in target_info; OTEL_SERVICE_NAME
	// and OTEL_RESOURCE_ATTRIBUTES, read after it, override it.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "apishield-quickstart")),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		ln.Close()
		return nil, err
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res))
	otel.SetMeterProvider(provider)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		MaxRequestsInFlight: 4, // a scraper or two; more is a misconfiguration, answered 503
		Timeout:             10 * time.Second,
	}))
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{Handler: apierrors.Mux(mux), Logger: logger})
	if err != nil {
		ln.Close()
		return nil, err
	}
	m := &metricsServer{
		URL:      "http://" + displayAddr(addr, ln.Addr()) + "/metrics",
		srv:      srv,
		provider: provider,
		done:     make(chan struct{}),
		logger:   logger,
	}
	go func() {
		defer close(m.done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics endpoint stopped", slog.Any("error", err))
		}
	}()
	return m, nil
}

// Close stops serving the metrics, giving a scrape in flight five seconds,
// and shuts the MeterProvider down.
func (m *metricsServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil {
		m.logger.Error("metrics endpoint shutdown", slog.Any("error", err))
	}
	<-m.done
	if err := m.provider.Shutdown(ctx); err != nil {
		m.logger.Error("meter provider shutdown", slog.Any("error", err))
	}
}
