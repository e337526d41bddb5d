// Command auditverify checks the hash chain of an audit log written by an
// audit.Auditor with a ChainKey: it reports the first line that was edited,
// removed, inserted, duplicated or moved.
//
//	auditverify -key-file /run/secrets/audit-key audit.log [more.log ...]
//	APISHIELD_AUDIT_KEY=<hex> auditverify < audit.log
//
// The key is read from a file (its bytes, less one trailing newline) or
// from the APISHIELD_AUDIT_KEY environment variable (hex), never from a
// flag, which other users could read in the process list. Each file is one
// log; with no file, standard input is read.
//
// Exit status: 0 when every log verifies, 1 when one does not, 2 on a usage
// or read error.
package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/apishield/apishield/audit"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("auditverify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "file holding the chain key (else $APISHIELD_AUDIT_KEY, hex)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	key, err := loadKey(*keyFile, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "auditverify:", err)
		return 2
	}
	type input struct {
		name string
		r    io.Reader
	}
	var inputs []input
	if fs.NArg() == 0 {
		inputs = append(inputs, input{"stdin", stdin})
	}
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, "auditverify:", err)
			return 2
		}
		defer f.Close()
		inputs = append(inputs, input{name, f})
	}
	status := 0
	for _, in := range inputs {
		res, err := audit.Verify(in.r, key)
		switch {
		case errors.Is(err, audit.ErrTampered):
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", in.name, err)
			status = 1
		case err != nil:
			fmt.Fprintf(stderr, "auditverify: %s: %v\n", in.name, err)
			return 2
		default:
			ids := make([]string, 0, len(res.Chains))
			for id, seq := range res.Chains {
				ids = append(ids, fmt.Sprintf("%s..%d", id, seq))
			}
			sort.Strings(ids)
			fmt.Fprintf(stdout, "%s: ok: %d events in %d chain(s) [%s]\n", in.name, res.Events, len(res.Chains), strings.Join(ids, " "))
		}
	}
	return status
}

func loadKey(file string, getenv func(string) string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		return []byte(strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")), nil
	}
	if v := getenv("APISHIELD_AUDIT_KEY"); v != "" {
		b, err := hex.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return nil, errors.New("APISHIELD_AUDIT_KEY is not hex")
		}
		return b, nil
	}
	return nil, errors.New("no key: pass -key-file or set APISHIELD_AUDIT_KEY")
}
