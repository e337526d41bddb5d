// Package demo is the resource every example server serves: an in-memory
// store of items, its handlers, and the validators of its requests. The
// examples differ in how they route and secure it, not in what it is, so it
// is written once; each example passes the one thing its router changes, how
// a handler reads the {id} path parameter.
//
// It is example code: a store in memory, lost on restart.
package demo

import (
	"encoding/json"
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
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags,omitempty"`
	Owner string   `json:"owner,omitempty"`
}

// Store is an in-memory store of items with its handlers, safe for
// concurrent use. It starts with item 1, owned by "demo-user".
type Store struct {
	param ParamFunc

	mu     sync.Mutex
	items  map[int]Item
	nextID int
}

// NewStore returns a store whose handlers read {id} with param.
func NewStore(param ParamFunc) *Store {
	return &Store{
		param:  orPathValue(param),
		items:  map[int]Item{1: {ID: 1, Name: "sample", Price: 9.5, Tags: []string{"demo"}, Owner: "demo-user"}},
		nextID: 2,
	}
}

func orPathValue(param ParamFunc) ParamFunc {
	if param == nil {
		return func(r *http.Request, name string) string { return r.PathValue(name) }
	}
	return param
}

// List serves GET /v1/items: the caller's own items, limit (1–100, default
// 20) of them after the cursor, an item ID; both are validated and coerced
// by the List validator. Only the caller's items: a list must not expose
// what the object-level check on GET /v1/items/{id} protects.
func (s *Store) List(w http.ResponseWriter, r *http.Request) {
	var subject string
	if p, ok := auth.FromContext(r.Context()); ok {
		subject = p.Subject
	}
	limit, after := 20, 0
	if q, ok := validate.Query(r.Context()); ok {
		if n, ok := q["limit"].(json.Number); ok {
			v, _ := n.Int64()
			limit = int(v)
		}
		if c, ok := q["cursor"].(string); ok {
			after, _ = strconv.Atoi(c)
		}
	}
	s.mu.Lock()
	out := make([]Item, 0, min(limit, len(s.items)))
	next := ""
	for id := after + 1; id < s.nextID; id++ {
		it, ok := s.items[id]
		if !ok || it.Owner != subject {
			continue
		}
		if len(out) == limit {
			next = strconv.Itoa(out[len(out)-1].ID)
			break
		}
		out = append(out, it)
	}
	s.mu.Unlock()
	resp := map[string]any{"items": out}
	if next != "" {
		resp["next_cursor"] = next
	}
	WriteJSON(w, http.StatusOK, resp)
}

// Get serves GET /v1/items/{id}.
func (s *Store) Get(w http.ResponseWriter, r *http.Request) {
	it, ok := s.lookup(s.param, r)
	if !ok {
		apierrors.Write(w, r, notFound())
		return
	}
	WriteJSON(w, http.StatusOK, it)
}

// Create serves POST /v1/items. The Create validator in front of it has
// already refused anything that is not a valid new item, so the handler
// only reads the body it decoded. The caller owns the new item.
func (s *Store) Create(w http.ResponseWriter, r *http.Request) {
	body, _ := validate.Body(r.Context())
	it := newItem(body)
	if p, ok := auth.FromContext(r.Context()); ok {
		it.Owner = p.Subject
	}
	s.mu.Lock()
	it.ID = s.nextID
	s.items[it.ID] = it
	s.nextID++
	s.mu.Unlock()
	w.Header().Set("Location", "/v1/items/"+strconv.Itoa(it.ID))
	WriteJSON(w, http.StatusCreated, it)
}

// Delete serves DELETE /v1/admin/items/{id}; the examples' policies let
// only a stepped-up admin here.
func (s *Store) Delete(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(s.param(r, "id"))
	s.mu.Lock()
	_, ok := s.items[id]
	delete(s.items, id)
	s.mu.Unlock()
	if err != nil || !ok {
		apierrors.Write(w, r, notFound())
		return
	}
	WriteJSON(w, http.StatusOK, map[string]int{"deleted": id})
}

// OwnerOf returns the authz.Owner resolver of GET /v1/items/{id}: the owner
// of the item the path names, or the same 404 Get would send. param reads
// {id} where the policy runs, which may be before the router has run (with
// chi, the policy matches the route itself and sets r.PathValue).
func (s *Store) OwnerOf(param ParamFunc) func(*http.Request) (string, error) {
	param = orPathValue(param)
	return func(r *http.Request) (string, error) {
		it, ok := s.lookup(param, r)
		if !ok {
			return "", notFound()
		}
		return it.Owner, nil
	}
}

func notFound() *apierrors.Problem {
	return apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
}

func (s *Store) lookup(param ParamFunc, r *http.Request) (Item, bool) {
	id, err := strconv.Atoi(param(r, "id"))
	if err != nil {
		return Item{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	return it, ok
}

// WriteJSON writes v as the JSON body of a response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
