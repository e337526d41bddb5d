package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// item is the quickstart's resource.
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

// list returns the caller's own items: a list must not expose what the
// object-level check on GET /v1/items/{id} protects.
func (s *itemStore) list(w http.ResponseWriter, r *http.Request) {
	var subject string
	if p, ok := auth.FromContext(r.Context()); ok {
		subject = p.Subject
	}
	s.mu.Lock()
	out := make([]item, 0, len(s.items))
	for id := 1; id < s.nextID; id++ {
		if it, ok := s.items[id]; ok && it.Owner == subject {
			out = append(out, it)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *itemStore) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	it, ok := s.items[id]
	s.mu.Unlock()
	if err != nil || !ok {
		apierrors.Write(w, r, apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID."))
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// maxBody bounds what create reads before it parses anything.
const maxBody = 64 << 10

func (s *itemStore) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name  string   `json:"name"`
		Price float64  `json:"price"`
		Tags  []string `json:"tags"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			apierrors.Write(w, r, err)
			return
		}
		apierrors.Write(w, r, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest, "The body is not a valid item.").WithCause(err))
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		apierrors.Write(w, r, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest, "The body holds more than one JSON value."))
		return
	}
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
	id, err := strconv.Atoi(r.PathValue("id"))
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
	id, err := strconv.Atoi(r.PathValue("id"))
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
