package tlsconfig_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{"never the CN", tlsconfig.Identity{CommonName: "cn"}, ""},
		{"never an IP", tlsconfig.Identity{IPAddresses: []net.IP{net.IPv4(192, 0, 2, 1)}}, ""},
		{"relative URI skipped", tlsconfig.Identity{URIs: []string{"victim", "./a:b", "urn:x"}}, "urn:x"},
		{"URI without a scheme skipped", tlsconfig.Identity{URIs: []string{"//host/x", ":x"}, DNSNames: []string{"d"}}, "d"},
		{"DNS name lower-cased", tlsconfig.Identity{DNSNames: []string{"Worker.Internal"}}, "worker.internal"},
		{"malformed DNS names skipped", tlsconfig.Identity{DNSNames: []string{"a:b", "a@b", "*.x", "x.", ".x", "a..b", "a b", strings.Repeat("a", 64) + ".x", "ok_1-2.x"}}, "ok_1-2.x"},
		{"email domain lower-cased", tlsconfig.Identity{EmailAddresses: []string{"Bob@Example.ORG"}}, "Bob@example.org"},
		{"malformed emails skipped", tlsconfig.Identity{EmailAddresses: []string{"a:b@x", "a@b@x", "@x", "a@", "a b@x", "a@x:1", "c@y"}}, "c@y"},
	}
	for _, tt := range tests {
		if got := tt.id.Subject(); got != tt.want {
			t.Errorf("%s: Subject() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// identityServer serves HTTPS under cfg (its Certificates are filled in)
// and answers each request with "ok subject" as PeerIdentity reports them.
// The identity policy's verdict on each handshake is sent on the channel.
func identityServer(t *testing.T, serverCA *testCA, cfg tlsconfig.Config) (url string, verdicts chan error) {
	t.Helper()
	cfg.Certificates = []tls.Certificate{serverCA.serverLeaf(t).tls}
	srvCfg, err := tlsconfig.Server(cfg)
	if err != nil {
		t.Fatal(err)
	}
	verdicts = make(chan error, 16)
	inner := srvCfg.VerifyConnection
	srvCfg.VerifyConnection = func(cs tls.ConnectionState) error {
		err := inner(cs)
		verdicts <- err
		return err
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := tlsconfig.PeerIdentity(r)
		fmt.Fprintf(w, "%v %s", ok, id.Subject())
	}))
	ts.TLS = srvCfg
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL, verdicts
}

// getAs requests url presenting cert, on a fresh connection.
func getAs(serverCA *testCA, url string, cert issued) (string, error) {
	tr := &http.Transport{TLSClientConfig: mtlsClient(serverCA, &cert)}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// TestIdentityIsTheAllowedName shows that the identity a handler receives
// is always the allow-listed name the policy admitted: a certificate whose
// identity (Identity.Subject) is some other name it carries, next to an
// allowed one, is refused, whatever kind of name that other one is.
func TestIdentityIsTheAllowedName(t *testing.T) {
	t.Parallel()
	serverCA, clientCA := newCA(t, "server CA"), newCA(t, "client CA")
	dnsOnly := tlsconfig.Config{AllowedDNSNames: []string{"allowed.example"}}
	uriOnly := tlsconfig.Config{AllowedURIs: []string{"urn:example:batch"}}
	spiffeOnly := tlsconfig.Config{AllowedSPIFFEIDs: []string{billingID}}
	none := tlsconfig.Config{}
	tests := []struct {
		name   string
		policy tlsconfig.Config
		leaf   leaf
		// want is the subject the handler must see; "" means the
		// policy must refuse the certificate.
		want string
	}{
		{"allowed DNS name alone", dnsOnly, leaf{dns: []string{"allowed.example"}}, "allowed.example"},
		{"allowed DNS name first", dnsOnly, leaf{dns: []string{"allowed.example", "victim.internal"}}, "allowed.example"},
		{"DNS name before the allowed one", dnsOnly, leaf{dns: []string{"victim.internal", "allowed.example"}}, ""},
		{"URI SAN beside an allowed DNS name", dnsOnly, leaf{dns: []string{"allowed.example"}, uris: []string{"urn:victim"}}, ""},
		{"SPIFFE ID beside an allowed DNS name", dnsOnly, leaf{dns: []string{"allowed.example"}, uris: []string{billingID}}, ""},
		{"email SAN beside an allowed DNS name", dnsOnly, leaf{dns: []string{"allowed.example"}, emails: []string{"victim@example.org"}}, "allowed.example"},
		{"allowed name in the CN only", dnsOnly, leaf{cn: "allowed.example"}, ""},
		{"allowed name in the CN, victim in an email SAN", dnsOnly, leaf{cn: "allowed.example", emails: []string{"victim@example.org"}}, ""},
		{"allowed DNS name in upper case", dnsOnly, leaf{dns: []string{"Allowed.EXAMPLE"}}, "allowed.example"},
		{"malformed DNS SAN before the allowed one", dnsOnly, leaf{dns: []string{"victim.internal:443", "allowed.example"}}, "allowed.example"},
		{"allowed URI first", uriOnly, leaf{uris: []string{"urn:example:batch", "urn:victim"}}, "urn:example:batch"},
		{"URI before the allowed one", uriOnly, leaf{uris: []string{"urn:victim", "urn:example:batch"}}, ""},
		{"relative URI SAN before the allowed one", uriOnly, leaf{uris: []string{"victim", "urn:example:batch"}}, "urn:example:batch"},
		{"SVID with DNS names", spiffeOnly, leaf{uris: []string{billingID}, dns: []string{"victim.internal"}}, billingID},
		{"allowed SPIFFE ID among two URIs", spiffeOnly, leaf{uris: []string{billingID, "urn:victim"}}, ""},
		{"no allow-list: first name of the first kind", none, leaf{dns: []string{"victim.internal", "allowed.example"}, emails: []string{"a@example.org"}}, "victim.internal"},
		{"no allow-list: URI before DNS", none, leaf{dns: []string{"allowed.example"}, uris: []string{"urn:example:batch"}}, "urn:example:batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.policy
			cfg.ClientCAs = clientCA.pool
			url, verdicts := identityServer(t, serverCA, cfg)
			got, err := getAs(serverCA, url, clientCA.issue(t, tt.leaf))
			verdict := <-verdicts
			if tt.want == "" {
				if err == nil || !errors.Is(verdict, tlsconfig.ErrIdentityNotAllowed) {
					t.Fatalf("handler saw %q (client error %v, policy %v); want the certificate refused with ErrIdentityNotAllowed", got, err, verdict)
				}
				return
			}
			if err != nil || verdict != nil {
				t.Fatalf("client error %v, policy %v; want success", err, verdict)
			}
			if want := "true " + tt.want; got != want {
				t.Fatalf("handler saw %q, want %q", got, want)
			}
		})
	}
}

// TestIdentityWithoutAllowList shows what a handler sees when the CA is the
// whole policy: a name of one kind can never pass for a name of another,
// and a certificate that names nobody in a SAN has an empty subject, which
// auth refuses, rather than its common name.
func TestIdentityWithoutAllowList(t *testing.T) {
	t.Parallel()
	serverCA, clientCA := newCA(t, "server CA"), newCA(t, "client CA")
	url, verdicts := identityServer(t, serverCA, tlsconfig.Config{ClientCAs: clientCA.pool})
	tests := []struct {
		name string
		leaf leaf
		want string
	}{
		{"common name only", leaf{cn: billingID}, ""},
		{"URI in a DNS SAN", leaf{dns: []string{billingID}}, ""},
		{"relative URI SAN", leaf{uris: []string{"victim.internal"}}, ""},
		{"DNS name with a trailing dot", leaf{dns: []string{"victim.internal."}}, ""},
		{"wildcard DNS SAN", leaf{dns: []string{"*.internal"}}, ""},
		{"email SAN", leaf{emails: []string{"Alice@Example.org"}}, "Alice@example.org"},
		{"email-like DNS SAN", leaf{dns: []string{"alice@example.org"}}, ""},
		{"IP SAN only", leaf{ips: []net.IP{net.IPv4(192, 0, 2, 1)}}, ""},
	}
	for _, tt := range tests {
		got, err := getAs(serverCA, url, clientCA.issue(t, tt.leaf))
		if verdict := <-verdicts; err != nil || verdict != nil {
			t.Errorf("%s: client error %v, policy %v; want success", tt.name, err, verdict)
			continue
		}
		if want := "true " + tt.want; got != want {
			t.Errorf("%s: handler saw %q, want %q", tt.name, got, want)
		}
	}
}

// FuzzIdentitySubject feeds arbitrary SANs, which a careless or
// compromised CA can sign, to Subject and checks that the kinds of name
// cannot be confused and that the subject is one of the certificate's
// names, never its common name.
func FuzzIdentitySubject(f *testing.F) {
	f.Add("victim.internal", "urn:example:batch", "a@example.org", "cn")
	f.Add("urn:x", "victim", "a:b@x", "spiffe://td/x")
	f.Add("Worker.Internal.", "./a:b", "Bob@Example.ORG", "")
	f.Fuzz(func(t *testing.T, dns, uri, email, cn string) {
		id := tlsconfig.Identity{DNSNames: []string{dns}, URIs: []string{uri}, EmailAddresses: []string{email}, CommonName: cn}
		got := id.Subject()
		switch {
		case got == "":
		case strings.Contains(got, ":"):
			if got != uri {
				t.Fatalf("subject %q has a ':' but is not the URI SAN %q", got, uri)
			}
			if i := strings.IndexByte(got, ':'); strings.ContainsAny(got[:i], "/?#@") {
				t.Fatalf("URI subject %q has no scheme", got)
			}
		case strings.Contains(got, "@"):
			if !strings.EqualFold(got, email) || strings.Count(got, "@") != 1 {
				t.Fatalf("subject %q has an '@' but is not the email SAN %q", got, email)
			}
		default:
			if got != strings.ToLower(dns) || strings.ContainsAny(got, "*/ ") || strings.HasSuffix(got, ".") {
				t.Fatalf("subject %q is not the DNS SAN %q as a valid lower-case name", got, dns)
			}
		}
		// The subject is canonical: as the only name of its kind, it is
		// its own subject.
		if got != "" && !strings.Contains(got, ":") {
			again := tlsconfig.Identity{DNSNames: []string{got}, EmailAddresses: []string{got}}
			if s := again.Subject(); s != got {
				t.Fatalf("subject %q is not canonical: as a SAN it gives %q", got, s)
			}
		}
	})
}
