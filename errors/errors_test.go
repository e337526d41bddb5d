package errors_test

import (
	"bytes"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// body is the decoded problem+json body.
type body struct {
	Type      string                 `json:"type"`
	Title     string                 `json:"title"`
	Status    int                    `json:"status"`
	Detail    string                 `json:"detail"`
	Instance  string                 `json:"instance"`
	Reason    string                 `json:"reason"`
	RequestID string                 `json:"request_id"`
	Errors    []apierrors.FieldError `json:"errors"`
}

func decode(t *testing.T, rr *httptest.ResponseRecorder) body {
	t.Helper()
	var b body
	dec := json.NewDecoder(bytes.NewReader(rr.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("body %q is not a problem: %v", rr.Body.String(), err)
	}
	return b
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	return rr
}

func checkErrorHeaders(t *testing.T, rr *httptest.ResponseRecorder, wantCT string) {
	t.Helper()
	h := rr.Result().Header
	if got := h.Get("Content-Type"); got != wantCT {
		t.Errorf("Content-Type = %q, want %q", got, wantCT)
	}
	if got := h.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
	}
	if id := h.Get("X-Request-ID"); !record.ValidID(id) {
		t.Errorf("X-Request-ID = %q, want a valid ID", id)
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantReason string
		wantTitle  string
		wantDetail string
		wantHeader map[string]string
	}{
		{
			name:       "expired token",
			err:        apierrors.New(401, apierrors.ReasonTokenExpired, "The access token is expired.").WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`),
			wantStatus: 401, wantReason: "token_expired", wantTitle: "Unauthorized",
			wantDetail: "The access token is expired.",
			wantHeader: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`},
		},
		{
			name:       "status from the registry",
			err:        apierrors.New(0, apierrors.ReasonRateLimited, "Slow down.").WithHeader("Retry-After", "3"),
			wantStatus: 429, wantReason: "rate_limited", wantTitle: "Too Many Requests", wantDetail: "Slow down.",
			wantHeader: map[string]string{"Retry-After": "3"},
		},
		{
			name:       "wrapped problem is found",
			err:        fmt.Errorf("loading item: %w", apierrors.New(404, apierrors.ReasonNotFound, "No item has this ID.")),
			wantStatus: 404, wantReason: "not_found", wantTitle: "Not Found", wantDetail: "No item has this ID.",
		},
		{
			name:       "5xx detail is never sent",
			err:        apierrors.New(503, apierrors.ReasonOverloaded, "pool exhausted at db-7.internal:5432"),
			wantStatus: 503, wantReason: "overloaded", wantTitle: "Service Unavailable",
		},
		{
			name:       "status outside 4xx/5xx becomes 500",
			err:        apierrors.New(200, "odd", "ok?"),
			wantStatus: 500, wantReason: "odd", wantTitle: "Internal Server Error",
		},
		{
			name:       "max bytes error is 413",
			err:        fmt.Errorf("reading body: %w", &http.MaxBytesError{Limit: 10}),
			wantStatus: 413, wantReason: "payload_too_large", wantTitle: "Content Too Large",
			wantDetail: "The request body is larger than allowed.",
		},
		{
			name:       "unknown error is a generic 500",
			err:        stderrors.New("boom"),
			wantStatus: 500, wantReason: "internal", wantTitle: "Internal Server Error",
		},
		{
			name:       "nil error is a generic 500",
			err:        nil,
			wantStatus: 500, wantReason: "internal", wantTitle: "Internal Server Error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log := slog.New(slog.DiscardHandler)
			rs, err := apierrors.NewResponder(apierrors.Config{Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			h := rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				apierrors.Write(w, r, tt.err)
			}))
			rr := serve(h, httptest.NewRequest("GET", "/v1/items?token=secret", nil))
			if rr.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rr.Code, tt.wantStatus)
			}
			checkErrorHeaders(t, rr, "application/problem+json")
			b := decode(t, rr)
			want := body{
				Type:      "tag:apishield,2026:" + tt.wantReason,
				Title:     tt.wantTitle,
				Status:    tt.wantStatus,
				Detail:    tt.wantDetail,
				Instance:  "/v1/items",
				Reason:    tt.wantReason,
				RequestID: rr.Header().Get("X-Request-ID"),
			}
			if fmt.Sprint(b) != fmt.Sprint(want) {
				t.Errorf("body = %+v\nwant   %+v", b, want)
			}
			for k, v := range tt.wantHeader {
				if got := rr.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestWriteWithoutMiddleware(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/x", nil)
	rr := httptest.NewRecorder()
	apierrors.Write(rr, req, apierrors.New(400, apierrors.ReasonMalformedRequest, "Bad JSON."))
	checkErrorHeaders(t, rr, "application/problem+json")
	id := rr.Header().Get("X-Request-ID")
	if b := decode(t, rr); b.RequestID != id || b.Status != 400 {
		t.Errorf("body = %+v, want status 400 and the header's request ID %q", b, id)
	}
}

func TestWriteFieldErrors(t *testing.T) {
	t.Parallel()
	p := apierrors.New(422, apierrors.ReasonValidationFailed, "The body does not match the schema.").
		WithErrors(apierrors.FieldError{In: apierrors.InBody, Pointer: "/price", Detail: "must be >= 0", Keyword: "minimum"},
			apierrors.FieldError{Pointer: "/name", Detail: "is required"},
			apierrors.FieldError{In: apierrors.InQuery, Pointer: "/a~1b", Detail: "is required"})
	rr := httptest.NewRecorder()
	apierrors.Write(rr, httptest.NewRequest("POST", "/v1/items", nil), p)
	b := decode(t, rr)
	want := []apierrors.FieldError{{In: "body", Pointer: "/price", Detail: "must be >= 0", Keyword: "minimum"},
		{Pointer: "/name", Detail: "is required"}, {In: "query", Pointer: "/a~1b", Detail: "is required"}}
	if fmt.Sprint(b.Errors) != fmt.Sprint(want) {
		t.Errorf("errors = %+v, want %+v", b.Errors, want)
	}
	if !strings.Contains(rr.Body.String(), `{"in":"body","pointer":"/price","detail":"must be \u003e= 0","keyword":"minimum"}`) {
		t.Errorf("in should come first: %s", rr.Body.String())
	}
	if !strings.Contains(rr.Body.String(), `{"pointer":"/name","detail":"is required"}`) {
		t.Errorf("an empty in and keyword should be omitted: %s", rr.Body.String())
	}
}

// TestWriteNeverLeaks proves that the text of an internal error, whatever it
// carries, reaches the log and never the client.
func TestWriteNeverLeaks(t *testing.T) {
	t.Parallel()
	secrets := []string{
		`pq: syntax error at or near "DROP" in SELECT * FROM users WHERE email='a@b.c'`,
		"open /etc/apishield/keys/signing.pem: permission denied",
		"goroutine 1 [running]:\nmain.main()\n\t/home/dev/app/main.go:42 +0x1d",
	}
	for _, secret := range secrets {
		var logBuf bytes.Buffer
		rs, _ := apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
		cause := fmt.Errorf("repository: %s", secret)
		for name, err := range map[string]error{
			"plain":            cause,
			"internal problem": apierrors.Internal(cause),
			"5xx with detail":  apierrors.New(502, apierrors.ReasonUpstreamUnavailable, secret).WithCause(cause),
		} {
			logBuf.Reset()
			rr := serve(rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				apierrors.Write(w, r, err)
			})), httptest.NewRequest("GET", "/v1/items", nil))
			for _, leak := range []string{"SELECT", "/etc/apishield", "goroutine", "main.go", "repository"} {
				if strings.Contains(rr.Body.String(), leak) || strings.Contains(fmt.Sprint(rr.Header()), leak) {
					t.Errorf("%s: response leaks %q: %s", name, leak, rr.Body.String())
				}
			}
			id := rr.Header().Get("X-Request-ID")
			if !strings.Contains(logBuf.String(), id) {
				t.Errorf("%s: log lacks the request ID %s: %s", name, id, logBuf.String())
			}
			wantLogged, _ := json.Marshal(secret)
			if !strings.Contains(logBuf.String(), strings.Trim(string(wantLogged), `"`)) {
				t.Errorf("%s: log lacks the cause: %s", name, logBuf.String())
			}
		}
	}
}

func TestNegotiation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		accept []string
		want   string
	}{
		{nil, "application/problem+json"},
		{[]string{"*/*"}, "application/problem+json"},
		{[]string{"application/json"}, "application/json"},
		{[]string{"application/json, application/problem+json"}, "application/problem+json"},
		{[]string{"application/problem+json;q=0, application/json"}, "application/json"},
		{[]string{"application/*;q=0.5"}, "application/problem+json"},
		{[]string{"application/json;q=0.9, */*;q=0"}, "application/json"},
		{[]string{"text/html"}, "application/problem+json"},
		{[]string{"text/html", "application/json"}, "application/json"},
		{[]string{"application/json; q=garbage"}, "application/problem+json"},
		{[]string{"APPLICATION/JSON"}, "application/json"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.accept, "|"), func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("GET", "/", nil)
			for _, a := range tt.accept {
				req.Header.Add("Accept", a)
			}
			rr := httptest.NewRecorder()
			apierrors.Write(rr, req, apierrors.New(404, apierrors.ReasonNotFound, ""))
			if got := rr.Header().Get("Content-Type"); got != tt.want {
				t.Errorf("Content-Type = %q, want %q", got, tt.want)
			}
			decode(t, rr) // same body either way
		})
	}
}

func TestRenderers(t *testing.T) {
	t.Parallel()
	t.Run("simple", func(t *testing.T) {
		rs, _ := apierrors.NewResponder(apierrors.Config{Renderer: apierrors.SimpleJSON,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}})
		req := httptest.NewRequest("GET", "/", nil) // from 192.0.2.1
		req.Header.Set("X-Request-ID", "req-1")
		rr := serve(rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			apierrors.Write(w, r, apierrors.New(400, apierrors.ReasonMalformedRequest, "Bad JSON."))
		})), req)
		want := `{"error":"Bad Request","code":400,"message":"Bad JSON.","request_id":"req-1","reason":"malformed_request"}`
		if got := rr.Body.String(); got != want {
			t.Errorf("body = %s\nwant   %s", got, want)
		}
		checkErrorHeaders(t, rr, "application/json")
	})
	t.Run("custom renderer and type prefix", func(t *testing.T) {
		rs, _ := apierrors.NewResponder(apierrors.Config{
			TypePrefix: "https://docs.example.com/problems/",
			Renderer: apierrors.RendererFunc(func(dst []byte, _ *http.Request, e *apierrors.Envelope) ([]byte, string) {
				return fmt.Appendf(dst, "%s|%d|%s", e.Type, e.Status, e.Reason), "text/x-problem"
			}),
		})
		rr := serve(rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			apierrors.Write(w, r, apierrors.New(403, apierrors.ReasonForbidden, ""))
		})), httptest.NewRequest("GET", "/", nil))
		if got, want := rr.Body.String(), "https://docs.example.com/problems/forbidden|403|forbidden"; got != want {
			t.Errorf("body = %q, want %q", got, want)
		}
		checkErrorHeaders(t, rr, "text/x-problem")
	})
}

func TestNewResponderInvalid(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"has space:", "quote\":", "tab\t:", "nl\n"} {
		if _, err := apierrors.NewResponder(apierrors.Config{TypePrefix: prefix}); !stderrors.Is(err, apierrors.ErrInvalidConfig) {
			t.Errorf("TypePrefix %q: err = %v, want ErrInvalidConfig", prefix, err)
		}
	}
}

func TestWriteHead(t *testing.T) {
	t.Parallel()
	rr := httptest.NewRecorder()
	apierrors.Write(rr, httptest.NewRequest("HEAD", "/", nil), apierrors.New(404, apierrors.ReasonNotFound, ""))
	if rr.Code != 404 || rr.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, body %q; want 404 and no body", rr.Code, rr.Body.String())
	}
}

func TestWriteVoidsHandlerHeaders(t *testing.T) {
	t.Parallel()
	rr := serve(apierrors.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1234")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("ETag", `"v1"`)
		apierrors.Write(w, r, apierrors.New(409, apierrors.ReasonConflict, ""))
	})), httptest.NewRequest("PUT", "/", nil))
	for _, k := range []string{"Content-Length", "Content-Encoding", "ETag"} {
		if v := rr.Header().Get(k); v != "" {
			t.Errorf("%s = %q survived into the problem response", k, v)
		}
	}
}

func TestWriteAfterResponseStarted(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	rs, _ := apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	rr := serve(rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"ok":true}`)
		apierrors.Write(w, r, stderrors.New("late failure"))
	})), httptest.NewRequest("GET", "/", nil))
	if rr.Code != 200 || rr.Body.String() != `{"ok":true}` {
		t.Errorf("got %d %q; the started response must not be double-written", rr.Code, rr.Body.String())
	}
	if !strings.Contains(logBuf.String(), "late failure") {
		t.Errorf("the unsent problem was not logged: %s", logBuf.String())
	}
}

// TestWriteTypeAndExtensions: a problem type another specification
// defines is sent with its own URI whatever the TypePrefix, its members
// after apishield's own, by both renderers; members that would repeat one
// a renderer writes, or an earlier extension, are left out; and a 5xx
// sends no extension, as it sends no detail.
func TestWriteTypeAndExtensions(t *testing.T) {
	t.Parallel()
	const quota = "https://iana.org/assignments/http-problem-types#quota-exceeded"
	p := apierrors.New(0, apierrors.ReasonRateLimited, "Slow down.").WithType(quota,
		apierrors.Extension{Name: "violated-policies", Values: []string{"ip", `we"ird`}},
		apierrors.Extension{Name: "status", Values: []string{"200"}},
		apierrors.Extension{Name: "reason", Values: []string{"x"}},
		apierrors.Extension{Name: "violated-policies", Values: []string{"again"}},
		apierrors.Extension{Name: "error", Values: []string{"only the simple envelope writes error"}},
	)
	for _, tc := range []struct {
		name     string
		renderer apierrors.Renderer
		want     map[string]any
	}{
		{"problem+json", apierrors.ProblemJSON, map[string]any{
			"type": quota, "title": "Too Many Requests", "status": 429.0, "reason": "rate_limited",
			"violated-policies": []any{"ip", `we"ird`}, "error": []any{"only the simple envelope writes error"},
		}},
		{"simple", apierrors.SimpleJSON, map[string]any{
			"error": "Too Many Requests", "code": 429.0, "reason": "rate_limited",
			"violated-policies": []any{"ip", `we"ird`}, "status": []any{"200"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs, err := apierrors.NewResponder(apierrors.Config{TypePrefix: "https://docs.example/problems/", Renderer: tc.renderer})
			if err != nil {
				t.Fatal(err)
			}
			rr := httptest.NewRecorder()
			rs.Write(rr, httptest.NewRequest("GET", "/v1/items", nil), p)
			// A decoder that keeps every member, repeated ones too.
			dec := json.NewDecoder(bytes.NewReader(rr.Body.Bytes()))
			if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
				t.Fatalf("body %s: %v", rr.Body, err)
			}
			got := map[string]any{}
			for dec.More() {
				k, _ := dec.Token()
				var v any
				if err := dec.Decode(&v); err != nil {
					t.Fatalf("body %s: %v", rr.Body, err)
				}
				if _, dup := got[k.(string)]; dup {
					t.Errorf("member %q appears twice in %s", k, rr.Body)
				}
				got[k.(string)] = v
			}
			for k, want := range tc.want {
				if fmt.Sprint(got[k]) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v (body %s)", k, got[k], want, rr.Body)
				}
			}
		})
	}
	t.Run("5xx", func(t *testing.T) {
		t.Parallel()
		rr := httptest.NewRecorder()
		apierrors.Write(rr, httptest.NewRequest("GET", "/", nil), apierrors.New(503, apierrors.ReasonOverloaded, "").
			WithType("https://iana.org/assignments/http-problem-types#temporary-reduced-capacity",
				apierrors.Extension{Name: "violated-policies", Values: []string{"hourly"}}))
		if strings.Contains(rr.Body.String(), "violated-policies") || !strings.Contains(rr.Body.String(), "temporary-reduced-capacity") {
			t.Errorf("5xx body %s: want the type, and no extension", rr.Body)
		}
	})
}

// TestKnownReasonsRenderAsProblemJSON: a registered reason's members are
// rendered once per Responder; the bodies sent must be exactly what
// ProblemJSON renders member by member, for every reason, with a custom
// type prefix too, and whatever the other members hold.
func TestKnownReasonsRenderAsProblemJSON(t *testing.T) {
	generic := apierrors.RendererFunc(func(dst []byte, r *http.Request, e *apierrors.Envelope) ([]byte, string) {
		return apierrors.ProblemJSON.Render(dst, r, e)
	})
	proxies := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	for _, prefix := range []string{"", "https://problems.example/v1/"} {
		fast, err := apierrors.NewResponder(apierrors.Config{TypePrefix: prefix, TrustedProxies: proxies})
		if err != nil {
			t.Fatal(err)
		}
		slow, err := apierrors.NewResponder(apierrors.Config{TypePrefix: prefix, TrustedProxies: proxies, Renderer: generic})
		if err != nil {
			t.Fatal(err)
		}
		for _, ri := range apierrors.Reasons() {
			for _, p := range []*apierrors.Problem{
				apierrors.New(ri.Status, ri.Reason, ""),
				apierrors.New(ri.Status, ri.Reason, "a \"quoted\" <detail>\u2028 with \\ and \x01").
					WithErrors(apierrors.FieldError{In: "body", Pointer: "/a", Detail: "bad", Keyword: "type"}),
				apierrors.New(ri.Status, ri.Reason, "x").WithHeader("Retry-After", "3").
					WithType("", apierrors.Extension{Name: "violated-policies", Values: []string{"p\"1"}}),
				apierrors.New(ri.Status+1, ri.Reason, "a status the registry does not give the reason"),
			} {
				send := func(rs *apierrors.Responder) *httptest.ResponseRecorder {
					req := httptest.NewRequest("POST", "/v1/it%22ems/%E2%80%A8", nil)
					req.Header.Set("X-Request-ID", "edge-1.a_b")
					w := httptest.NewRecorder()
					rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						apierrors.Write(w, r, p)
					})).ServeHTTP(w, req)
					return w
				}
				got, want := send(fast), send(slow)
				if got.Body.String() != want.Body.String() || got.Code != want.Code ||
					got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
					t.Errorf("prefix %q, %s: fast path sent %d %q\nProblemJSON sends %d %q", prefix, ri.Reason,
						got.Code, got.Body, want.Code, want.Body)
				}
			}
		}
	}
}
