package audit

import (
	"errors"
	"time"
)

// Defaults of BruteForce.
const (
	DefaultBruteForceThreshold = 10
	DefaultBruteForceWindow    = time.Minute
	DefaultBruteForceMaxKeys   = 10000
)

// BruteForce configures the detection of repeated authentication failures
// (authn_login_fail events, from auth's denials or from Log). When
// Threshold failures from one client IP, or for one user, fall within
// Window, one authn_brute_force_suspected alert is emitted for that key and
// window. The zero value enables detection with the defaults.
type BruteForce struct {
	// Disabled turns detection off.
	Disabled bool
	// Threshold is the number of failures that raises the alert. If zero,
	// DefaultBruteForceThreshold.
	Threshold int
	// Window is how long a key's count lasts from its first failure. If
	// zero, DefaultBruteForceWindow.
	Window time.Duration
	// MaxKeys bounds the IPs and users tracked at once, so a spray from
	// many addresses cannot grow memory without bound; failures for new
	// keys beyond it are counted in Stats().MonitorOverflow. If zero,
	// DefaultBruteForceMaxKeys.
	MaxKeys int
}

func (b BruteForce) withDefaults() (BruteForce, error) {
	if b.Threshold < 0 || b.Window < 0 || b.MaxKeys < 0 {
		return b, errors.New("BruteForce fields must not be negative")
	}
	if b.Threshold == 0 {
		b.Threshold = DefaultBruteForceThreshold
	}
	if b.Window == 0 {
		b.Window = DefaultBruteForceWindow
	}
	if b.MaxKeys == 0 {
		b.MaxKeys = DefaultBruteForceMaxKeys
	}
	return b, nil
}

type window struct {
	start    time.Time
	failures int
}

// monitor counts authentication failures per key in fixed windows. It runs
// on the writer, off the request path, and needs no lock.
type monitor struct {
	cfg     BruteForce
	windows map[string]*window
}

func (m *monitor) init(cfg BruteForce) {
	m.cfg = cfg
	m.windows = map[string]*window{}
}

// observe counts e if it is an authentication failure and appends an alert
// for every key whose count reached the threshold.
func (m *monitor) observe(e *entry, alerts []*entry, c *counters) []*entry {
	if m.cfg.Disabled || (e.action != ActionAuthnLoginFail && e.action != ActionAuthnTokenReuse) {
		return alerts
	}
	t := e.end
	weight := max(1, e.repeats) // a summary stands for its repeats
	if e.clientIP.IsValid() {
		if n, since, ok := m.hit("ip:"+e.clientIP.String(), t, weight, c); ok {
			al := m.alert(e, n, since, t)
			al.clientIP = e.clientIP
			alerts = append(alerts, al)
			c.bruteForce.Add(1)
		}
	}
	user := e.snap.Principal.Subject
	if e.event != nil && e.event.User != "" {
		user = e.event.User
	}
	if user != "" {
		if n, since, ok := m.hit("user:"+user, t, weight, c); ok {
			al := m.alert(e, n, since, t)
			al.snap.Principal.Subject = user
			alerts = append(alerts, al)
			c.bruteForce.Add(1)
		}
	}
	return alerts
}

// hit counts n failures for key and reports whether they made it reach
// the threshold just now, with the count and the start of the key's
// window.
func (m *monitor) hit(key string, t time.Time, n int, c *counters) (int, time.Time, bool) {
	w := m.windows[key]
	if w != nil && t.Sub(w.start) >= m.cfg.Window {
		w.start, w.failures = t, 0
	}
	if w == nil {
		if len(m.windows) >= m.cfg.MaxKeys {
			m.sweep(t)
			if len(m.windows) >= m.cfg.MaxKeys {
				c.monitorOverflow.Add(1)
				return 0, time.Time{}, false
			}
		}
		w = &window{start: t}
		m.windows[key] = w
	}
	before := w.failures
	w.failures += n
	return w.failures, w.start, before < m.cfg.Threshold && w.failures >= m.cfg.Threshold
}

// sweep forgets expired windows.
func (m *monitor) sweep(t time.Time) {
	for k, w := range m.windows {
		if t.Sub(w.start) >= m.cfg.Window {
			delete(m.windows, k)
		}
	}
}

// alert returns the alert for n failures counted from since to t.
func (m *monitor) alert(cause *entry, n int, since, t time.Time) *entry {
	al := getEntry()
	al.app = true
	al.start, al.end = since, t
	al.action = ActionBruteForceSuspected
	al.outcome = Unknown
	al.reason = "authentication_failures"
	al.count = n
	al.window = m.cfg.Window
	al.id = cause.id
	return al
}
