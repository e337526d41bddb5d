// Package startup is what every example server does around its own wiring:
// print how to try it, then serve until it is interrupted.
package startup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/apishield/apishield/examples/internal/devissuer"
)

// ShutdownTimeout is how long Serve waits for requests in flight.
const ShutdownTimeout = 10 * time.Second

// Banner prints what an example prints once its listener is ready: its
// headline, the demo tokens (issued for an hour) as export lines, the
// commands to try under tryHeading, and how to stop. The examples' tests and
// CI read this text back (see examples/internal/curltest).
func Banner(w io.Writer, headline, base string, tokens []devissuer.Demo, tryHeading string, commands []string) {
	fmt.Fprintf(w, "%s\n\n", headline)
	fmt.Fprintf(w, "Demo access tokens from the development issuer at %s, valid for 1 hour:\n", base)
	for _, t := range tokens {
		fmt.Fprintf(w, "  export %s=%s  # %s\n", t.Name, t.Token, t.About)
	}
	fmt.Fprintf(w, "\n%s\n", tryHeading)
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}

// Serve runs serve (srv.Serve or srv.ServeTLS on the example's listener)
// until it fails or ctx is done, then shuts srv down, waiting up to
// ShutdownTimeout for requests in flight.
func Serve(ctx context.Context, srv *http.Server, serve func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
