// Command apikey makes a new apishield API key. It prints the key, to hand
// to its owner once, and the record to add to the key file that
// auth.LoadAPIKeysFile reads; the file holds only the key's hash.
//
//	go run ./examples/apikey -subject billing-service -scopes items:read,items:write
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/apishield/apishield/auth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "apikey:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apikey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subject := fs.String("subject", "", "who the key stands for (required)")
	scopes := fs.String("scopes", "", "comma-separated scopes to grant")
	roles := fs.String("roles", "", "comma-separated roles to grant")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 2160h; 0 means no expiry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *subject == "" {
		return fmt.Errorf("-subject is required")
	}
	key, rec, err := auth.GenerateAPIKey()
	if err != nil {
		return err
	}
	rec.Subject = *subject
	rec.Scopes = split(*scopes)
	rec.Roles = split(*roles)
	if *ttl > 0 {
		rec.Expires = time.Now().Add(*ttl).UTC().Truncate(time.Second)
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "API key (give it to %s once; it is not stored anywhere):\n  %s\n\n", *subject, key)
	fmt.Fprintf(stdout, "Record for the key file's \"keys\" array:\n  %s\n", line)
	return nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
