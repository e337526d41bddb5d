package tlsconfig_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/tlsconfig"
)

func TestParseSPIFFEID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id    string
		td    string
		valid bool
	}{
		{"spiffe://example.org", "example.org", true},
		{"spiffe://example.org/ns/prod/sa/billing", "example.org", true},
		{"spiffe://td-1_x.example/A.b-c_D", "td-1_x.example", true},
		{"", "", false},
		{"https://example.org/x", "", false},
		{"SPIFFE://example.org/x", "", false},
		{"spiffe://", "", false},
		{"spiffe:///path", "", false},
		{"spiffe://Example.org/x", "", false},
		{"spiffe://example.org:443/x", "", false},
		{"spiffe://user@example.org/x", "", false},
		{"spiffe://example.org/", "", false},
		{"spiffe://example.org//x", "", false},
		{"spiffe://example.org/./x", "", false},
		{"spiffe://example.org/x/..", "", false},
		{"spiffe://example.org/x?y=1", "", false},
		{"spiffe://example.org/x#y", "", false},
		{"spiffe://example.org/x%20y", "", false},
		{"spiffe://example.org/" + strings.Repeat("a", 2048), "", false},
	}
	for _, tt := range tests {
		td, err := tlsconfig.ParseSPIFFEID(tt.id)
		if (err == nil) != tt.valid || td != tt.td {
			t.Errorf("ParseSPIFFEID(%.40q) = %q, %v; want %q, valid %v", tt.id, td, err, tt.td, tt.valid)
		}
	}
}

func FuzzParseSPIFFEID(f *testing.F) {
	for _, s := range []string{"spiffe://example.org/ns/a", "spiffe://x", "spiffe://a/b/../c", "https://x/y", "spiffe://a:1/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		td, err := tlsconfig.ParseSPIFFEID(s)
		if err != nil {
			return
		}
		// Whatever passes must be a URI whose parts are exactly what the
		// SPIFFE specification allows, so the exact-match policy cannot be
		// confused by two spellings of one ID.
		u, perr := url.Parse(s)
		if perr != nil {
			t.Fatalf("%q accepted but does not parse as a URL: %v", s, perr)
		}
		if u.Scheme != "spiffe" || u.Host != td || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Port() != "" {
			t.Fatalf("%q accepted with scheme %q host %q user %v query %q fragment %q", s, u.Scheme, u.Host, u.User, u.RawQuery, u.Fragment)
		}
		if u.String() != s {
			t.Fatalf("%q accepted but re-encodes as %q", s, u.String())
		}
	})
}

// FuzzCABundle feeds arbitrary bytes to the CA bundle parser, which reads
// files an operator or a secrets system writes.
func FuzzCABundle(f *testing.F) {
	ca := newCA(f, "fuzz CA")
	f.Add(ca.pem)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("# comment\n" + string(ca.pem) + "trailing"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "bundle.pem")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		car, err := tlsconfig.NewCAReloader(file, tlsconfig.WithInterval(0))
		if err != nil {
			if !errors.Is(err, tlsconfig.ErrInvalidCertificate) {
				t.Fatalf("error %v does not wrap ErrInvalidCertificate", err)
			}
			return
		}
		defer car.Close()
		if car.Pool() == nil || car.NotAfter().IsZero() {
			t.Fatal("accepted bundle without a pool or an expiry")
		}
	})
}

func TestIdentitySubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   tlsconfig.Identity
		want string
	}{
		{"SPIFFE first", tlsconfig.Identity{SPIFFEID: "spiffe://a/b", URIs: []string{"spiffe://a/b"}, DNSNames: []string{"d"}}, "spiffe://a/b"},
		{"then URI", tlsconfig.Identity{URIs: []string{"urn:x"}, DNSNames: []string{"d"}}, "urn:x"},
		{"then DNS", tlsconfig.Identity{DNSNames: []string{"d"}, EmailAddresses: []string{"e@x"}}, "d"},
		{"then email", tlsconfig.Identity{EmailAddresses: []string{"e@x"}, CommonName: "cn"}, "e@x"},
		{"then CN", tlsconfig.Identity{CommonName: "cn"}, "cn"},
	}
	for _, tt := range tests {
		if got := tt.id.Subject(); got != tt.want {
			t.Errorf("%s: Subject() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
