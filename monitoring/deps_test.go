package monitoring

import (
	"os/exec"
	"strings"
	"testing"
)

// exporterOnly are the import paths that only the examples may link: the
// OpenTelemetry SDK and exporters, and Prometheus's client. A library
// package records through the OpenTelemetry API alone, and the application
// chooses the SDK and the exporter.
var exporterOnly = []string{
	"go.opentelemetry.io/otel/sdk",
	"go.opentelemetry.io/otel/exporters/",
	"github.com/prometheus/",
}

// TestLibraryLinksNoExporter: no package of the module outside examples/
// depends on the OpenTelemetry SDK, an exporter or Prometheus's client, so
// a service that uses apishield without the quickstart's metrics wiring
// links none of them. Test helpers (packages named …test, as httptest)
// may use the SDK: only tests link them.
func TestLibraryLinksNoExporter(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH to list dependencies")
	}
	out, err := exec.Command(goBin, "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}",
		"github.com/apishield/apishield/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg := fields[0]
		if strings.HasPrefix(pkg, "github.com/apishield/apishield/examples/") || strings.HasSuffix(pkg, "test") {
			continue
		}
		checked++
		for _, dep := range fields[1:] {
			for _, bad := range exporterOnly {
				if strings.HasPrefix(dep, bad) {
					t.Errorf("%s depends on %s, which only the examples may link", pkg, dep)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d library packages listed:\n%s", checked, out)
	}
}
