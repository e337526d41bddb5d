package tlsconfig_test

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/tlsconfig"
)

func TestReloaderSwapsWithoutFailedHandshakes(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "rotation CA")
	dir := t.TempDir()
	first := ca.serverLeaf(t)
	certFile, keyFile := writePair(t, dir, first)
	rl, err := tlsconfig.NewReloader(certFile, keyFile, tlsconfig.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	cfg, err := tlsconfig.Server(tlsconfig.Config{GetCertificate: rl.GetCertificate})
	if err != nil {
		t.Fatal(err)
	}
	srv := startTLS(t, cfg)

	var (
		stop     atomic.Bool
		dials    atomic.Int64
		failures atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		seen     = map[string]bool{}
		progress = make(chan struct{}, 1024)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				// No session cache: every dial is a full handshake that asks
				// GetCertificate for the current certificate.
				cs, err := dial(srv.addr, clientFor(ca))
				dials.Add(1)
				select {
				case progress <- struct{}{}:
				default:
				}
				if err != nil {
					failures.Add(1)
					t.Errorf("handshake failed during rotation: %v", err)
					continue
				}
				mu.Lock()
				seen[cs.PeerCertificates[0].SerialNumber.String()] = true
				mu.Unlock()
			}
		}()
	}
	const rotations = 5
	want := map[string]bool{first.tls.Leaf.SerialNumber.String(): true}
	for range rotations {
		next := ca.serverLeaf(t)
		// Write to temporary names and rename, as cert-manager and
		// Kubernetes secret volumes do, so Reload never sees half a pair.
		writeFile(t, certFile+".tmp", next.certPEM)
		writeFile(t, keyFile+".tmp", next.keyPEM)
		if err := os.Rename(keyFile+".tmp", keyFile); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(certFile+".tmp", certFile); err != nil {
			t.Fatal(err)
		}
		if err := rl.Reload(); err != nil {
			t.Fatal(err)
		}
		if got := rl.Certificate().Leaf.SerialNumber; got.Cmp(next.tls.Leaf.SerialNumber) != 0 {
			t.Fatalf("serving serial %v after Reload, want %v", got, next.tls.Leaf.SerialNumber)
		}
		want[next.tls.Leaf.SerialNumber.String()] = true
		// Let the dialers complete handshakes with this certificate before
		// the next swap.
		for len(progress) > 0 {
			<-progress
		}
		for range 8 {
			<-progress
		}
	}
	stop.Store(true)
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d of %d handshakes failed", failures.Load(), dials.Load())
	}
	cs, err := dial(srv.addr, clientFor(ca))
	if err != nil {
		t.Fatal(err)
	}
	if got := cs.PeerCertificates[0].SerialNumber; got.Cmp(rl.Certificate().Leaf.SerialNumber) != 0 {
		t.Fatalf("served %v after the last rotation, want %v", got, rl.Certificate().Leaf.SerialNumber)
	}
	mu.Lock()
	defer mu.Unlock()
	for s := range seen {
		if !want[s] {
			t.Errorf("served unknown serial %s", s)
		}
	}
	if len(seen) < 2 {
		t.Errorf("dialers saw %d certificates over %d handshakes, want several", len(seen), dials.Load())
	}
}

func TestReloaderRefusesBadPairAndKeepsServing(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "refusal CA")
	other := ca.serverLeaf(t)
	now := time.Now()
	noSANs := ca.issue(t, leaf{})
	expired := ca.issue(t, leaf{dns: []string{"localhost"}, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-time.Hour)})
	future := ca.issue(t, leaf{dns: []string{"localhost"}, notBefore: now.Add(time.Hour), notAfter: now.Add(48 * time.Hour)})
	good := ca.serverLeaf(t)

	tests := []struct {
		name      string
		cert, key []byte // nil key means: remove the key file
		invalid   bool   // the error wraps ErrInvalidCertificate (else a file error)
	}{
		{"key does not match", good.certPEM, other.keyPEM, true},
		{"expired", expired.certPEM, expired.keyPEM, true},
		{"not yet valid", future.certPEM, future.keyPEM, true},
		{"no SANs", noSANs.certPEM, noSANs.keyPEM, true},
		{"not PEM", []byte("-----BEGIN nonsense"), good.keyPEM, true},
		{"key file missing", good.certPEM, nil, false},
		{"oversized file", bytes.Repeat([]byte("A"), 1<<20+1), good.keyPEM, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			initial := ca.serverLeaf(t)
			certFile, keyFile := writePair(t, dir, initial)
			logs := newLogRecorder()
			rl, err := tlsconfig.NewReloader(certFile, keyFile, tlsconfig.WithInterval(0), tlsconfig.WithLogger(slog.New(logs)))
			if err != nil {
				t.Fatal(err)
			}
			defer rl.Close()
			cfg, err := tlsconfig.Server(tlsconfig.Config{GetCertificate: rl.GetCertificate})
			if err != nil {
				t.Fatal(err)
			}
			srv := startTLS(t, cfg)

			writeFile(t, certFile, tt.cert)
			if tt.key == nil {
				if err := os.Remove(keyFile); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, keyFile, tt.key)
			}
			err = rl.Reload()
			if err == nil {
				t.Fatal("Reload accepted a bad pair")
			}
			if got := errors.Is(err, tlsconfig.ErrInvalidCertificate); got != tt.invalid {
				t.Fatalf("Reload error %v: errors.Is(ErrInvalidCertificate) = %v, want %v", err, got, tt.invalid)
			}
			if tt.key == nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Reload error %v, want fs.ErrNotExist", err)
			}
			if !errors.Is(rl.Err(), err) && rl.Err().Error() != err.Error() {
				t.Fatalf("Err() = %v, want %v", rl.Err(), err)
			}
			// Polling again over the same bad files reports but does not log again.
			if err := rl.Reload(); err == nil {
				t.Fatal("second Reload accepted the bad pair")
			}
			if n := logs.count(slog.LevelError); tt.invalid && n != 1 {
				t.Fatalf("%d error records, want exactly 1", n)
			}
			if logs.count(slog.LevelError) == 0 {
				t.Fatal("refusal was not logged")
			}
			if got := rl.Certificate().Leaf.SerialNumber; got.Cmp(initial.tls.Leaf.SerialNumber) != 0 {
				t.Fatalf("serving %v after a refused reload, want the old %v", got, initial.tls.Leaf.SerialNumber)
			}
			cs, err := dial(srv.addr, clientFor(ca))
			if err != nil {
				t.Fatalf("handshake after a refused reload: %v", err)
			}
			if cs.PeerCertificates[0].SerialNumber.Cmp(initial.tls.Leaf.SerialNumber) != 0 {
				t.Fatal("server presented something other than the old certificate")
			}

			// A good pair afterwards is picked up and clears the error.
			writePair(t, dir, good)
			if err := rl.Reload(); err != nil {
				t.Fatal(err)
			}
			if rl.Err() != nil {
				t.Fatalf("Err() = %v after a good reload", rl.Err())
			}
			if !rl.NotAfter().Equal(good.tls.Leaf.NotAfter) {
				t.Fatalf("NotAfter() = %v, want %v", rl.NotAfter(), good.tls.Leaf.NotAfter)
			}
			if logs.count(slog.LevelInfo) != 1 {
				t.Fatalf("%d info records, want one for the swap", logs.count(slog.LevelInfo))
			}
		})
	}
}

func TestNewReloaderRefusesBadFirstPair(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "first CA")
	dir := t.TempDir()
	noSANs := ca.issue(t, leaf{})
	certFile, keyFile := writePair(t, dir, noSANs)
	if _, err := tlsconfig.NewReloader(certFile, keyFile); !errors.Is(err, tlsconfig.ErrInvalidCertificate) {
		t.Fatalf("NewReloader = %v, want ErrInvalidCertificate", err)
	}
	if _, err := tlsconfig.NewReloader(filepath.Join(dir, "absent.crt"), keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("NewReloader = %v, want fs.ErrNotExist", err)
	}
}

// TestReloaderPolls drives the polling loop on synctest's fake clock.
// Certificates are made inside the bubble so their validity matches its
// clock.
func TestReloaderPolls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ca := newCA(t, "polling CA")
		dir := t.TempDir()
		first := ca.serverLeaf(t)
		certFile, keyFile := writePair(t, dir, first)
		logs := newLogRecorder()
		rl, err := tlsconfig.NewReloader(certFile, keyFile, tlsconfig.WithInterval(30*time.Second), tlsconfig.WithLogger(slog.New(logs)))
		if err != nil {
			t.Fatal(err)
		}
		defer rl.Close()

		next := ca.serverLeaf(t)
		writePair(t, dir, next)
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if rl.Certificate().Leaf.SerialNumber.Cmp(first.tls.Leaf.SerialNumber) != 0 {
			t.Fatal("swapped before the interval elapsed")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if rl.Certificate().Leaf.SerialNumber.Cmp(next.tls.Leaf.SerialNumber) != 0 {
			t.Fatal("not swapped one interval after the files changed")
		}

		// A broken key is refused once and logged once, however many polls see it.
		writeFile(t, keyFile, first.keyPEM)
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if rl.Err() == nil || logs.count(slog.LevelError) != 1 {
			t.Fatalf("Err() = %v, %d error records; want an error logged once", rl.Err(), logs.count(slog.LevelError))
		}
		if rl.Certificate().Leaf.SerialNumber.Cmp(next.tls.Leaf.SerialNumber) != 0 {
			t.Fatal("a refused pair replaced the serving one")
		}

		// The serving certificate nears expiry on the fake clock; NotAfter
		// shows it for monitoring, and a renewed pair replaces it.
		if until := time.Until(rl.NotAfter()); until > 24*time.Hour || until < 23*time.Hour {
			t.Fatalf("NotAfter is %v away, want about 23h55m", until)
		}
		renewed := ca.serverLeaf(t)
		writePair(t, dir, renewed)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if rl.Certificate().Leaf.SerialNumber.Cmp(renewed.tls.Leaf.SerialNumber) != 0 || rl.Err() != nil {
			t.Fatalf("renewed pair not picked up (Err %v)", rl.Err())
		}
	})
}

func TestCAReloaderRefusesBadBundle(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "bundle CA")
	other := newCA(t, "other CA")
	cert := ca.serverLeaf(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("hello")},
		{"a leaf", cert.certPEM},
		{"a private key", append(append([]byte(nil), other.pem...), cert.keyPEM...)},
		{"garbage DER", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "ca.pem")
			writeFile(t, file, ca.pem)
			logs := newLogRecorder()
			car, err := tlsconfig.NewCAReloader(file, tlsconfig.WithInterval(0), tlsconfig.WithLogger(slog.New(logs)))
			if err != nil {
				t.Fatal(err)
			}
			defer car.Close()
			pool := car.Pool()
			writeFile(t, file, tt.data)
			if err := car.Reload(); !errors.Is(err, tlsconfig.ErrInvalidCertificate) {
				t.Fatalf("Reload = %v, want ErrInvalidCertificate", err)
			}
			if car.Pool() != pool || car.Err() == nil || logs.count(slog.LevelError) != 1 {
				t.Fatalf("pool replaced %v, Err %v, %d error records; want old pool, an error, one record", car.Pool() != pool, car.Err(), logs.count(slog.LevelError))
			}
			if _, err := tlsconfig.NewCAReloader(file); !errors.Is(err, tlsconfig.ErrInvalidCertificate) {
				t.Fatalf("NewCAReloader = %v, want ErrInvalidCertificate", err)
			}
		})
	}
}

func TestCAReloaderSkipsExpiredCAs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		young, old := newCA(t, "young"), newCA(t, "old")
		dir := t.TempDir()
		file := filepath.Join(dir, "ca.pem")
		writeFile(t, file, append(append([]byte(nil), old.pem...), young.pem...))
		car, err := tlsconfig.NewCAReloader(file, tlsconfig.WithInterval(0))
		if err != nil {
			t.Fatal(err)
		}
		defer car.Close()
		if !car.NotAfter().Equal(old.cert.NotAfter) {
			t.Fatalf("NotAfter = %v, want the earliest expiry %v", car.NotAfter(), old.cert.NotAfter)
		}
		time.Sleep(25 * time.Hour) // both test CAs expire after 24h
		if _, err := tlsconfig.NewCAReloader(file); !errors.Is(err, tlsconfig.ErrInvalidCertificate) {
			t.Fatalf("NewCAReloader with only expired CAs = %v, want ErrInvalidCertificate", err)
		}
		fresh := newCA(t, "fresh")
		writeFile(t, file, append(append([]byte(nil), old.pem...), fresh.pem...))
		if err := car.Reload(); err != nil {
			t.Fatal(err)
		}
		if !car.NotAfter().Equal(fresh.cert.NotAfter) {
			t.Fatalf("NotAfter = %v, want the unexpired CA's %v (expired ones are left out)", car.NotAfter(), fresh.cert.NotAfter)
		}
	})
}

// TestReloaderRefusesRepeatedBadPair: a bad pair, a revert to the serving
// pair, then the same bad pair again must still be refused with an error.
func TestReloaderRefusesRepeatedBadPair(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "repeat CA")
	dir := t.TempDir()
	serving, other := ca.serverLeaf(t), ca.serverLeaf(t)
	certFile, keyFile := writePair(t, dir, serving)
	rl, err := tlsconfig.NewReloader(certFile, keyFile, tlsconfig.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	for i := range 2 {
		writeFile(t, keyFile, other.keyPEM)
		if err := rl.Reload(); !errors.Is(err, tlsconfig.ErrInvalidCertificate) || rl.Err() == nil {
			t.Fatalf("round %d: Reload = %v, Err = %v; want the mismatch refused", i, err, rl.Err())
		}
		writeFile(t, keyFile, serving.keyPEM)
		if err := rl.Reload(); err != nil || rl.Err() != nil {
			t.Fatalf("round %d: revert: Reload = %v, Err = %v", i, err, rl.Err())
		}
	}
}

func TestCAReloaderPolls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		first, second := newCA(t, "first"), newCA(t, "second")
		dir := t.TempDir()
		file := filepath.Join(dir, "ca.pem")
		writeFile(t, file, first.pem)
		logs := newLogRecorder()
		car, err := tlsconfig.NewCAReloader(file, tlsconfig.WithInterval(time.Minute), tlsconfig.WithLogger(slog.New(logs)))
		if err != nil {
			t.Fatal(err)
		}
		defer car.Close()
		pool := car.Pool()
		if !pool.Equal(first.pool) {
			t.Fatal("first bundle not loaded")
		}

		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if car.Pool() != pool || !errors.Is(car.Err(), fs.ErrNotExist) || logs.count(slog.LevelError) != 1 {
			t.Fatalf("missing file: pool kept %v, Err %v, %d error records", car.Pool() == pool, car.Err(), logs.count(slog.LevelError))
		}

		writeFile(t, file, second.pem)
		time.Sleep(time.Minute)
		synctest.Wait()
		if !car.Pool().Equal(second.pool) || car.Err() != nil || logs.count(slog.LevelInfo) != 1 {
			t.Fatalf("new bundle: swapped %v, Err %v, %d info records", car.Pool().Equal(second.pool), car.Err(), logs.count(slog.LevelInfo))
		}
		if !car.NotAfter().Equal(second.cert.NotAfter) {
			t.Fatalf("NotAfter %v, want %v", car.NotAfter(), second.cert.NotAfter)
		}
	})
}
