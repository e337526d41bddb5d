package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
	"github.com/gorilla/mux"
)

// item is the gorilla example's resource.
type item struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags,omitempty"`
	Owner string   `json:"owner,omitempty"`
}

// itemStore is an in-memory store, safe for concurrent use.
type itemStore struct {
	mu     sync.Mutex
	items  map[int]item
	nextID int
}

func newItemStore() *itemStore {
	return &itemStore{
		items:  map[int]item{1: {ID: 1, Name: "sample", Price: 9.5, Tags: []string{"demo"}, Owner: "demo-user"}},
		nextID: 2,
	}
}

// list pages through the caller's own items: limit (1–100, default 20)
// items after the cursor, an item ID; both are validated and coerced by the
// validator. Only the caller's items: a list must not expose what the
// object-level check on GET /v1/items/{id} protects.
func (s *itemStore) list(w http.ResponseWriter, r *http.Request) {
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
	out := make([]item, 0, min(limit, len(s.items)))
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
	writeJSON(w, http.StatusOK, resp)
}

func (s *itemStore) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(mux.Vars(r)["id"])
	s.mu.Lock()
	it, ok := s.items[id]
	s.mu.Unlock()
	if err != nil || !ok {
		apierrors.Write(w, r, apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID."))
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// create adds an item. The validator in front of it (see schemas.go) has
// already refused anything that is not a valid new item, so the handler
// only reads the body it decoded.
func (s *itemStore) create(w http.ResponseWriter, r *http.Request) {
	body, _ := validate.Body(r.Context())
	in := itemInput(body)
	it := item{Name: in.Name, Price: in.Price, Tags: in.Tags}
	if p, ok := auth.FromContext(r.Context()); ok {
		it.Owner = p.Subject // the creator owns the item
	}
	s.mu.Lock()
	it.ID = s.nextID
	s.items[it.ID] = it
	s.nextID++
	s.mu.Unlock()
	w.Header().Set("Location", "/v1/items/"+strconv.Itoa(it.ID))
	writeJSON(w, http.StatusCreated, it)
}

// ownerOf is the authz.Owner resolver of GET /v1/items/{id}: the owner of
// the item the path names, or the same 404 the handler would send.
func (s *itemStore) ownerOf(r *http.Request) (string, error) {
	id, err := strconv.Atoi(mux.Vars(r)["id"])
	s.mu.Lock()
	it, ok := s.items[id]
	s.mu.Unlock()
	if err != nil || !ok {
		return "", apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
	}
	return it.Owner, nil
}

// delete removes an item; the policy lets only a stepped-up admin here.
func (s *itemStore) delete(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(mux.Vars(r)["id"])
	s.mu.Lock()
	_, ok := s.items[id]
	delete(s.items, id)
	s.mu.Unlock()
	if err != nil || !ok {
		apierrors.Write(w, r, apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID."))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
