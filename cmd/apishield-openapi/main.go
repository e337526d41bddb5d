// Command apishield-openapi prints the inventory of an OpenAPI document as
// apishield enforces it: for every operation its authentication and
// scopes, the validation coverage of its parameters, body and responses,
// its rate limit and cost, ownership rule and deprecation, and warnings
// (open objects, unbounded strings and arrays, public writes, undeclared
// security, bodies without a schema or of a type nobody decodes). It is
// the report of package openapi's Contract.Inventory, for audits (OWASP
// API9) and for CI.
//
//	go run github.com/apishield/apishield/cmd/apishield-openapi [flags] openapi.yaml
//
// The flags come before the file:
//
//	-format markdown|json          Markdown for people (the default), JSON for tools
//	-fail-on warning|none          exit 1 when there are warnings (the default), or never
//	-undeclared authenticated|deny|public
//	                               what an operation without declared security requires,
//	                               as Config.Undeclared (default authenticated)
//
// The exit status is 0 for a clean report, 1 for a report with warnings
// under -fail-on warning, and 2 for a document that does not load or a
// wrong command line; the load error, which lists every problem with its
// location, goes to standard error.
//
// # Loading for inspection
//
// The document is loaded with openapi.LoadFile, as an application loads
// it, with its relative $refs and nothing from the network. The
// extensions x-apishield-rate-limit and x-apishield-owner name limiters
// and rules that only the application has, and the loader refuses a name
// its Config lacks. So the command first reads the names the document and
// the files it references use, and loads with a placeholder limiter and
// rule under each name; the report shows the names. For the same reason a
// "deprecated: true" operation without x-apishield-deprecation does not
// stop the load here (the application must set Config.DeprecatedSince);
// the report shows it deprecated, without a date.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apishield/apishield/openapi"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// The exit statuses.
const (
	exitClean    = 0
	exitFindings = 1
	exitError    = 2
)

// run is the command: it parses args, loads the document and writes the
// report to stdout and anything else to stderr, and returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("apishield-openapi", flag.ContinueOnError)
	flags.SetOutput(stderr)
	format := flags.String("format", "markdown", "report `format`: markdown or json")
	failOn := flags.String("fail-on", "warning", "exit 1 on `level`: warning (any warning) or none")
	undeclared := flags.String("undeclared", "authenticated",
		"what an operation without declared security requires: authenticated, deny or public")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: apishield-openapi [-format markdown|json] [-fail-on warning|none] [-undeclared authenticated|deny|public] openapi.yaml")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitClean
		}
		return exitError
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "apishield-openapi: "+format+"\n", a...)
		flags.Usage()
		return exitError
	}
	if flags.NArg() != 1 {
		return usage("want one document, got %d arguments", flags.NArg())
	}
	if *format != "markdown" && *format != "json" {
		return usage("-format %q: want markdown or json", *format)
	}
	if *failOn != "warning" && *failOn != "none" {
		return usage("-fail-on %q: want warning or none", *failOn)
	}
	und, ok := map[string]openapi.Undeclared{
		"authenticated": openapi.UndeclaredAuthenticated,
		"deny":          openapi.UndeclaredDeny,
		"public":        openapi.UndeclaredPublic,
	}[*undeclared]
	if !ok {
		return usage("-undeclared %q: want authenticated, deny or public", *undeclared)
	}

	path := flags.Arg(0)
	cfg, err := inspectionConfig(path)
	if err != nil {
		fmt.Fprintf(stderr, "apishield-openapi: %v\n", err)
		return exitError
	}
	cfg.Undeclared = und
	c, err := openapi.LoadFile(path, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "apishield-openapi: %v\n", err)
		return exitError
	}

	inv := c.Inventory()
	if *format == "json" {
		err = inv.WriteJSON(stdout)
	} else {
		err = inv.WriteMarkdown(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "apishield-openapi: %v\n", err)
		return exitError
	}
	if n := inv.Findings(); n > 0 && *failOn == "warning" {
		fmt.Fprintf(stderr, "apishield-openapi: %d %s\n", n, map[bool]string{true: "warning", false: "warnings"}[n == 1])
		return exitFindings
	}
	return exitClean
}
