package telemetry_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestLibraryLinksNoSDK: the library reports through the OpenTelemetry API
// only; the SDK and the exporters are the application's choice. No package
// of the module but the examples and the tests' reader (telemetrytest)
// may link them.
func TestLibraryLinksNoSDK(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH to list dependencies")
	}
	cmd := exec.Command(gobin, "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "github.com/apishield/apishield/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	const testReader = "github.com/apishield/apishield/internal/telemetry/telemetrytest"
	forbidden := func(dep string) bool {
		return dep == "go.opentelemetry.io/otel/sdk" ||
			strings.HasPrefix(dep, "go.opentelemetry.io/otel/sdk/") ||
			strings.HasPrefix(dep, "go.opentelemetry.io/otel/exporters/") ||
			strings.HasPrefix(dep, "github.com/prometheus/")
	}
	linking := map[string]string{}
	usesAPI := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for _, dep := range fields[1:] {
			if forbidden(dep) {
				linking[fields[0]] = dep
			}
			if dep == "go.opentelemetry.io/otel/metric" {
				usesAPI[fields[0]] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for pkg, dep := range linking {
		if pkg == testReader || strings.HasPrefix(pkg, "github.com/apishield/apishield/examples/") {
			continue
		}
		t.Errorf("%s links %s; library packages may use only the OpenTelemetry API", pkg, dep)
	}
	// The check can fail: the tests' reader does link the SDK, and the
	// library does use the API.
	if linking[testReader] == "" {
		t.Errorf("%s does not appear to link the SDK: the dependency listing is broken", testReader)
	}
	if !usesAPI["github.com/apishield/apishield/internal/telemetry"] {
		t.Errorf("internal/telemetry does not appear to link the metric API: the dependency listing is broken")
	}
}
