package tlsconfig

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// WithMeterProvider sets the provider that receives the certificate's
// expiry (see the package documentation, Monitoring). Nil, the default,
// means the global provider of go.opentelemetry.io/otel, which does
// nothing until the application installs an SDK.
func WithMeterProvider(mp metric.MeterProvider) ReloadOption {
	return func(o *reloadOptions) { o.meterProvider = mp }
}

var (
	certLeaf     = telemetry.NewAttrs(attribute.String("certificate", "leaf"))
	certClientCA = telemetry.NewAttrs(attribute.String("certificate", "client_ca"))
)

// The gauge is shared by every reloader of a provider and reports, per
// kind, the nearest expiry: one Reloader's value would otherwise overwrite
// another's.
const (
	expiryGauge = "apishield.tls.certificate.expiry"
	expiryDesc  = "Seconds until the served certificate (leaf) or the first CA of the client CA bundle (client_ca) expires; the nearest of all reloaders."
)

func (r *Reloader) register(mp metric.MeterProvider) {
	telemetry.SharedGauge(mp, "tlsconfig", expiryGauge, expiryDesc, "s", telemetry.Min, r,
		func(r *Reloader, observe func(float64, *telemetry.Attrs)) {
			observe(time.Until(r.NotAfter()).Seconds(), certLeaf)
		})
}

func (c *CAReloader) register(mp metric.MeterProvider) {
	telemetry.SharedGauge(mp, "tlsconfig", expiryGauge, expiryDesc, "s", telemetry.Min, c,
		func(c *CAReloader, observe func(float64, *telemetry.Attrs)) {
			observe(time.Until(c.NotAfter()).Seconds(), certClientCA)
		})
}
