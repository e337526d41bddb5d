package auth

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestHTUMatches: htu is compared with the configured origin and the
// request's path as RFC 9449 §4.3 and RFC 3986 §6.2.2-6.2.3 ask; the
// request's own Host header never counts.
func TestHTUMatches(t *testing.T) {
	t.Parallel()
	d := &dpopVerifier{origin: "https://api.example.com"}
	for _, tc := range []struct {
		name, htu, target, host string
		want                    bool
	}{
		{"same", "https://api.example.com/v1/items", "/v1/items", "", true},
		{"query and fragment ignored", "https://api.example.com/v1/items?a=1#f", "/v1/items?b=2", "", true},
		{"upper-case scheme and host", "HTTPS://API.EXAMPLE.COM/v1/items", "/v1/items", "", true},
		{"default port", "https://api.example.com:443/v1/items", "/v1/items", "", true},
		{"empty path is /", "https://api.example.com", "/", "", true},
		{"unreserved percent-encoding decoded", "https://api.example.com/v1/%7Eitems", "/v1/~items", "", true},
		{"percent-encoding case", "https://api.example.com/v1/a%2fb", "/v1/a%2Fb", "", true},
		{"dot segments", "https://api.example.com/v1/./x/../items", "/v1/items", "", true},
		{"dot segments in the request", "https://api.example.com/v1/items", "/v1/x/../items", "", true},
		{"path case matters", "https://api.example.com/V1/items", "/v1/items", "", false},
		{"encoded slash is not a slash", "https://api.example.com/v1/a%2Fb", "/v1/a/b", "", false},
		{"other host", "https://evil.example/v1/items", "/v1/items", "", false},
		{"origin as a prefix of another host", "https://api.example.com.evil.example/v1/items", "/v1/items", "", false},
		{"other port", "https://api.example.com:444/v1/items", "/v1/items", "", false},
		{"http", "http://api.example.com/v1/items", "/v1/items", "", false},
		{"user information", "https://a@api.example.com/v1/items", "/v1/items", "", false},
		{"relative", "/v1/items", "/v1/items", "", false},
		{"bad percent-encoding", "https://api.example.com/v1/%zzitems", "/v1/items", "", false},
		{"the request's Host is not the origin", "https://evil.example/v1/items", "/v1/items", "evil.example", false},
		{"trailing slash matters", "https://api.example.com/v1/items/", "/v1/items", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			if tc.host != "" {
				r.Host = tc.host
			}
			if got := d.htuMatches(tc.htu, r); got != tc.want {
				t.Errorf("htuMatches(%q, %q) = %v, want %v", tc.htu, tc.target, got, tc.want)
			}
		})
	}
	// Under http.StripPrefix the URL's path is cut; the request target the
	// client signed is not.
	r := httptest.NewRequest("GET", "/api/v1/items", nil)
	http.StripPrefix("/api", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if !d.htuMatches("https://api.example.com/api/v1/items", r) {
			t.Error("StripPrefix: the client's path no longer matches")
		}
	})).ServeHTTP(httptest.NewRecorder(), r)
}

func TestNormalizeOrigin(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://API.example.com":       "https://api.example.com",
		"https://api.example.com/":      "https://api.example.com",
		"https://api.example.com:443":   "https://api.example.com",
		"http://api.example.com:80":     "http://api.example.com",
		"http://api.example.com:8080":   "http://api.example.com:8080",
		"https://[2001:DB8::1]:443":     "https://[2001:db8::1]",
		"https://api.example.com/x":     "",
		"https://api.example.com?x":     "",
		"https://api.example.com#x":     "",
		"https://u@api.example.com":     "",
		"ws://api.example.com":          "",
		"https://":                      "",
		"https://api.example.com:99999": "",
	} {
		got, ok := normalizeOrigin(in)
		if got != want || ok != (want != "") {
			t.Errorf("normalizeOrigin(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestNonceSource: nonces of the current and previous period, under any
// configured key, are accepted; older, newer, forged or malformed ones not.
func TestNonceSource(t *testing.T) {
	t.Parallel()
	k1, k2 := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	n, err := newNonceSource(DPoPNonceConfig{Keys: [][]byte{k1, k2}, Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := newNonceSource(DPoPNonceConfig{Keys: [][]byte{k2}, Period: time.Minute})
	other, _ := newNonceSource(DPoPNonceConfig{Keys: [][]byte{[]byte("another key of thirty-two bytes!")}, Period: time.Minute})
	now := time.Unix(1_800_000_000, 0)
	cur := n.issue(now)
	if again := n.issue(now.Add(time.Second)); again != cur {
		t.Errorf("nonce changed within a period: %q, %q", cur, again)
	}
	for _, tc := range []struct {
		name, nonce string
		current     bool
		check       string
	}{
		{"current", cur, true, ""},
		{"current, second key", old.issue(now), true, ""},
		{"previous period", n.issue(now.Add(-time.Minute)), false, ""},
		{"two periods old", n.issue(now.Add(-2 * time.Minute)), false, "dpop_nonce_stale"},
		{"next period", n.issue(now.Add(time.Minute)), false, "dpop_nonce_stale"},
		{"forged", other.issue(now), false, "dpop_nonce_invalid"},
		{"missing", "", false, "dpop_nonce_missing"},
		{"truncated", cur[:len(cur)-1], false, "dpop_nonce_invalid"},
		{"padding", cur[:len(cur)-2] + "==", false, "dpop_nonce_invalid"},
		{"not base64url", "!" + cur[1:], false, "dpop_nonce_invalid"},
	} {
		current, check := n.check(tc.nonce, now)
		if current != tc.current || check != tc.check {
			t.Errorf("%s: got (%v, %q), want (%v, %q)", tc.name, current, check, tc.current, tc.check)
		}
	}
}

// TestProofKeyCache: the cache answers as parsing would, keeps only keys
// that parsed, and stays bounded.
func TestProofKeyCache(t *testing.T) {
	t.Parallel()
	var c proofKeyCache
	jwk := []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)
	k1, jkt1, err := c.get(jwk)
	if err != nil {
		t.Fatal(err)
	}
	k2, jkt2, err := c.get(jwk)
	if err != nil || k1 != k2 || jkt1 != jkt2 {
		t.Fatalf("second lookup: %v, %q, %v; want the cached key", k2, jkt2, err)
	}
	// RFC 8037 §A.3's thumbprint of this key.
	if jkt1 != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Errorf("thumbprint %q", jkt1)
	}
	bad := []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`)
	for range 2 {
		if _, _, err := c.get(bad); CheckOf(err) != "dpop_jwk_private" {
			t.Fatalf("private key: got %v", err)
		}
	}
	for i := range maxProofKeys + 10 {
		j := []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"` + strconv.Itoa(i) + `"}`)
		if _, _, err := c.get(j); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.m); n > maxProofKeys {
		t.Errorf("cache holds %d keys, more than %d", n, maxProofKeys)
	}
}
