package clientip

import "testing"

func TestTrustsPeer(t *testing.T) {
	t.Parallel()
	r := newTestResolver(t, Config{TrustedProxies: mustPrefixes(t, testTrusted...)})
	tests := []struct {
		name     string
		resolver *Resolver
		remote   string
		want     bool
	}{
		{"trusted v4 network", r, "10.1.2.3:5000", true},
		{"trusted single address", r, "192.0.2.10:443", true},
		{"trusted v6 network", r, "[2001:db8:ffff::7]:443", true},
		{"mapped v4 is unmapped", r, "[::ffff:10.1.2.3]:5000", true},
		{"bare address", r, "10.1.2.3", true},
		{"untrusted", r, "203.0.113.9:5000", false},
		{"next to the single address", r, "192.0.2.11:443", false},
		{"unix socket", r, "@", false},
		{"empty", r, "", false},
		{"zero resolver", &Resolver{}, "10.1.2.3:5000", false},
		{"nil resolver", nil, "10.1.2.3:5000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.resolver.TrustsPeer(tt.remote); got != tt.want {
				t.Errorf("TrustsPeer(%q) = %v, want %v", tt.remote, got, tt.want)
			}
		})
	}
}
