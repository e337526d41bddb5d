package main

// items.go is the resource this example serves: an in-memory store of
// items, its handlers, the validators of its requests, and the limits on
// its callers. examples/quickstart, chi and gorilla serve the same API on
// three routers, so they carry this same file (a test keeps the copies
// identical); each passes the one thing its router changes, how {id} is
// read. Replace the store with your own; keep the shape: handlers read only
// what the validators decoded.

import (
	"embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/validate"
)

// maxBodyBytes is the most any request may carry. The largest body the API
// takes, a new item, needs far less.
const maxBodyBytes = 64 << 10

// pathValueFunc reads a path parameter as the router set it: r.PathValue
// (ServeMux, chi), chi.URLParam, or mux.Vars(r)[name] (gorilla/mux).
type pathValueFunc func(r *http.Request, name string) string

// item is the API's resource.
type item struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags,omitempty"`
	Owner string   `json:"owner,omitempty"`
}

// The request contracts, compiled once at start-up. Strict mode (the
// default) refuses unknown fields, so a client cannot set "owner" or "id".
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// itemValidators holds one validate.Validator per kind of input.
type itemValidators struct {
	create *validate.Validator // POST /v1/items: the body
	list   *validate.Validator // GET /v1/items: limit and cursor
	id     *validate.Validator // /v1/items/{id}, /v1/admin/items/{id}: the id
}

// newItemValidators compiles the contracts; id reads {id} with param.
func newItemValidators(param pathValueFunc) (*itemValidators, error) {
	schema := func(name string) []byte {
		b, _ := schemaFiles.ReadFile("schemas/" + name + ".json") // embedded: cannot fail
		return b
	}
	create, err := validate.New(validate.Config{Body: schema("item-create"), BodyType: reflect.TypeFor[item](), MaxBodyBytes: maxBodyBytes})
	if err != nil {
		return nil, err
	}
	list, err := validate.New(validate.Config{Query: schema("items-query")})
	if err != nil {
		return nil, err
	}
	id, err := validate.New(validate.Config{Path: schema("item-id"), PathParam: param})
	if err != nil {
		return nil, err
	}
	return &itemValidators{create: create, list: list, id: id}, nil
}

// newBodyLimit bounds the body of every request at maxBodyBytes, whatever
// its route: 413 before reading when Content-Length says so, and after
// maxBodyBytes when the body comes chunked. The create validator bounds its
// route too; this covers the others, unknown paths included.
func newBodyLimit() (*validate.BodyLimit, error) {
	return validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: maxBodyBytes})
}

// newRateLimits builds the two limiters: per client IP (placed before auth,
// so floods are refused before any cryptography) and per subject (placed
// after it). store nil gives each its own memory store.
func newRateLimits(store ratelimit.Store, logger *slog.Logger) (perIP, perSubject *ratelimit.Limiter, err error) {
	// Behind a reverse proxy, list it: ratelimit.ParseTrustedProxies([]string{"10.0.0.0/8"}).
	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{})
	if err != nil {
		return nil, nil, err
	}
	perIP, err = ratelimit.New(ratelimit.Config{
		Name: "ip", Store: store, Logger: logger, Key: byIP,
		Policies: []ratelimit.Policy{{Name: "ip", Limit: 600, Period: time.Minute, Burst: 100}},
	})
	if err != nil {
		return nil, nil, err
	}
	perSubject, err = ratelimit.New(ratelimit.Config{
		Name: "subject", Store: store, Logger: logger, Key: ratelimit.BySubject(),
		Policies: []ratelimit.Policy{
			{Name: "subject", Limit: 1000, Period: time.Hour, Burst: 20},
			{Name: "daily", Limit: 10000, Period: 24 * time.Hour},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return perIP, perSubject, nil
}

// itemStore is an in-memory store of items with its handlers, safe for
// concurrent use; it starts with item 1, owned by "demo-user". Every method
// that takes the lock releases it with defer, so a panic cannot leave the
// store locked for every other caller.
type itemStore struct {
	mu     sync.Mutex
	items  map[int64]item
	nextID int64
}

func newItemStore() *itemStore {
	return &itemStore{
		items:  map[int64]item{1: {ID: 1, Name: "sample", Price: 9.5, Tags: []string{"demo"}, Owner: "demo-user"}},
		nextID: 2,
	}
}

// list serves GET /v1/items: the caller's own items (a list must not expose
// what the owner check on GET /v1/items/{id} protects), limit (1–100,
// default 20) of them after cursor, an item ID.
func (s *itemStore) list(w http.ResponseWriter, r *http.Request) {
	var owner string
	if p, ok := auth.FromContext(r.Context()); ok {
		owner = p.Subject
	}
	q, _ := validate.Query(r.Context()) // nil without the validator: the defaults apply
	limit, ok := q.Int64("limit")
	if !ok {
		limit = 20
	}
	if limit < 1 || limit > 100 { // the schema says so too; do not trust the wiring
		apierrors.Write(w, r, badParam(apierrors.InQuery, "/limit", "must be from 1 to 100"))
		return
	}
	var after int64
	if c, ok := q["cursor"].(string); ok {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 0 {
			apierrors.Write(w, r, badParam(apierrors.InQuery, "/cursor", "must be a cursor this API returned"))
			return
		}
		after = n
	}
	out, next, more := s.page(owner, after, int(limit))
	resp := map[string]any{"items": out}
	if more {
		resp["next_cursor"] = strconv.FormatInt(next, 10)
	}
	writeJSON(w, r, http.StatusOK, resp)
}

// page returns up to limit of owner's items with IDs above after and, if
// more follow, the cursor of the next page.
func (s *itemStore) page(owner string, after int64, limit int) (out []item, next int64, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out = make([]item, 0, min(limit, len(s.items)))
	for id := after + 1; id < s.nextID; id++ {
		it, ok := s.items[id]
		if !ok || it.Owner != owner {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID, true
		}
		out = append(out, it)
	}
	return out, 0, false
}

// get serves GET /v1/items/{id}.
func (s *itemStore) get(w http.ResponseWriter, r *http.Request) {
	id, err := itemID(r)
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	it, ok := s.lookup(id)
	if !ok {
		apierrors.Write(w, r, notFound())
		return
	}
	writeJSON(w, r, http.StatusOK, it)
}

// create serves POST /v1/items; the caller owns the new item.
func (s *itemStore) create(w http.ResponseWriter, r *http.Request) {
	// The body as an item, filled from the values the schema checked: it
	// is not parsed again, and fields the schema leaves out (id, owner)
	// stay zero, so a client cannot set them.
	it, err := validate.Decode[item](r.Context())
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	if p, ok := auth.FromContext(r.Context()); ok {
		it.Owner = p.Subject
	}
	it = s.add(it)
	w.Header().Set("Location", "/v1/items/"+strconv.FormatInt(it.ID, 10))
	writeJSON(w, r, http.StatusCreated, it)
}

// remove serves DELETE /v1/admin/items/{id}.
func (s *itemStore) remove(w http.ResponseWriter, r *http.Request) {
	id, err := itemID(r)
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	if !s.delete(id) {
		apierrors.Write(w, r, notFound())
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]int64{"deleted": id})
}

func (s *itemStore) add(it item) item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.ID = s.nextID
	s.items[it.ID] = it
	s.nextID++
	return it
}

func (s *itemStore) delete(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.items[id]
	delete(s.items, id)
	return ok
}

func (s *itemStore) lookup(id int64) (item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	return it, ok
}

// ownerOf is the authz.Owner resolver of GET /v1/items/{id}, which the
// policy runs before the route's own validator. So it checks {id} with
// that validator first: a malformed ID is the same 422 on every route that
// takes one, whether or not the route looks up an owner. Then an ID no
// item has is the 404 get would send, and the owner decides the rest.
func (s *itemStore) ownerOf(id *validate.Validator) authz.OwnerFunc {
	return func(r *http.Request) (string, error) {
		r, err := id.Check(nil, r)
		if err != nil {
			return "", err
		}
		n, err := itemID(r)
		if err != nil {
			return "", err
		}
		it, ok := s.lookup(n)
		if !ok {
			return "", notFound()
		}
		return it.Owner, nil
	}
}

// errUnvalidated is the cause of the 500 a handler answers when its
// route's validator is missing: a wiring mistake, not to be papered over
// by parsing the raw request.
var errUnvalidated = errors.New("items: the route's validator is missing: the handler has no validated input")

// itemID returns the {id} the id validator checked and coerced.
func itemID(r *http.Request) (int64, error) {
	p, _ := validate.PathParams(r.Context())
	id, ok := p.Int64("id")
	if !ok {
		return 0, apierrors.Internal(errUnvalidated)
	}
	return id, nil
}

func notFound() *apierrors.Problem {
	return apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
}

// badParam is the 422 for one value: in says where (the body or a kind
// of parameter), pointer is an RFC 6901 pointer within it.
func badParam(in, pointer, detail string) *apierrors.Problem {
	return apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed,
		"The request does not match its schema.").WithErrors(apierrors.FieldError{In: in, Pointer: pointer, Detail: detail})
}

func healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// writeJSON writes v as the JSON body of a response with status, or a 500
// problem if v cannot be encoded (nothing is sent before it is).
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apierrors.Write(w, r, apierrors.Internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n')) // a failed write means the client is gone
}
