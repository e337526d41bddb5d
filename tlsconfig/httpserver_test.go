package tlsconfig_test

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/tlsconfig"
)

func TestNewHTTPServerDefaults(t *testing.T) {
	t.Parallel()
	h := http.NotFoundHandler()
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{Handler: h, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if srv.ReadHeaderTimeout != tlsconfig.DefaultReadHeaderTimeout || srv.ReadTimeout != tlsconfig.DefaultReadTimeout ||
		srv.WriteTimeout != tlsconfig.DefaultWriteTimeout || srv.IdleTimeout != tlsconfig.DefaultIdleTimeout ||
		srv.MaxHeaderBytes != tlsconfig.DefaultMaxHeaderBytes || srv.ErrorLog == nil || srv.Addr != "127.0.0.1:0" {
		t.Fatalf("defaults not applied: %+v", srv)
	}
	srv, err = tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{Handler: h, WriteTimeout: -1, ReadTimeout: time.Minute, MaxHeaderBytes: 1 << 12})
	if err != nil {
		t.Fatal(err)
	}
	if srv.WriteTimeout != 0 || srv.ReadTimeout != time.Minute || srv.MaxHeaderBytes != 1<<12 {
		t.Fatalf("overrides not applied: write %v read %v header %d", srv.WriteTimeout, srv.ReadTimeout, srv.MaxHeaderBytes)
	}
}

func TestNewHTTPServerInvalid(t *testing.T) {
	t.Parallel()
	h := http.NotFoundHandler()
	tests := []struct {
		name string
		cfg  tlsconfig.HTTPServerConfig
	}{
		{"no handler", tlsconfig.HTTPServerConfig{}},
		{"no header timeout", tlsconfig.HTTPServerConfig{Handler: h, ReadHeaderTimeout: -1}},
		{"negative header bytes", tlsconfig.HTTPServerConfig{Handler: h, MaxHeaderBytes: -1}},
		{"negative burst", tlsconfig.HTTPServerConfig{Handler: h, ErrorLogBurst: -1}},
	}
	for _, tt := range tests {
		if _, err := tlsconfig.NewHTTPServer(tt.cfg); !errors.Is(err, tlsconfig.ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", tt.name, err)
		}
	}
}

func TestHTTPServerErrorLogIsRateLimited(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs := newLogRecorder()
		srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{
			Handler: http.NotFoundHandler(), Logger: slog.New(logs), ErrorLogBurst: 3, ErrorLogEvery: time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 100 {
			srv.ErrorLog.Printf("http: TLS handshake error from 192.0.2.1:1234: EOF")
		}
		if n := len(logs.snapshot()); n != 3 {
			t.Fatalf("%d records from a burst of 100, want 3", n)
		}
		time.Sleep(time.Second)
		srv.ErrorLog.Printf("http: TLS handshake error from 192.0.2.1:1235: %s", strings.Repeat("x", 5000))
		recs := logs.snapshot()
		if len(recs) != 4 {
			t.Fatalf("%d records after a second, want 4", len(recs))
		}
		last := recs[3]
		if v, ok := attr(last, "suppressed"); !ok || v.Int64() != 97 {
			t.Fatalf("suppressed = %v (present %v), want 97", v, ok)
		}
		if v, _ := attr(last, "error"); len(v.String()) > 1024 {
			t.Fatalf("error attribute is %d bytes, want it bounded to 1024", len(v.String()))
		}
		if last.Level != slog.LevelWarn || last.Message != "http: server error" {
			t.Fatalf("record %v %q, want WARN \"http: server error\"", last.Level, last.Message)
		}
		time.Sleep(10 * time.Second) // refill caps at the burst
		for range 10 {
			srv.ErrorLog.Print("again")
		}
		if n := len(logs.snapshot()); n != 7 {
			t.Fatalf("%d records, want 7 (burst of 3 after the refill)", n)
		}
	})
}

// TestHTTPServerLogsHandshakeErrors runs a real server and sends it garbage
// instead of a ClientHello; the handshake error must arrive through slog.
func TestHTTPServerLogsHandshakeErrors(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "server CA")
	tcfg, err := tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{ca.serverLeaf(t).tls}})
	if err != nil {
		t.Fatal(err)
	}
	logs := newLogRecorder()
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		TLSConfig: tcfg,
		Logger:    slog.New(logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	io.Copy(io.Discard, c) // the server answers plain HTTP on a TLS port with a 400 and closes
	c.Close()

	select {
	case <-logs.notify:
	case <-time.After(10 * time.Second):
		t.Fatal("no log record for a failed handshake")
	}
	v, _ := attr(logs.snapshot()[0], "error")
	if !strings.Contains(v.String(), "TLS handshake error") && !strings.Contains(v.String(), "HTTP request to an HTTPS server") {
		t.Fatalf("logged %q, want the handshake error", v)
	}

	cli, err := tlsconfig.Client(tlsconfig.Config{RootCAs: ca.pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cli, ForceAttemptHTTP2: true}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("https://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("protocol %s, want HTTP/2 through ServeTLS", resp.Proto)
	}
}
