package redistest

import (
	"io"
	"net"
	"testing"
)

// BenchmarkPing measures one PING round trip through Conn.Do beside the
// floor: the same bytes written and read on a bare TCP connection to the
// same server, with no encoding, parsing or deadline handling.
func BenchmarkPing(b *testing.B) {
	s := Start(b)

	b.Run("floor=raw-tcp", func(b *testing.B) {
		nc, err := net.Dial("tcp", s.Addr)
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		req := []byte("*1\r\n$4\r\nPING\r\n")
		resp := make([]byte, len("+PONG\r\n"))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := nc.Write(req); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(nc, resp); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Conn.Do", func(b *testing.B) {
		c, err := s.Dial(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.ReportAllocs()
		for b.Loop() {
			if v, err := c.Do(b.Context(), "PING"); err != nil || v != "PONG" {
				b.Fatalf("PING = %v, %v", v, err)
			}
		}
	})
}
