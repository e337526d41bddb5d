// Package demo is the resource every example server serves: an in-memory
// store of items, its handlers, and the validators of its requests. The
// examples differ in how they route and secure it, not in what it is, so it
// is written once; each example passes the one thing its router changes, how
// the ID validator and the ownership check read the {id} path parameter.
// The handlers themselves read only what the validators decoded.
//
// It is example code: a store in memory, lost on restart.
package demo

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
)

// A ParamFunc returns the named path parameter of r, as the router set it:
// chi.URLParam with chi, mux.Vars(r)[name] with gorilla/mux. Nil means
// r.PathValue, for http.ServeMux.
type ParamFunc func(r *http.Request, name string) string

// Item is the examples' resource.
type Item struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags,omitempty"`
	Owner string   `json:"owner,omitempty"`
}

// Store is an in-memory store of items with its handlers, safe for
// concurrent use. It starts with item 1, owned by "demo-user".
//
// Its handlers read their input only as the validators in front of them
// decoded it (validate.Body, validate.Query, validate.PathParams), with
// validate's typed accessors: they never parse the request themselves.
// Every method that takes the lock releases it with defer, so a panic
// cannot leave the store locked for every other user.
type Store struct {
	mu     sync.Mutex
	items  map[int64]Item
	nextID int64
}

// NewStore returns a store holding item 1.
func NewStore() *Store {
	return &Store{
		items:  map[int64]Item{1: {ID: 1, Name: "sample", Price: 9.5, Tags: []string{"demo"}, Owner: "demo-user"}},
		nextID: 2,
	}
}

func orPathValue(param ParamFunc) ParamFunc {
	if param == nil {
		return func(r *http.Request, name string) string { return r.PathValue(name) }
	}
	return param
}

// List limits: the List validator's schema (items-query.json) allows the same.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// List serves GET /v1/items: the caller's own items, limit (1–100, default
// 20) of them after the cursor, an item ID; both are validated and coerced
// by the List validator. Only the caller's items: a list must not expose
// what the object-level check on GET /v1/items/{id} protects.
func (s *Store) List(w http.ResponseWriter, r *http.Request) {
	var subject string
	if p, ok := auth.FromContext(r.Context()); ok {
		subject = p.Subject
	}
	// Without the List validator in front, q is nil and the defaults apply:
	// nothing unvalidated is read.
	q, _ := validate.Query(r.Context())
	limit, ok := q.Int64("limit")
	if !ok {
		limit = defaultLimit
	}
	if limit < 1 || limit > maxLimit { // the schema says so too; do not trust the wiring
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
	out, next, more := s.page(subject, after, int(limit))
	resp := map[string]any{"items": out}
	if more {
		resp["next_cursor"] = strconv.FormatInt(next, 10)
	}
	WriteJSON(w, r, http.StatusOK, resp)
}

// page returns up to limit of owner's items with IDs above after, and,
// if more follow, the cursor of the next page.
func (s *Store) page(owner string, after int64, limit int) (out []Item, next int64, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out = make([]Item, 0, min(limit, len(s.items)))
	last := after
	for id := after + 1; id < s.nextID; id++ {
		it, ok := s.items[id]
		if !ok || it.Owner != owner {
			continue
		}
		if len(out) == limit {
			return out, last, true
		}
		out = append(out, it)
		last = id
	}
	return out, 0, false
}

// Get serves GET /v1/items/{id}; the ID validator in front has checked
// and coerced {id}.
func (s *Store) Get(w http.ResponseWriter, r *http.Request) {
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
	WriteJSON(w, r, http.StatusOK, it)
}

// Create serves POST /v1/items. The Create validator in front of it has
// already refused anything that is not a valid new item, so the handler
// only reads the body it decoded. The caller owns the new item.
func (s *Store) Create(w http.ResponseWriter, r *http.Request) {
	body, ok := validate.Body(r.Context())
	if !ok {
		apierrors.Write(w, r, apierrors.Internal(errUnvalidated))
		return
	}
	it, err := newItem(body)
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	if p, ok := auth.FromContext(r.Context()); ok {
		it.Owner = p.Subject
	}
	it = s.add(it)
	w.Header().Set("Location", "/v1/items/"+strconv.FormatInt(it.ID, 10))
	WriteJSON(w, r, http.StatusCreated, it)
}

func (s *Store) add(it Item) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.ID = s.nextID
	s.items[it.ID] = it
	s.nextID++
	return it
}

// Delete serves DELETE /v1/admin/items/{id}; the examples' policies let
// only a stepped-up admin here, and the ID validator has checked {id}.
func (s *Store) Delete(w http.ResponseWriter, r *http.Request) {
	id, err := itemID(r)
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	if !s.remove(id) {
		apierrors.Write(w, r, notFound())
		return
	}
	WriteJSON(w, r, http.StatusOK, map[string]int64{"deleted": id})
}

func (s *Store) remove(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.items[id]
	delete(s.items, id)
	return ok
}

// OwnerOf returns the authz.Owner resolver of GET /v1/items/{id}: the owner
// of the item the path names, or the same 404 Get would send. param reads
// {id} where the policy runs, which may be before the router has run (with
// chi, the policy matches the route itself and sets r.PathValue), and
// before the ID validator: so it reads the raw value as the validator will,
// with validate.Int64, and 1e0 names item 1 to both.
func (s *Store) OwnerOf(param ParamFunc) func(*http.Request) (string, error) {
	param = orPathValue(param)
	return func(r *http.Request) (string, error) {
		id, ok := validate.Int64(json.Number(param(r, "id")))
		if !ok {
			return "", notFound()
		}
		it, ok := s.lookup(id)
		if !ok {
			return "", notFound()
		}
		return it.Owner, nil
	}
}

func (s *Store) lookup(id int64) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	return it, ok
}

// errUnvalidated is the cause of the 500 a handler answers when the
// validator its route needs is not in front of it: a wiring mistake, which
// must not be papered over by parsing the raw request.
var errUnvalidated = errors.New("demo: the route's validator is missing: the handler has no validated input")

// itemID returns the {id} the ID validator checked and coerced.
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

// badParam is the 422 for one value, in the body or a parameter.
func badParam(in, pointer, detail string) *apierrors.Problem {
	return apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed,
		"The request does not match its schema.").WithErrors(apierrors.FieldError{In: in, Pointer: pointer, Detail: detail})
}

// WriteJSON writes v as the JSON body of a response with status, or a 500
// problem if v cannot be encoded (nothing is sent before it is).
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apierrors.Write(w, r, apierrors.Internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client is gone; there is no one to tell.
	_, _ = w.Write(append(b, '\n'))
}
