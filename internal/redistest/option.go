package redistest

import "time"

// Option adjusts how Start and StartCluster run redis-server.
type Option func(*config)

type config struct {
	args         []string
	startTimeout time.Duration
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
// except --port, --bind and --dir, which the helper relies on.
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
