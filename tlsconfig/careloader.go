package tlsconfig

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// CAReloader serves a PEM bundle of CA certificates from a file and swaps in
// a new bundle when the file changes, so client CAs can rotate without a
// restart. A new bundle is validated first (every block is a CA
// certificate, at least one is within its validity period); a bundle that
// fails is refused and logged, and the current pool keeps being used.
// Expired CAs in a bundle are left out of the pool.
//
// Give it to [Config].ClientCAReloader. A CAReloader is safe for concurrent
// use. Call Close to stop polling.
type CAReloader struct {
	file string
	log  *slog.Logger
	cur  atomic.Pointer[caBundle]
	w    watcher
}

type caBundle struct {
	pool     *x509.CertPool
	notAfter time.Time
}

// NewCAReloader loads the bundle in file and starts polling it every
// [DefaultReloadInterval] unless [WithInterval] says otherwise. It fails,
// wrapping [ErrInvalidCertificate], if the first bundle is not valid.
func NewCAReloader(file string, opts ...ReloadOption) (*CAReloader, error) {
	o := buildOptions(opts)
	c := &CAReloader{file: file, log: o.logger}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	c.register(o.meterProvider)
	c.w.start(o.interval, c.Reload)
	return c, nil
}

// Pool returns the current pool. It must not be modified.
func (c *CAReloader) Pool() *x509.CertPool { return c.cur.Load().pool }

// NotAfter returns the earliest expiry among the current bundle's CAs, for
// monitoring.
func (c *CAReloader) NotAfter() time.Time { return c.cur.Load().notAfter }

// Err returns why the most recent load refused the file, or nil.
func (c *CAReloader) Err() error { return c.w.err() }

// Reload rereads the file now. It returns nil if it is unchanged or the new
// bundle was swapped in, and an error if it was refused, in which case the
// current pool stays in use.
func (c *CAReloader) Reload() error {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	data, err := readBounded(c.file)
	if err != nil {
		return c.refuse(nil, fmt.Errorf("tlsconfig: reading CA bundle: %w", err))
	}
	sum := sha256.Sum256(data)
	if c.cur.Load() != nil && sum == c.w.good {
		c.w.setErr(nil)
		return nil
	}
	if sum == c.w.bad {
		c.w.setErr(c.w.badErr)
		return c.w.badErr
	}
	pool, notAfter, err := parseCABundle(data, time.Now())
	if err != nil {
		return c.refuse(&sum, err)
	}
	first := c.cur.Load() == nil
	c.cur.Store(&caBundle{pool: pool, notAfter: notAfter})
	c.w.good = sum
	c.w.bad = [sha256.Size]byte{}
	c.w.setErr(nil)
	if !first {
		c.log.Info("tlsconfig: CA bundle reloaded", slog.String("file", c.file), slog.Time("not_after", notAfter))
	}
	return nil
}

func (c *CAReloader) refuse(sum *[sha256.Size]byte, err error) error {
	if sum != nil {
		c.w.bad, c.w.badErr = *sum, err
	}
	c.w.setErr(err)
	if c.cur.Load() != nil {
		c.log.Error("tlsconfig: new CA bundle refused, the current one stays in use",
			slog.String("file", c.file), slog.Any("error", err))
	}
	return err
}

// Close stops polling. The CAReloader keeps serving its current pool.
func (c *CAReloader) Close() error {
	c.w.close()
	return nil
}

type derivedConfig struct {
	pool *x509.CertPool
	cfg  *tls.Config
}

// configFor returns a GetConfigForClient callback that hands each handshake
// a copy of base whose ClientCAs is the current pool. The copy is made once
// per pool, not per handshake. crypto/tls keeps using base's session ticket
// keys for such copies, so tickets survive a CA swap. On resumption
// crypto/tls (since Go 1.25.7) checks the stored chain against the copy's
// pool, and base's VerifyConnection checks it again against the pool
// current when the handshake ends (see resumedChainTrusted).
func (c *CAReloader) configFor(base *tls.Config) func(*tls.ClientHelloInfo) (*tls.Config, error) {
	var cache atomic.Pointer[derivedConfig]
	return func(*tls.ClientHelloInfo) (*tls.Config, error) {
		pool := c.Pool()
		if d := cache.Load(); d != nil && d.pool == pool {
			return d.cfg, nil
		}
		cfg := base.Clone()
		cfg.GetConfigForClient = nil
		cfg.ClientCAs = pool
		cache.Store(&derivedConfig{pool: pool, cfg: cfg})
		return cfg, nil
	}
}
