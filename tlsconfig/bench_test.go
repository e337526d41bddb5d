package tlsconfig_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/tlsconfig"
)

// pipe returns connected loopback TCP connections. net.Pipe would
// deadlock: both TLS 1.3 peers may write at once (the client's
// compatibility ChangeCipherSpec against the server's flight), and an
// unbuffered pipe blocks both.
type pipe struct{ ln net.Listener }

func newPipe(b *testing.B) *pipe {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	return &pipe{ln}
}

func (p *pipe) conns(b *testing.B) (server, client net.Conn) {
	client, err := net.Dial("tcp", p.ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	server, err = p.ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	return server, client
}

// handshake runs one TLS handshake over loopback, plus one byte from the
// server so TLS 1.3 session tickets are processed.
func handshake(b *testing.B, p *pipe, server, client *tls.Config) tls.ConnectionState {
	sc, cc := p.conns(b)
	errc := make(chan error, 1)
	go func() {
		s := tls.Server(sc, server)
		err := s.Handshake()
		if err == nil {
			_, err = s.Write([]byte{1})
		}
		sc.Close()
		errc <- err
	}()
	c := tls.Client(cc, client)
	var buf [1]byte
	err := c.Handshake()
	if err == nil {
		_, err = c.Read(buf[:])
	}
	cs := c.ConnectionState()
	cc.Close()
	if serr := <-errc; err != nil || serr != nil {
		b.Fatalf("handshake: client %v, server %v", err, serr)
	}
	return cs
}

// BenchmarkHandshake compares a full handshake against the Server()
// configuration with one against a bare tls.Config holding only the
// certificate: the floor. Both negotiate TLS 1.3 with X25519MLKEM768.
func BenchmarkHandshake(b *testing.B) {
	ca := newCA(b, "bench CA")
	cert := ca.serverLeaf(b)
	hardened, err := tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{cert.tls}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  *tls.Config
	}{
		{"floor=bare", &tls.Config{Certificates: []tls.Certificate{cert.tls}}},
		{"tlsconfig", hardened},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			client := clientFor(ca)
			p := newPipe(b)
			for b.Loop() {
				handshake(b, p, bc.cfg, client)
			}
		})
	}
}

// BenchmarkHandshakeMTLS compares mutual-TLS handshakes: the floor is a
// bare tls.Config that requires and verifies client certificates; the
// tlsconfig one adds the SPIFFE ID allow-list in VerifyConnection.
func BenchmarkHandshakeMTLS(b *testing.B) {
	serverCA, clientCA := newCA(b, "s"), newCA(b, "c")
	cert := serverCA.serverLeaf(b)
	billing := clientCA.issue(b, leaf{uris: []string{billingID}})
	hardened, err := tlsconfig.Server(tlsconfig.Config{
		Certificates: []tls.Certificate{cert.tls}, ClientCAs: clientCA.pool, AllowedSPIFFEIDs: []string{billingID},
	})
	if err != nil {
		b.Fatal(err)
	}
	bare := &tls.Config{Certificates: []tls.Certificate{cert.tls}, ClientCAs: clientCA.pool, ClientAuth: tls.RequireAndVerifyClientCert}
	for _, resume := range []bool{false, true} {
		for _, bc := range []struct {
			name string
			cfg  *tls.Config
		}{
			{"floor=bare", bare},
			{"tlsconfig", hardened},
		} {
			name := "full/" + bc.name
			if resume {
				name = "resumed/" + bc.name
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				client := clientFor(serverCA)
				client.Certificates = []tls.Certificate{billing.tls}
				p := newPipe(b)
				if resume {
					client.ClientSessionCache = tls.NewLRUClientSessionCache(1)
					handshake(b, p, bc.cfg, client)
				}
				for b.Loop() {
					if cs := handshake(b, p, bc.cfg, client); cs.DidResume != resume {
						b.Fatalf("DidResume = %v, want %v", cs.DidResume, resume)
					}
				}
			})
		}
	}
}

func BenchmarkReloaderGetCertificate(b *testing.B) {
	ca := newCA(b, "bench CA")
	certFile, keyFile := writePair(b, b.TempDir(), ca.serverLeaf(b))
	rl, err := tlsconfig.NewReloader(certFile, keyFile, tlsconfig.WithInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	defer rl.Close()
	b.ReportAllocs()
	for b.Loop() {
		if c, _ := rl.GetCertificate(nil); c == nil {
			b.Fatal("no certificate")
		}
	}
}

func BenchmarkPeerIdentity(b *testing.B) {
	ca := newCA(b, "bench CA")
	c := ca.issue(b, leaf{uris: []string{billingID}})
	r := httptest.NewRequest(http.MethodGet, "https://x/", nil)
	r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{c.tls.Leaf, ca.cert}}}
	b.ReportAllocs()
	for b.Loop() {
		if id, ok := tlsconfig.PeerIdentity(r); !ok || id.SPIFFEID != billingID {
			b.Fatal("no identity")
		}
	}
}

func BenchmarkHSTS(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	hsts, err := tlsconfig.NewHSTS(tlsconfig.HSTSConfig{})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "https://x/", nil)
	r.TLS = &tls.ConnectionState{}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"floor=bare", next}, {"hsts", hsts.Handler(next)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			for b.Loop() {
				clear(w.Header())
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}

// benchConn is a connection that costs nothing to close, so the
// benchmarks below measure only what a listener does per connection.
type benchConn struct {
	net.Conn
	remote net.Addr
}

func (c *benchConn) RemoteAddr() net.Addr { return c.remote }
func (c *benchConn) Close() error         { return nil }

// benchListener hands out the same connection on every Accept.
type benchListener struct {
	net.Listener
	c net.Conn
}

func (l *benchListener) Accept() (net.Conn, error) { return l.c, nil }

// BenchmarkConnLimiter measures what a ConnLimiter adds to accepting and
// closing one connection, beside the floor of a bare listener: through its
// Listener wrapper and through the ConnState hook NewHTTPServer uses.
func BenchmarkConnLimiter(b *testing.B) {
	for _, remote := range []net.Addr{
		&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4711},
		&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 4711},
	} {
		family := "IPv4"
		if remote.(*net.TCPAddr).IP.To4() == nil {
			family = "IPv6"
		}
		c := &benchConn{remote: remote}
		lim, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(family+"/floor=bare", func(b *testing.B) {
			ln := &benchListener{c: c}
			b.ReportAllocs()
			for b.Loop() {
				c, _ := ln.Accept()
				c.Close()
			}
		})
		b.Run(family+"/Listener", func(b *testing.B) {
			ln := lim.Listener(&benchListener{c: c})
			b.ReportAllocs()
			for b.Loop() {
				c, _ := ln.Accept()
				c.Close()
			}
		})
		b.Run(family+"/ConnState", func(b *testing.B) {
			ln := &benchListener{c: c}
			b.ReportAllocs()
			for b.Loop() {
				c, _ := ln.Accept()
				lim.ConnState(c, http.StateNew)
				lim.ConnState(c, http.StateClosed)
				c.Close()
			}
		})
	}
}
