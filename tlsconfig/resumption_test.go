package tlsconfig_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/apishield/apishield/tlsconfig"
)

// TestResumedSessionRecheckedAgainstCurrentCAs shows that a session
// established under client CA A does not resume once A has been rotated
// out of the CAReloader's bundle, even when crypto/tls's own resumption
// check would let it.
//
// Go 1.25.7 and later check a resumed session's chain against the
// ClientCAs of the tls.Config serving the handshake, so a rotation made
// before the ClientHello arrives is caught by crypto/tls itself (see
// TestCAReloadAppliesToNewAndResumedHandshakes). To prove tlsconfig's own
// check on such a toolchain, the rotation here lands inside the handshake,
// after GetConfigForClient has handed crypto/tls a config with the old
// pool: crypto/tls then sees a pool that trusts A, as a toolchain before
// 1.25.7 would not check at all, and only VerifyConnection's look-up of
// the reloader's current pool stands between the session and the server.
func TestResumedSessionRecheckedAgainstCurrentCAs(t *testing.T) {
	t.Parallel()
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			t.Parallel()
			testResumedSessionRechecked(t, version)
		})
	}
}

func testResumedSessionRechecked(t *testing.T, version uint16) {
	serverCA, caA, caB := newCA(t, "s"), newCA(t, "client CA A"), newCA(t, "client CA B")
	bundle := filepath.Join(t.TempDir(), "clients.pem")
	writeFile(t, bundle, caA.pem)
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
	cfg, verdicts := recordResumption(cfg)
	// rotateTo, when set, is the bundle swapped in during the next
	// handshake, once its config (and pool) has been picked.
	var rotateTo atomic.Pointer[[]byte]
	pick := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c, err := pick(hello)
		if next := rotateTo.Swap(nil); next != nil {
			// t.Error, not t.Fatal: this runs on the server's goroutine.
			if err := os.WriteFile(bundle, *next, 0o600); err != nil {
				t.Error(err)
			} else if err := car.Reload(); err != nil {
				t.Error(err)
			}
		}
		return c, err
	}
	srv := startTLS(t, cfg)
	clientA := caA.issue(t, leaf{dns: []string{"worker.internal"}})
	client := mtlsClient(serverCA, &clientA)
	client.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	client.MaxVersion = version

	if _, err := dial(srv.addr, client); err != nil {
		t.Fatalf("full handshake under CA A: %v", err)
	}
	if v := <-verdicts; v.resumed || v.err != nil {
		t.Fatalf("first handshake: %+v, want a full, accepted handshake", v)
	}

	steps := []struct {
		name   string
		bundle []byte
		// wantErr is nil when the resumed session must be accepted.
		wantErr error
	}{
		// The control: A is still in the new bundle, so the session
		// resumes and is accepted; the re-check refuses only what the
		// rotation took away.
		{"A kept beside B", append(append([]byte(nil), caA.pem...), caB.pem...), nil},
		{"A rotated out", caB.pem, tlsconfig.ErrStaleSession},
	}
	for _, st := range steps {
		rotateTo.Store(&st.bundle)
		cs, err := dial(srv.addr, client)
		v := <-verdicts
		if !v.resumed {
			t.Fatalf("%s: the server ran a full handshake; want a resumption, or this step proves nothing", st.name)
		}
		if rotateTo.Load() != nil {
			t.Fatalf("%s: the bundle was not rotated during the handshake", st.name)
		}
		if st.wantErr == nil {
			if err != nil || v.err != nil || !cs.DidResume {
				t.Fatalf("%s: client error %v, server verdict %v, resumed %v; want an accepted resumption", st.name, err, v.err, cs.DidResume)
			}
			continue
		}
		if err == nil || !errors.Is(v.err, st.wantErr) {
			t.Fatalf("%s: client error %v, server verdict %v; want the resumed session refused with %v", st.name, err, v.err, st.wantErr)
		}
	}
}

// TestResumedChainCheckedAgainstServedPool calls the VerifyConnection of
// configs built with each kind of client CA source with the state
// crypto/tls hands it on resumption, holding a chain verified when the
// session was established: it must still end in a CA the config serves.
func TestResumedChainCheckedAgainstServedPool(t *testing.T) {
	t.Parallel()
	serverCA, caA, caB := newCA(t, "s"), newCA(t, "A"), newCA(t, "B")
	chainA := []*x509.Certificate{caA.issue(t, leaf{dns: []string{"worker.internal"}}).tls.Leaf, caA.cert}
	dir := t.TempDir()
	fileB := filepath.Join(dir, "b.pem")
	writeFile(t, fileB, caB.pem)
	car, err := tlsconfig.NewCAReloader(fileB, tlsconfig.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer car.Close()
	poolAB := x509.NewCertPool()
	poolAB.AddCert(caA.cert)
	poolAB.AddCert(caB.cert)
	srvCert := []tls.Certificate{serverCA.serverLeaf(t).tls}

	tests := []struct {
		name    string
		cfg     tlsconfig.Config
		resumed bool
		wantErr error
	}{
		{"static pool without A, resumed", tlsconfig.Config{ClientCAs: caB.pool}, true, tlsconfig.ErrStaleSession},
		{"CA file without A, resumed", tlsconfig.Config{ClientCAFile: fileB}, true, tlsconfig.ErrStaleSession},
		{"reloader without A, resumed", tlsconfig.Config{ClientCAReloader: car}, true, tlsconfig.ErrStaleSession},
		{"static pool with A, resumed", tlsconfig.Config{ClientCAs: poolAB}, true, nil},
		// A full handshake was just verified by crypto/tls against the
		// handshake's own pool; it is not checked twice.
		{"full handshake", tlsconfig.Config{ClientCAs: caB.pool}, false, nil},
	}
	for _, tt := range tests {
		tt.cfg.Certificates = srvCert
		cfg, err := tlsconfig.Server(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		cs := tls.ConnectionState{HandshakeComplete: true, DidResume: tt.resumed, PeerCertificates: chainA[:1], VerifiedChains: [][]*x509.Certificate{chainA}}
		if err := cfg.VerifyConnection(cs); !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
			t.Errorf("%s: VerifyConnection = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}
