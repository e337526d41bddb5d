package tlsconfig

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// ErrInvalidCertificate is wrapped by the errors of [NewReloader],
// [NewCAReloader] and their Reload methods when files hold a certificate (or
// bundle) that must not be served: unparsable, key not matching, expired or
// not yet valid, or without subject alternative names.
var ErrInvalidCertificate = errors.New("tlsconfig: invalid certificate")

// DefaultReloadInterval is how often a [Reloader] or [CAReloader] polls its
// files when no [WithInterval] option is given.
const DefaultReloadInterval = time.Minute

// maxPEMFile bounds the files a reloader reads, so a mistaken path (a log, a
// device) cannot exhaust memory. Real chains and bundles are a few kilobytes;
// a full public root bundle is about 200 KiB.
const maxPEMFile = 1 << 20

// ReloadOption configures a [Reloader] or [CAReloader].
type ReloadOption func(*reloadOptions)

type reloadOptions struct {
	interval      time.Duration
	logger        *slog.Logger
	meterProvider metric.MeterProvider
}

// WithInterval sets how often the files are polled for changes. A zero or
// negative interval turns polling off: the files are then reread only when
// Reload is called, for example from a SIGHUP handler.
func WithInterval(d time.Duration) ReloadOption {
	return func(o *reloadOptions) { o.interval = d }
}

// WithLogger sets the logger for swaps and refusals. Nil, the default,
// discards them.
func WithLogger(l *slog.Logger) ReloadOption {
	return func(o *reloadOptions) { o.logger = l }
}

func buildOptions(opts []ReloadOption) reloadOptions {
	o := reloadOptions{interval: DefaultReloadInterval}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// watcher is the polling machinery shared by Reloader and CAReloader. Each
// load reads the files, and only content that differs from both the
// serving content and the last refused content is validated, so an
// unchanged or still-broken file costs a read and a hash, and a refusal is
// logged once, not on every poll.
type watcher struct {
	mu      sync.Mutex // serializes loads
	good    [sha256.Size]byte
	bad     [sha256.Size]byte // content last refused, and why
	badErr  error
	lastErr atomic.Pointer[error]

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (w *watcher) start(interval time.Duration, load func() error) {
	w.stop = make(chan struct{})
	w.done = make(chan struct{})
	if interval <= 0 {
		close(w.done)
		return
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				_ = load() // the error is logged and kept for Err
			}
		}
	}()
}

func (w *watcher) close() {
	w.closeOnce.Do(func() { close(w.stop) })
	<-w.done
}

func (w *watcher) err() error {
	if p := w.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

func (w *watcher) setErr(err error) { w.lastErr.Store(&err) }

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPEMFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxPEMFile)
	}
	return b, nil
}

// Reloader serves a certificate and key from files and swaps in a new pair
// when the files change, without a restart and without failing a handshake.
// A new pair is validated first (the key matches the certificate, it is
// within its validity period, it has subject alternative names); a pair
// that fails is refused and logged, and the current one keeps serving.
//
// Plug it into [Config].GetCertificate (servers) or
// [Config].GetClientCertificate (clients). A Reloader is safe for concurrent
// use; GetCertificate is one atomic load. Call Close to stop polling.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate]
	w                 watcher
}

// NewReloader loads certFile and keyFile (PEM; certFile may hold the chain,
// leaf first) and starts polling them every [DefaultReloadInterval] unless
// [WithInterval] says otherwise. It fails, wrapping [ErrInvalidCertificate],
// if the first pair is not valid: a service should not start without a
// certificate it can serve.
func NewReloader(certFile, keyFile string, opts ...ReloadOption) (*Reloader, error) {
	o := buildOptions(opts)
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: o.logger}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	r.register(o.meterProvider)
	r.w.start(o.interval, r.Reload)
	return r, nil
}

// GetCertificate returns the current certificate. It has the signature of
// tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// GetClientCertificate returns the current certificate. It has the
// signature of tls.Config.GetClientCertificate.
func (r *Reloader) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Certificate returns the certificate being served. Its Leaf is set. It must
// not be modified.
func (r *Reloader) Certificate() *tls.Certificate { return r.cur.Load() }

// NotAfter returns the expiry of the certificate being served, for
// monitoring: alert well before it, because a renewal that keeps being
// refused leaves the old certificate serving until it expires.
func (r *Reloader) NotAfter() time.Time { return r.cur.Load().Leaf.NotAfter }

// Err returns why the most recent load refused the files, or nil if the
// most recent load served them (or found them unchanged since).
func (r *Reloader) Err() error { return r.w.err() }

// Reload rereads the files now. It returns nil if they are unchanged or the
// new pair was swapped in, and an error wrapping [ErrInvalidCertificate] (or
// a file error) if the new pair was refused, in which case the current
// certificate keeps serving.
func (r *Reloader) Reload() error {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	certPEM, err := readBounded(r.certFile)
	if err != nil {
		return r.refuse(nil, fmt.Errorf("tlsconfig: reading certificate: %w", err))
	}
	keyPEM, err := readBounded(r.keyFile)
	if err != nil {
		return r.refuse(nil, fmt.Errorf("tlsconfig: reading key: %w", err))
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if r.cur.Load() != nil && sum == r.w.good {
		r.w.setErr(nil)
		return nil
	}
	if sum == r.w.bad {
		r.w.setErr(r.w.badErr)
		return r.w.badErr
	}
	cert, err := validPair(certPEM, keyPEM, time.Now())
	if err != nil {
		return r.refuse(&sum, err)
	}
	first := r.cur.Load() == nil
	r.cur.Store(cert)
	r.w.good = sum
	r.w.bad = [sha256.Size]byte{}
	r.w.setErr(nil)
	if !first {
		r.log.Info("tlsconfig: certificate reloaded",
			slog.String("file", r.certFile),
			slog.String("serial", cert.Leaf.SerialNumber.String()),
			slog.Time("not_after", cert.Leaf.NotAfter))
	}
	return nil
}

func (r *Reloader) refuse(sum *[sha256.Size]byte, err error) error {
	if sum != nil {
		r.w.bad, r.w.badErr = *sum, err
	}
	r.w.setErr(err)
	if r.cur.Load() != nil {
		r.log.Error("tlsconfig: new certificate refused, the current one keeps serving",
			slog.String("file", r.certFile), slog.Any("error", err))
	}
	return err
}

// Close stops polling. The Reloader keeps serving its current certificate.
func (r *Reloader) Close() error {
	r.w.close()
	return nil
}

// validPair parses and checks a certificate and key the way a server is
// about to rely on them.
func validPair(certPEM, keyPEM []byte, now time.Time) (*tls.Certificate, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// X509KeyPair's error names the problem (no PEM data, key does not
		// match) and never includes key material.
		return nil, fmt.Errorf("%w: %v", ErrInvalidCertificate, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidCertificate, err)
		}
	}
	if err := checkValidity(cert.Leaf, now); err != nil {
		return nil, err
	}
	l := cert.Leaf
	if len(l.DNSNames)+len(l.IPAddresses)+len(l.URIs)+len(l.EmailAddresses) == 0 {
		return nil, fmt.Errorf("%w: certificate %s has no subject alternative names", ErrInvalidCertificate, l.SerialNumber)
	}
	return &cert, nil
}

func checkValidity(c *x509.Certificate, now time.Time) error {
	switch {
	case now.After(c.NotAfter):
		return fmt.Errorf("%w: certificate %s expired at %s", ErrInvalidCertificate, c.SerialNumber, c.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(c.NotBefore):
		return fmt.Errorf("%w: certificate %s is not valid before %s", ErrInvalidCertificate, c.SerialNumber, c.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// parseCABundle parses a PEM bundle of CA certificates. Every PEM block must
// be a certificate of a CA; at least one must be within its validity period.
// It returns the pool and the earliest expiry among the valid ones.
func parseCABundle(data []byte, now time.Time) (*x509.CertPool, time.Time, error) {
	pool := x509.NewCertPool()
	var (
		n        int
		notAfter time.Time
	)
	for rest := data; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return nil, time.Time{}, fmt.Errorf("%w: CA bundle holds a %q block; only CERTIFICATE is allowed", ErrInvalidCertificate, blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("%w: CA bundle: %v", ErrInvalidCertificate, err)
		}
		if !c.BasicConstraintsValid || !c.IsCA {
			return nil, time.Time{}, fmt.Errorf("%w: CA bundle: certificate %q is not a CA", ErrInvalidCertificate, c.Subject.String())
		}
		if checkValidity(c, now) != nil {
			continue
		}
		pool.AddCert(c)
		if n == 0 || c.NotAfter.Before(notAfter) {
			notAfter = c.NotAfter
		}
		n++
	}
	if n == 0 {
		return nil, time.Time{}, fmt.Errorf("%w: CA bundle holds no currently valid CA certificate", ErrInvalidCertificate)
	}
	return pool, notAfter, nil
}
