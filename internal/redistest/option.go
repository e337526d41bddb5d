package redistest

import "time"

// Option adjusts how Start, StartCluster and StartSentinel run
// redis-server. StartSentinel applies options to its master and replica;
// its sentinels take only the start timeout.
type Option func(*config)

type config struct {
	args         []string
	startTimeout time.Duration
	// confFile, if set, is passed to redis-server ahead of every flag, where
	// it takes a config file: a sentinel needs one of its own to rewrite.
	confFile string
	// ready is the log line that means the server accepts connections; if
	// empty, readyMarker. A sentinel never logs readyMarker.
	ready string
}

func newConfig(opts []Option) config {
	cfg := config{startTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// WithArgs appends extra redis-server command-line arguments, for example
// WithArgs("--maxmemory", "1mb", "--maxmemory-policy", "noeviction").
// They come after the helper's own arguments, so they can override them —
// except --port, --bind and --dir, which the helper relies on, and
// --replicaof, which StartSentinel sets last on its replica.
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// WithStartTimeout bounds how long one redis-server may take to become
// ready. Zero or negative keeps the default of 10 seconds.
func WithStartTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.startTimeout = d
		}
	}
}
