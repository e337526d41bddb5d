package cors

import "testing"

func TestParseOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want origin
		ok   bool
	}{
		{"https://app.example.com", origin{"https", "app.example.com", ""}, true},
		{"http://localhost:5173", origin{"http", "localhost", "5173"}, true},
		{"http://[::1]:8080", origin{"http", "[::1]", "8080"}, true},
		{"http://[2001:db8::1]", origin{"http", "[2001:db8::1]", ""}, true},
		{"http://127.0.0.1", origin{"http", "127.0.0.1", ""}, true},
		{"https://xn--bcher-kva.example", origin{"https", "xn--bcher-kva.example", ""}, true},
		{"capacitor://localhost", origin{"capacitor", "localhost", ""}, true},
		{"https://a_b.example.com:65535", origin{"https", "a_b.example.com", "65535"}, true},

		{"null", origin{}, false},
		{"", origin{}, false},
		{"https://", origin{}, false},
		{"://app.example.com", origin{}, false},
		{"https//app.example.com", origin{}, false},
		{"1https://app.example.com", origin{}, false},
		{"https://app.example.com.", origin{}, false},
		{"https://.app.example.com", origin{}, false},
		{"https://app..example.com", origin{}, false},
		{"https://App.example.com", origin{}, false},
		{"HTTPS://app.example.com", origin{}, false},
		{"https://app.example.com:443", origin{}, false},
		{"http://app.example.com:80", origin{}, false},
		{"https://app.example.com:", origin{}, false},
		{"https://app.example.com:0", origin{}, false},
		{"https://app.example.com:08080", origin{}, false},
		{"https://app.example.com:65536", origin{}, false},
		{"https://app.example.com:8080:1", origin{}, false},
		{"https://app.example.com/", origin{}, false},
		{"https://app.example.com?", origin{}, false},
		{"https://app.example.com#", origin{}, false},
		{"https://u@app.example.com", origin{}, false},
		{"https://app.example.com%2e", origin{}, false},
		{"https://b\u00fccher.example", origin{}, false},
		{"https://app.example.com ", origin{}, false},
		{"http://127.1", origin{}, false},
		{"http://0x7f.0.0.1", origin{}, false},
		{"http://127.0.0.01", origin{}, false},
		{"http://1.2.3.4.5", origin{}, false},
		{"http://example.0x1f", origin{}, false},
		{"http://[::1", origin{}, false},
		{"http://[0:0::1]", origin{}, false},
		{"http://[::ffff:127.0.0.1]", origin{}, false},
		{"http://[fe80::1%eth0]", origin{}, false},
		{"http://[::1]x", origin{}, false},
		{"http://" + string(make([]byte, 64)) + ".example", origin{}, false},
	} {
		got, ok := parseOrigin(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseOrigin(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	long := "https://" + repeat("a", 63) + "." + repeat("b", 64) + ".example"
	if _, ok := parseOrigin(long); ok {
		t.Error("parseOrigin accepted a 64-byte label")
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, n*len(s))
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

func TestWildcardMatches(t *testing.T) {
	t.Parallel()
	w, err := parseAllowedOrigin("https://*.example.com:8443")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"https://a.example.com:8443", true},
		{"https://xn--bcher-kva.example.com:8443", true},
		{"https://example.com:8443", false},
		{"https://a.b.example.com:8443", false},
		{"https://a.example.com", false},
		{"http://a.example.com:8443", false},
		{"https://aexample.com:8443", false},
		{"https://a.example.com.evil.test:8443", false},
	} {
		o, ok := parseOrigin(tc.in)
		if !ok {
			t.Fatalf("parseOrigin(%q) failed", tc.in)
		}
		if got := w.matches(o); got != tc.want {
			t.Errorf("https://*.example.com:8443 matches %q = %v, want %v", tc.in, got, tc.want)
		}
		if got := w.matchesRaw(tc.in); got != tc.want {
			t.Errorf("https://*.example.com:8443 matchesRaw %q = %v, want %v", tc.in, got, tc.want)
		}
	}
}
