// Command scantarget serves TLS on a loopback port with a tlsconfig profile,
// so .ci/tlsscan can grade the configuration itself, apart from any example
// server. It prints the address it listens on as its first line and serves
// until it is killed.
//
// The "weak" profile is a deliberately permissive configuration (TLS 1.0,
// CBC and RSA key exchange) that exists only so CI can show the scanner
// fails it; never copy it.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/apishield/apishield/tlsconfig"
)

func main() {
	profile := flag.String("profile", "intermediate", "intermediate, modern or weak")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()

	cert, err := tlsconfig.SelfSigned()
	if err != nil {
		log.Fatal(err)
	}
	var cfg *tls.Config
	switch *profile {
	case "intermediate", "modern":
		p := tlsconfig.Intermediate
		if *profile == "modern" {
			p = tlsconfig.Modern
		}
		if cfg, err = tlsconfig.Server(tlsconfig.Config{Profile: p, Certificates: []tls.Certificate{cert}}); err != nil {
			log.Fatal(err)
		}
	case "weak":
		var all []uint16
		for _, s := range tls.CipherSuites() {
			all = append(all, s.ID)
		}
		for _, s := range tls.InsecureCipherSuites() {
			all = append(all, s.ID)
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, CipherSuites: all}
	default:
		log.Fatalf("unknown profile %q", *profile)
	}
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }),
		TLSConfig: cfg,
	})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	log.Fatal(srv.ServeTLS(ln, "", ""))
}
