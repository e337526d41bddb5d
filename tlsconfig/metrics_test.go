package tlsconfig_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
	"github.com/apishield/apishield/tlsconfig"
)

// TestMetricsCertificateExpiry reads back, through the SDK's manual reader,
// the seconds until the nearest served certificate and client CA expire,
// across reloaders and after a reload.
func TestMetricsCertificateExpiry(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	ca := newCA(t, "expiry CA")
	now := time.Now()
	dir := t.TempDir()
	far := filepath.Join(dir, "far")
	near := filepath.Join(dir, "near")
	os.Mkdir(far, 0o700)
	os.Mkdir(near, 0o700)
	farCert, farKey := writePair(t, far, ca.issue(t, leaf{dns: []string{"far.test"}, notAfter: now.Add(10 * time.Hour)}))
	nearCert, nearKey := writePair(t, near, ca.issue(t, leaf{dns: []string{"near.test"}, notAfter: now.Add(5 * time.Hour)}))
	r1, err := tlsconfig.NewReloader(farCert, farKey, tlsconfig.WithInterval(0), tlsconfig.WithMeterProvider(m))
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := tlsconfig.NewReloader(nearCert, nearKey, tlsconfig.WithInterval(0), tlsconfig.WithMeterProvider(m))
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	bundle := filepath.Join(dir, "ca.pem")
	writeFile(t, bundle, ca.pem)
	car, err := tlsconfig.NewCAReloader(bundle, tlsconfig.WithInterval(0), tlsconfig.WithMeterProvider(m))
	if err != nil {
		t.Fatal(err)
	}
	defer car.Close()

	expiry := func(kind string) float64 {
		t.Helper()
		v, ok := m.Value("apishield.tls.certificate.expiry", attribute.String("certificate", kind))
		if !ok {
			t.Fatalf("no expiry for %s", kind)
		}
		return v
	}
	// Certificates carry whole seconds; the test takes a few.
	within := func(got float64, want time.Time) bool {
		d := time.Until(want).Seconds()
		return got > d-60 && got < d+2
	}
	if got := expiry("leaf"); !within(got, now.Add(5*time.Hour)) {
		t.Errorf("leaf expiry = %vs, want about 5h (the nearer of two)", got)
	}
	if got := expiry("client_ca"); !within(got, ca.cert.NotAfter) {
		t.Errorf("client_ca expiry = %vs, want until %v", got, ca.cert.NotAfter)
	}
	if n := len(m.Series("apishield.tls.certificate.expiry")); n != 2 {
		t.Errorf("expiry has %d series, want 2 (leaf, client_ca)", n)
	}
	writePair(t, near, ca.issue(t, leaf{dns: []string{"near.test"}, notAfter: now.Add(2 * time.Hour)}))
	if err := r2.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := expiry("leaf"); !within(got, now.Add(2*time.Hour)) {
		t.Errorf("leaf expiry after reload = %vs, want about 2h", got)
	}
	if md := m.Collect()["apishield.tls.certificate.expiry"]; md.Scope != "github.com/apishield/apishield/tlsconfig" || md.Unit != "s" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	runtime.KeepAlive(r1)
	runtime.KeepAlive(r2)
	runtime.KeepAlive(car)
}
