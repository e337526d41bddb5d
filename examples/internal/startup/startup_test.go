package startup

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/apishield/apishield/examples/internal/devissuer"
)

func TestServe(t *testing.T) {
	t.Run("a failing server's error", func(t *testing.T) {
		boom := errors.New("boom")
		srv := &http.Server{}
		if err := Serve(context.Background(), srv, func() error { return boom }); err != boom {
			t.Fatalf("Serve: %v, want %v", err, boom)
		}
	})
	t.Run("a clean shutdown when ctx is done", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.NotFoundHandler()}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Serve(ctx, srv, func() error { return srv.Serve(ln) }) }()
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Serve after ctx is done: %v, want nil", err)
		}
	})
}

func TestBanner(t *testing.T) {
	var b strings.Builder
	Banner(&b, "headline", "http://x", []devissuer.Demo{{Name: "TOKEN", Token: "t0", About: "demo"}}, "Try:", []string{"curl -i http://x/  # 200"})
	want := "headline\n\n" +
		"Demo access tokens from the development issuer at http://x, valid for 1 hour:\n" +
		"  export TOKEN=t0  # demo\n" +
		"\nTry:\n" +
		"  curl -i http://x/  # 200\n" +
		"\nPress Ctrl-C to stop.\n"
	if b.String() != want {
		t.Fatalf("Banner:\n%s\nwant:\n%s", b.String(), want)
	}
}
