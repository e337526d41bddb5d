package tlsconfig_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/tlsconfig"
)

const (
	billingID = "spiffe://example.org/ns/prod/sa/billing"
	ledgerID  = "spiffe://example.org/ns/prod/sa/ledger"
)

// mtlsClient is a plain crypto/tls client presenting cert (if any). It
// presents it whatever CAs the server names in its request: with
// Certificates, crypto/tls would quietly send no certificate to a server
// whose CA list does not match, and an "untrusted certificate" test would
// only test the absence of one.
func mtlsClient(ca *testCA, cert *issued) *tls.Config {
	c := clientFor(ca)
	if cert != nil {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert.tls, nil }
	}
	return c
}

func TestMutualTLS(t *testing.T) {
	t.Parallel()
	serverCA := newCA(t, "server CA")
	clientCA := newCA(t, "client CA")
	rogueCA := newCA(t, "rogue CA")
	srvCert := serverCA.serverLeaf(t)

	billing := clientCA.issue(t, leaf{uris: []string{billingID}})
	ledger := clientCA.issue(t, leaf{uris: []string{ledgerID}})
	rogueBilling := rogueCA.issue(t, leaf{uris: []string{billingID}})
	twoURIs := clientCA.issue(t, leaf{uris: []string{billingID, "https://billing.example.org"}})
	dnsClient := clientCA.issue(t, leaf{dns: []string{"Worker.Internal"}})
	uriClient := clientCA.issue(t, leaf{uris: []string{"urn:example:batch"}})

	policy := tlsconfig.Config{
		Certificates:     []tls.Certificate{srvCert.tls},
		ClientCAs:        clientCA.pool,
		AllowedSPIFFEIDs: []string{billingID},
		AllowedDNSNames:  []string{"worker.internal"},
		AllowedURIs:      []string{"urn:example:batch"},
	}
	tests := []struct {
		name   string
		client *issued
		ok     bool
		// notAllowed: the server must refuse with ErrIdentityNotAllowed,
		// which shows the refusal came from the identity policy.
		notAllowed bool
	}{
		{"no certificate", nil, false, false},
		{"untrusted CA", &rogueBilling, false, false},
		{"disallowed SPIFFE ID", &ledger, false, true},
		{"SPIFFE ID among two URIs is no SVID", &twoURIs, false, true},
		{"allowed SPIFFE ID", &billing, true, false},
		{"allowed DNS name, other case", &dnsClient, true, false},
		{"allowed URI", &uriClient, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := tlsconfig.Server(policy)
			if err != nil {
				t.Fatal(err)
			}
			srv := startTLS(t, cfg)
			_, err = dial(srv.addr, mtlsClient(serverCA, tt.client))
			serr := srv.nextErr(t)
			if tt.ok {
				if err != nil || serr != nil {
					t.Fatalf("client error %v, server error %v; want success", err, serr)
				}
				return
			}
			if err == nil || serr == nil {
				t.Fatalf("client error %v, server error %v; want both to fail", err, serr)
			}
			if got := errors.Is(serr, tlsconfig.ErrIdentityNotAllowed); got != tt.notAllowed {
				t.Fatalf("server error %v: errors.Is(ErrIdentityNotAllowed) = %v, want %v", serr, got, tt.notAllowed)
			}
			if tt.notAllowed {
				var ie *tlsconfig.IdentityError
				if !errors.As(serr, &ie) || ie.Identity.Certificate == nil {
					t.Fatalf("server error %v is not an *IdentityError with the identity", serr)
				}
				if !strings.Contains(ie.Error(), tt.client.tls.Leaf.URIs[0].String()) {
					t.Fatalf("error %q does not name the refused identity for the log", ie.Error())
				}
			}
		})
	}
}

func TestVerifyClientCertIfGiven(t *testing.T) {
	t.Parallel()
	serverCA, clientCA, rogueCA := newCA(t, "s"), newCA(t, "c"), newCA(t, "r")
	cfg, err := tlsconfig.Server(tlsconfig.Config{
		Certificates: []tls.Certificate{serverCA.serverLeaf(t).tls},
		ClientCAs:    clientCA.pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := startTLS(t, cfg)
	if _, err := dial(srv.addr, mtlsClient(serverCA, nil)); err != nil {
		t.Fatalf("no certificate: %v, want success under VerifyClientCertIfGiven", err)
	}
	rogue := rogueCA.issue(t, leaf{dns: []string{"x.example"}})
	if _, err := dial(srv.addr, mtlsClient(serverCA, &rogue)); err == nil {
		t.Fatal("untrusted certificate accepted under VerifyClientCertIfGiven")
	}
}

func TestVerifyIdentityHook(t *testing.T) {
	t.Parallel()
	serverCA, clientCA := newCA(t, "s"), newCA(t, "c")
	errRevoked := errors.New("revoked")
	revoked := clientCA.issue(t, leaf{uris: []string{billingID}})
	cfg, err := tlsconfig.Server(tlsconfig.Config{
		Certificates:     []tls.Certificate{serverCA.serverLeaf(t).tls},
		ClientCAs:        clientCA.pool,
		AllowedSPIFFEIDs: []string{billingID},
		VerifyIdentity: func(id tlsconfig.Identity) error {
			if id.Certificate.SerialNumber.Cmp(revoked.tls.Leaf.SerialNumber) == 0 {
				return errRevoked
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := startTLS(t, cfg)
	good := clientCA.issue(t, leaf{uris: []string{billingID}})
	if _, err := dial(srv.addr, mtlsClient(serverCA, &good)); err != nil {
		t.Fatalf("good certificate refused: %v", err)
	}
	if serr := srv.nextErr(t); serr != nil {
		t.Fatal(serr)
	}
	if _, err := dial(srv.addr, mtlsClient(serverCA, &revoked)); err == nil {
		t.Fatal("certificate refused by VerifyIdentity was accepted")
	}
	if serr := srv.nextErr(t); !errors.Is(serr, errRevoked) {
		t.Fatalf("server error %v, want one wrapping the hook's error", serr)
	}
}

// recordResumption wraps cfg's VerifyConnection to report, for each
// handshake that reaches it, whether it was a resumption and what the
// policy decided.
type verdict struct {
	resumed bool
	err     error
}

func recordResumption(cfg *tls.Config) (*tls.Config, chan verdict) {
	ch := make(chan verdict, 16)
	inner := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		err := inner(cs)
		ch <- verdict{cs.DidResume, err}
		return err
	}
	return cfg, ch
}

// TestIdentityCheckedOnResumption shows that a session ticket issued while
// an identity was allowed does not let it back in once the policy refuses
// it: the client resumes (the server sees DidResume) and is refused.
func TestIdentityCheckedOnResumption(t *testing.T) {
	t.Parallel()
	serverCA, clientCA := newCA(t, "s"), newCA(t, "c")
	srvCert := serverCA.serverLeaf(t)
	ledger := clientCA.issue(t, leaf{uris: []string{ledgerID}})
	var keys [32]byte
	copy(keys[:], "shared ticket key for two configs")

	newServer := func(allowed string) (*tlsServer, chan verdict) {
		cfg, err := tlsconfig.Server(tlsconfig.Config{
			Certificates:     []tls.Certificate{srvCert.tls},
			ClientCAs:        clientCA.pool,
			AllowedSPIFFEIDs: []string{allowed},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Both servers share ticket keys, as replicas behind one name do,
		// so a ticket from one is accepted by the other.
		cfg.SetSessionTicketKeys([][32]byte{keys})
		cfg, verdicts := recordResumption(cfg)
		return startTLS(t, cfg), verdicts
	}
	lax, laxVerdicts := newServer(ledgerID)
	strict, strictVerdicts := newServer(billingID)

	client := mtlsClient(serverCA, &ledger)
	client.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	// Both listeners answer to "localhost", so one cached session serves both.
	if _, err := dial(lax.addr, client); err != nil {
		t.Fatalf("full handshake with the lax server: %v", err)
	}
	if v := <-laxVerdicts; v.resumed || v.err != nil {
		t.Fatalf("first handshake: %+v, want a full, accepted handshake", v)
	}
	cs, err := dial(lax.addr, client)
	if err != nil || !cs.DidResume {
		t.Fatalf("second handshake with the lax server: resumed %v, err %v; want a resumption, or the next step proves nothing", cs.DidResume, err)
	}
	<-laxVerdicts

	if _, err := dial(strict.addr, client); err == nil {
		t.Fatal("strict server accepted a disallowed identity through a resumed session")
	}
	v := <-strictVerdicts
	if !v.resumed {
		t.Fatal("the strict server's check ran on a full handshake; want it on the resumed session")
	}
	if !errors.Is(v.err, tlsconfig.ErrIdentityNotAllowed) {
		t.Fatalf("policy error on resumption = %v, want ErrIdentityNotAllowed", v.err)
	}
}

// TestVerifyPeerCertificateIsSkippedOnResumption is the control for the
// test above: the same check done in VerifyPeerCertificate lets the
// disallowed identity back in on resumption, which is why tlsconfig does it
// in VerifyConnection.
func TestVerifyPeerCertificateIsSkippedOnResumption(t *testing.T) {
	t.Parallel()
	serverCA, clientCA := newCA(t, "s"), newCA(t, "c")
	srvCert := serverCA.serverLeaf(t)
	ledger := clientCA.issue(t, leaf{uris: []string{ledgerID}})
	var keys [32]byte
	copy(keys[:], "shared ticket key for two configs")
	newServer := func(allowed string) *tlsServer {
		cfg := &tls.Config{
			Certificates: []tls.Certificate{srvCert.tls},
			ClientCAs:    clientCA.pool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			VerifyPeerCertificate: func(_ [][]byte, chains [][]*x509.Certificate) error {
				if chains[0][0].URIs[0].String() != allowed {
					return fmt.Errorf("not allowed")
				}
				return nil
			},
		}
		cfg.SetSessionTicketKeys([][32]byte{keys})
		return startTLS(t, cfg)
	}
	lax, strict := newServer(ledgerID), newServer(billingID)
	client := mtlsClient(serverCA, &ledger)
	client.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	if _, err := dial(lax.addr, client); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(strict.addr, mtlsClient(serverCA, &ledger)); err == nil {
		t.Fatal("control: the strict server accepted the identity on a full handshake")
	}
	cs, err := dial(strict.addr, client)
	if err != nil || !cs.DidResume {
		t.Fatalf("resumed %v, err %v: want VerifyPeerCertificate to be skipped on resumption", cs.DidResume, err)
	}
}

// TestCAReloadAppliesToNewAndResumedHandshakes rotates the client CA bundle
// and shows clients of the old CA are refused afterwards, including when
// they hold a session ticket, while clients of the new CA get in.
func TestCAReloadAppliesToNewAndResumedHandshakes(t *testing.T) {
	t.Parallel()
	serverCA, oldCA, newCA_ := newCA(t, "s"), newCA(t, "old client CA"), newCA(t, "new client CA")
	dir := t.TempDir()
	bundle := filepath.Join(dir, "clients.pem")
	writeFile(t, bundle, oldCA.pem)
	car, err := tlsconfig.NewCAReloader(bundle, tlsconfig.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer car.Close()
	cfg, err := tlsconfig.Server(tlsconfig.Config{
		Certificates:     []tls.Certificate{serverCA.serverLeaf(t).tls},
		ClientCAReloader: car,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := startTLS(t, cfg)
	oldClient := oldCA.issue(t, leaf{dns: []string{"worker.internal"}})
	newClient := newCA_.issue(t, leaf{dns: []string{"worker.internal"}})

	resuming := mtlsClient(serverCA, &oldClient)
	resuming.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	if _, err := dial(srv.addr, resuming); err != nil {
		t.Fatalf("old CA before rotation: %v", err)
	}
	if cs, err := dial(srv.addr, resuming); err != nil || !cs.DidResume {
		t.Fatalf("resumption before rotation: resumed %v, err %v", cs.DidResume, err)
	}
	if _, err := dial(srv.addr, mtlsClient(serverCA, &newClient)); err == nil {
		t.Fatal("new CA accepted before rotation")
	}

	writeFile(t, bundle, newCA_.pem)
	if err := car.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(srv.addr, mtlsClient(serverCA, &newClient)); err != nil {
		t.Fatalf("new CA after rotation: %v", err)
	}
	if _, err := dial(srv.addr, mtlsClient(serverCA, &oldClient)); err == nil {
		t.Fatal("old CA accepted after rotation")
	}
	if cs, err := dial(srv.addr, resuming); err == nil {
		t.Fatalf("old CA's session accepted after rotation (resumed %v)", cs.DidResume)
	}
}

func TestPeerIdentityInHandler(t *testing.T) {
	t.Parallel()
	serverCA, clientCA := newCA(t, "s"), newCA(t, "c")
	dir := t.TempDir()
	bundle := filepath.Join(dir, "clients.pem")
	writeFile(t, bundle, clientCA.pem)
	car, err := tlsconfig.NewCAReloader(bundle, tlsconfig.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer car.Close()
	srvCfg, err := tlsconfig.Server(tlsconfig.Config{
		Certificates:     []tls.Certificate{serverCA.serverLeaf(t).tls},
		ClientCAReloader: car,
		AllowedSPIFFEIDs: []string{billingID},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := tlsconfig.PeerIdentity(r)
		fmt.Fprintf(w, "%v %s %s", ok, id.Subject(), r.Proto)
	}))
	ts.TLS = srvCfg
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()

	billing := clientCA.issue(t, leaf{uris: []string{billingID}})
	cliCfg, err := tlsconfig.Client(tlsconfig.Config{
		RootCAs:          serverCA.pool,
		Certificates:     []tls.Certificate{billing.tls},
		AllowedDNSNames:  []string{"localhost"},
		ServerName:       "localhost",
		AllowedSPIFFEIDs: nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cliCfg, ForceAttemptHTTP2: true}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := string(body), "true "+billingID+" HTTP/2.0"; got != want {
		t.Fatalf("handler saw %q, want %q", got, want)
	}
}

func TestPeerIdentityRefusesUnverified(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "c")
	c := ca.issue(t, leaf{uris: []string{billingID}})
	tests := []struct {
		name string
		r    *http.Request
	}{
		{"nil request", nil},
		{"plain HTTP", httptest.NewRequest(http.MethodGet, "http://x/", nil)},
		{"TLS without client certificate", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://x/", nil)
			r.TLS = &tls.ConnectionState{HandshakeComplete: true}
			return r
		}()},
		{"certificate presented but not verified", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://x/", nil)
			r.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{c.tls.Leaf}}
			return r
		}()},
	}
	for _, tt := range tests {
		if id, ok := tlsconfig.PeerIdentity(tt.r); ok {
			t.Errorf("%s: PeerIdentity = %+v, true; want false", tt.name, id)
		}
	}
}

func TestClientChecksServer(t *testing.T) {
	t.Parallel()
	serverCA, rogueCA, clientCA := newCA(t, "s"), newCA(t, "r"), newCA(t, "c")
	svid := serverCA.issue(t, leaf{dns: []string{"localhost"}, uris: []string{ledgerID}})
	srv := startTLS(t, serverConfig(t, tlsconfig.Intermediate, svid.tls))
	rogue := startTLS(t, serverConfig(t, tlsconfig.Intermediate, rogueCA.serverLeaf(t).tls))
	old := startTLS(t, func() *tls.Config {
		c := permissive(svid.tls)
		c.MaxVersion = tls.VersionTLS12
		return c
	}())
	reloaderDir := t.TempDir()
	cc := clientCA.issue(t, leaf{uris: []string{billingID}})
	certFile, keyFile := writePair(t, reloaderDir, cc)
	rl, err := tlsconfig.NewReloader(certFile, keyFile, tlsconfig.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	mtlsSrvCfg, err := tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{svid.tls}, ClientCAs: clientCA.pool, AllowedSPIFFEIDs: []string{billingID}})
	if err != nil {
		t.Fatal(err)
	}
	mtlsSrv := startTLS(t, mtlsSrvCfg)

	tests := []struct {
		name string
		addr string
		cfg  tlsconfig.Config
		ok   bool
	}{
		{"trusted server", srv.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "localhost"}, true},
		{"untrusted server", rogue.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "localhost"}, false},
		{"wrong server name", srv.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "other.example"}, false},
		{"expected SPIFFE ID", srv.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "localhost", AllowedSPIFFEIDs: []string{ledgerID}}, true},
		{"unexpected SPIFFE ID", srv.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "localhost", AllowedSPIFFEIDs: []string{billingID}}, false},
		{"modern client, TLS 1.2 server", old.addr, tlsconfig.Config{Profile: tlsconfig.Modern, RootCAs: serverCA.pool, ServerName: "localhost"}, false},
		{"intermediate client, TLS 1.2 server", old.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "localhost"}, true},
		{"client certificate from a Reloader", mtlsSrv.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "localhost", GetClientCertificate: rl.GetClientCertificate}, true},
		{"no client certificate", mtlsSrv.addr, tlsconfig.Config{RootCAs: serverCA.pool, ServerName: "localhost"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tlsconfig.Client(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = dial(tt.addr, c)
			if (err == nil) != tt.ok {
				t.Fatalf("dial error %v, want success %v", err, tt.ok)
			}
		})
	}
}
