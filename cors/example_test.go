package cors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apishield/apishield/cors"
	"github.com/apishield/apishield/route"
)

func Example() {
	c, err := cors.New(cors.Config{Policy: cors.Policy{
		AllowedOrigins:   []string{"https://app.example.com", "https://*.preview.example.com"},
		AllowedMethods:   []string{"GET", "POST", "PUT"},
		AllowedHeaders:   []string{"Authorization", "Content-Type"},
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After"},
		MaxAge:           time.Hour,
		AllowCredentials: true,
	}})
	if err != nil {
		panic(err)
	}
	h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "items")
	}))

	send := func(method, origin string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/v1/items", nil)
		req.Header.Set("Origin", origin)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		return rr
	}

	rr := send("OPTIONS", "https://app.example.com",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "authorization,content-type")
	fmt.Println("preflight:", rr.Code, rr.Header().Get("Access-Control-Allow-Methods"), "|", rr.Header().Get("Access-Control-Allow-Headers"))

	rr = send("GET", "https://pr-42.preview.example.com")
	fmt.Println("allowed:", rr.Code, rr.Header().Get("Access-Control-Allow-Origin"), rr.Header().Get("Access-Control-Allow-Credentials"))

	for _, origin := range []string{"https://app.example.com.evil.test", "null", "https://APP.example.com"} {
		rr = send("POST", origin)
		fmt.Println("refused:", rr.Code, rr.Header().Get("Content-Type"), rr.Header().Get("Access-Control-Allow-Origin") == "")
	}
	// Output:
	// preflight: 204 GET, POST, PUT | authorization, content-type
	// allowed: 200 https://pr-42.preview.example.com true
	// refused: 403 application/problem+json true
	// refused: 403 application/problem+json true
	// refused: 403 application/problem+json true
}

// A public route answers every origin, without credentials, while the rest
// of the API keeps the default policy. Route lets preflights find the
// route their method will reach.
func ExampleConfig_routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {})
	rt := route.Mux(mux)
	c := cors.MustNew(cors.Config{
		Policy: cors.Policy{AllowedOrigins: []string{"https://app.example.com"}},
		Routes: map[string]cors.Policy{"GET /v1/status": {AllowedOrigins: []string{"*"}}},
		Route:  rt,
	})
	h := rt(c.Handler(mux))
	for _, path := range []string{"/v1/status", "/v1/items"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Origin", "https://dashboard.partner.test")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		fmt.Println(path, rr.Code, rr.Header().Get("Access-Control-Allow-Origin"))
	}
	// Output:
	// /v1/status 200 *
	// /v1/items 403
}

// Check is the decision without a response: here, a WebSocket upgrade's
// origin check.
func ExampleMiddleware_Check() {
	c := cors.MustNew(cors.Config{Policy: cors.Policy{AllowedOrigins: []string{"https://app.example.com"}}})
	checkOrigin := func(r *http.Request) bool { return c.Check(r) == nil }
	for _, origin := range []string{"https://app.example.com", "https://evil.test"} {
		req := httptest.NewRequest("GET", "/ws", nil)
		req.Header.Set("Origin", origin)
		fmt.Println(origin, checkOrigin(req))
	}
	// Output:
	// https://app.example.com true
	// https://evil.test false
}

func ExampleNew_credentialsWithAnyOrigin() {
	_, err := cors.New(cors.Config{Policy: cors.Policy{AllowedOrigins: []string{"*"}, AllowCredentials: true}})
	fmt.Println(err)
	// Output:
	// cors: invalid config: default policy: "*" cannot be combined with AllowCredentials: any page could act with the user's cookies; list the origins
}
