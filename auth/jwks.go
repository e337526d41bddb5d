package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Key set defaults; each is a JWTConfig field's zero value.
const (
	DefaultFetchTimeout    = 10 * time.Second
	DefaultRefreshMin      = 5 * time.Minute
	DefaultRefreshMax      = time.Hour
	DefaultMaxStale        = 24 * time.Hour
	DefaultRefetchInterval = 10 * time.Second
	DefaultMaxJWKSSize     = 1 << 20
)

// maxNegativeKIDs bounds the negative cache of unknown kids, so a flood of
// random kids costs memory no more than it costs fetches.
const maxNegativeKIDs = 1024

// snapshot is the current key set and when it must be refreshed.
type snapshot struct {
	set     *keySet
	fetched time.Time // last successful fetch
	next    time.Time // when to refresh
}

// A jwksSource keeps one issuer's key set fresh. Verifications read the
// current snapshot without locking; refreshes run in the background,
// coalesce into one fetch, and never replace a good set with a bad one.
type jwksSource struct {
	url             string
	client          *http.Client
	timeout         time.Duration
	maxBytes        int64
	refreshMin      time.Duration
	refreshMax      time.Duration
	maxStale        time.Duration
	refetchInterval time.Duration
	logger          *slog.Logger
	metrics         jwtMetrics

	cur atomic.Pointer[snapshot]

	mu          sync.Mutex
	inflight    *fetchCall
	lastAttempt time.Time
	negative    map[string]time.Time // unknown kid → until
	logged      map[string]bool      // dropped kids already logged
}

type fetchCall struct {
	done chan struct{}
	err  error
}

// current returns the key set to verify with, starting a background
// refresh when one is due. It fails only when there is no set younger
// than the stale limit.
func (s *jwksSource) current(ctx context.Context, now time.Time) (*keySet, error) {
	snap := s.cur.Load()
	if !now.Before(snap.next) {
		c := s.start(now)
		if now.Sub(snap.fetched) > s.maxStale {
			// Too old to trust without trying: wait for this fetch.
			if err := s.wait(ctx, c); err == nil {
				snap = s.cur.Load()
			}
		}
	}
	if now.Sub(snap.fetched) > s.maxStale {
		return nil, &VerifyError{Check: "keys_stale", Err: ErrKeysUnavailable}
	}
	return snap.set, nil
}

// unknownKID is called when a token names a kid the set lacks. It fetches
// the set again at most once per refetch interval (concurrent callers
// share the fetch), and remembers kids still unknown after a fetch so they
// fail fast until the interval passes. It returns the newest set.
func (s *jwksSource) unknownKID(ctx context.Context, kid string) *keySet {
	now := time.Now()
	s.mu.Lock()
	if until, ok := s.negative[kid]; ok && now.Before(until) {
		s.mu.Unlock()
		return s.cur.Load().set
	}
	c := s.inflight
	if c == nil && now.Sub(s.lastAttempt) >= s.refetchInterval {
		c = s.startLocked(now)
	}
	s.mu.Unlock()
	if c == nil {
		return s.cur.Load().set
	}
	_ = s.wait(ctx, c)
	set := s.cur.Load().set
	if len(set.byKID[kid]) == 0 {
		s.mu.Lock()
		if len(s.negative) >= maxNegativeKIDs {
			for k, until := range s.negative {
				if !now.Before(until) {
					delete(s.negative, k)
				}
			}
			if len(s.negative) >= maxNegativeKIDs {
				clear(s.negative)
			}
		}
		s.negative[kid] = time.Now().Add(s.refetchInterval)
		s.mu.Unlock()
	}
	return set
}

func (s *jwksSource) start(now time.Time) *fetchCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight != nil {
		return s.inflight
	}
	return s.startLocked(now)
}

func (s *jwksSource) startLocked(now time.Time) *fetchCall {
	c := &fetchCall{done: make(chan struct{})}
	s.inflight = c
	s.lastAttempt = now
	go func() {
		// The fetch belongs to every caller waiting on it, so no caller's
		// context may cancel it; its own timeout bounds it.
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		c.err = s.refresh(ctx)
		cancel()
		s.mu.Lock()
		s.inflight = nil
		s.mu.Unlock()
		close(c.done)
	}()
	return c
}

func (s *jwksSource) wait(ctx context.Context, c *fetchCall) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refresh fetches and installs a new set; on failure the old one stays and
// a retry is scheduled after the refetch interval.
func (s *jwksSource) refresh(ctx context.Context) error {
	set, maxAge, err := s.fetch(ctx)
	now := time.Now()
	old := s.cur.Load()
	if err != nil {
		if old != nil {
			s.cur.Store(&snapshot{set: old.set, fetched: old.fetched, next: now.Add(s.refetchInterval)})
		}
		s.logger.LogAttrs(ctx, slog.LevelWarn, "auth: key set fetch failed; keeping the last good set",
			slog.String("jwks_url", s.url), slog.String("error", err.Error()))
		return err
	}
	s.cur.Store(&snapshot{set: set, fetched: now, next: now.Add(s.clampAge(maxAge))})
	return nil
}

func (s *jwksSource) clampAge(maxAge time.Duration) time.Duration {
	if maxAge < 0 {
		return s.refreshMax
	}
	return min(max(maxAge, s.refreshMin), s.refreshMax)
}

// fetch downloads and parses the set. The body is capped before parsing.
// It returns the Cache-Control max-age, or -1 if there is none.
func (s *jwksSource) fetch(ctx context.Context) (*keySet, time.Duration, error) {
	set, age, err := s.fetchSet(ctx)
	s.metrics.fetched(err)
	return set, age, err
}

func (s *jwksSource) fetchSet(ctx context.Context) (*keySet, time.Duration, error) {
	body, hdr, err := getBounded(ctx, s.client, s.url, "application/jwk-set+json, application/json", s.maxBytes)
	if err != nil {
		return nil, 0, err
	}
	set, dropped, err := parseKeySet(body)
	s.logDropped(ctx, dropped)
	if err != nil {
		return nil, 0, err
	}
	return set, maxAge(hdr.Get("Cache-Control")), nil
}

func (s *jwksSource) logDropped(ctx context.Context, dropped []droppedKey) {
	if len(dropped) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range dropped {
		id := d.kid + "\x00" + d.reason
		if s.logged[id] {
			continue
		}
		if len(s.logged) < maxKeys*4 {
			s.logged[id] = true
		}
		s.logger.LogAttrs(ctx, slog.LevelWarn, "auth: key dropped from the key set",
			slog.String("jwks_url", s.url), slog.String("kid", d.kid), slog.String("reason", d.reason))
	}
}

// getBounded GETs u and returns at most limit bytes of a 200 response body.
func getBounded(ctx context.Context, client *http.Client, u, accept string, limit int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	if resp.ContentLength > limit {
		return nil, nil, fmt.Errorf("GET %s: %d bytes, more than the %d allowed", u, resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("GET %s: more than the %d bytes allowed", u, limit)
	}
	return body, resp.Header, nil
}

// maxAge reads max-age from Cache-Control; no-store and no-cache mean 0
// (then clamped up to the minimum refresh). It returns -1 when absent.
func maxAge(cc string) time.Duration {
	age := time.Duration(-1)
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
			if err == nil && n >= 0 {
				age = time.Duration(min(n, int64(365*24*3600))) * time.Second
			}
		}
	}
	return age
}

// checkURL enforces the transport rule for issuer, discovery and key set
// URLs: https, or http only to a loopback host (tests and local IdPs).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.User != nil {
		return errors.New("URL must not carry credentials")
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("URL must use https (http is allowed only for loopback hosts)")
	}
	return fmt.Errorf("URL scheme %q is not https", u.Scheme)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newHTTPClient is the default client: bounded by timeout, and following
// redirects only to URLs that pass checkURL, so an https key set cannot be
// redirected to plain http.
func newHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	return checkURL(req.URL.String())
}
