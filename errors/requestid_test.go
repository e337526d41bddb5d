package errors_test

import (
	stderrors "errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// TestRequestID: an incoming X-Request-ID is the request's ID only when it
// is acceptable and comes from a configured trusted proxy; otherwise the
// response header, the problem body and the record carry a fresh ID, and
// the record keeps an acceptable incoming one as the client's. Each case
// runs through the Responder's Handler and through Write without it.
func TestRequestID(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	const fromProxy, fromClient = "10.0.0.5:4000", "203.0.113.9:4000"
	tests := []struct {
		name     string
		proxies  []netip.Prefix // the Responder's TrustedProxies
		remote   string
		incoming []string
		keep     bool // the incoming ID is the request ID
	}{
		{"none", nil, fromClient, nil, false},
		{"forged, no trusted proxies", nil, fromClient, []string{"victim-req-1"}, false},
		{"forged by a proxy's address, no trusted proxies", nil, fromProxy, []string{"victim-req-1"}, false},
		{"forged from an untrusted peer", proxies, fromClient, []string{"victim-req-1"}, false},
		{"from a trusted proxy", proxies, fromProxy, []string{"req_01.abc-DEF"}, true},
		{"from a trusted proxy, mapped address", proxies, "[::ffff:10.0.0.5]:4000", []string{"req-2"}, true},
		{"from a trusted proxy, 64 chars", proxies, fromProxy, []string{strings.Repeat("a", 64)}, true},
		{"from a trusted proxy, 65 chars", proxies, fromProxy, []string{strings.Repeat("a", 65)}, false},
		{"from a trusted proxy, space", proxies, fromProxy, []string{"a b"}, false},
		{"from a trusted proxy, CRLF", proxies, fromProxy, []string{"a\r\nSet-Cookie: x"}, false},
		{"from a trusted proxy, unicode", proxies, fromProxy, []string{"abc\u202e"}, false},
		{"from a trusted proxy, json", proxies, fromProxy, []string{`"},"x":"`}, false},
		{"from a trusted proxy, two headers", proxies, fromProxy, []string{"a", "b"}, false},
		{"from a trusted proxy, empty", proxies, fromProxy, []string{""}, false},
		{"unix socket peer", proxies, "@", []string{"req-3"}, false},
	}
	for _, tt := range tests {
		rs, err := apierrors.NewResponder(apierrors.Config{TrustedProxies: tt.proxies})
		if err != nil {
			t.Fatal(err)
		}
		for _, via := range []string{"handler", "write"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				t.Parallel()
				req := httptest.NewRequest("GET", "/", nil)
				req.RemoteAddr = tt.remote
				for _, v := range tt.incoming {
					req.Header.Add("X-Request-ID", v)
				}
				var seen, client string
				var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if rec := record.From(r.Context()); rec != nil {
						seen, client = rec.ID(), rec.ClientRequestID()
					}
					rs.Write(w, r, apierrors.New(404, apierrors.ReasonNotFound, ""))
				})
				if via == "handler" {
					h = rs.Handler(h)
				}
				rr := serve(h, req)
				got := rr.Header().Get("X-Request-ID")
				if b := decode(t, rr); b.RequestID != got {
					t.Errorf("body request_id %q, header %q: want them equal", b.RequestID, got)
				}
				if via == "handler" && got != seen {
					t.Errorf("header %q, record %q: want them equal", got, seen)
				}
				if tt.keep {
					if got != tt.incoming[0] {
						t.Errorf("ID = %q, want the trusted proxy's %q", got, tt.incoming[0])
					}
					if client != "" {
						t.Errorf("ClientRequestID = %q, want none: the proxy's ID is the request ID", client)
					}
					return
				}
				if len(got) != 26 || !record.ValidID(got) {
					t.Errorf("ID = %q, want a fresh 26-character ULID", got)
				}
				if len(tt.incoming) > 0 && got == tt.incoming[0] {
					t.Errorf("ID = %q: the client chose it", got)
				}
				wantClient := ""
				if len(tt.incoming) == 1 && record.ValidID(tt.incoming[0]) && via == "handler" {
					wantClient = tt.incoming[0]
				}
				if client != wantClient {
					t.Errorf("ClientRequestID = %q, want %q", client, wantClient)
				}
			})
		}
	}
}

func TestTrustedProxiesConfig(t *testing.T) {
	t.Parallel()
	if _, err := apierrors.NewResponder(apierrors.Config{TrustedProxies: []netip.Prefix{{}}}); !stderrors.Is(err, apierrors.ErrInvalidConfig) {
		t.Errorf("an invalid prefix: err = %v, want ErrInvalidConfig", err)
	}
}
