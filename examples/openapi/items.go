package main

// items.go is the API's handlers: an in-memory store of items. They read
// only what the contract checked (validate.Query, validate.PathParams,
// validate.Decode), so none of them parses or bounds input itself. Replace
// the store with your own.

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
)

// item is the API's resource. Owner is the store's own: the document's
// Item schema has no owner, and json:"-" keeps it out of responses (were
// it sent, the contract's response check would refuse the response).
type item struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags,omitempty"`
	Owner string   `json:"-"`
}

// newItem is a createItem body, the document's NewItem.
type newItem struct {
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags"`
}

// itemStore is an in-memory store of items, safe for concurrent use; it
// starts with item 1, owned by "demo-user".
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

// status serves getStatus.
func status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// list serves listItems: the caller's items with every tag asked for,
// limit of them after cursor.
func (s *itemStore) list(w http.ResponseWriter, r *http.Request) {
	q, _ := validate.Query(r.Context())
	limit, ok := q.Int64("limit")
	if !ok {
		limit = 20 // the document's default
	}
	var after int64
	if c, ok := q["cursor"].(string); ok {
		after, _ = strconv.ParseInt(c, 10, 64) // the document's pattern: 1 to 18 digits
	}
	var tags []string
	if ts, ok := q["tag"].([]any); ok {
		for _, t := range ts {
			tags = append(tags, t.(string))
		}
	}
	out, next, more := s.page(subject(r), tags, after, int(limit))
	resp := map[string]any{"items": out}
	if more {
		resp["next_cursor"] = strconv.FormatInt(next, 10)
	}
	writeJSON(w, r, http.StatusOK, resp)
}

// page returns up to limit of owner's items that carry every tag, with
// IDs above after, and, if more follow, the cursor of the next page.
func (s *itemStore) page(owner string, tags []string, after int64, limit int) (out []item, next int64, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out = []item{}
	for id := after + 1; id < s.nextID; id++ {
		it, ok := s.items[id]
		if !ok || it.Owner != owner || !hasAll(it.Tags, tags) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID, true
		}
		out = append(out, it)
	}
	return out, 0, false
}

func hasAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

// create serves createItem; the caller owns the new item.
func (s *itemStore) create(w http.ResponseWriter, r *http.Request) {
	in, err := validate.Decode[newItem](r.Context())
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	it := s.add(item{Name: in.Name, Price: in.Price, Tags: in.Tags, Owner: subject(r)})
	w.Header().Set("Location", "/v1/items/"+strconv.FormatInt(it.ID, 10))
	writeJSON(w, r, http.StatusCreated, it)
}

// get serves getItem, after the item-owner rule has let the caller in.
func (s *itemStore) get(w http.ResponseWriter, r *http.Request) {
	if it, ok := s.lookup(itemID(r)); ok {
		writeJSON(w, r, http.StatusOK, it)
		return
	}
	apierrors.Write(w, r, notFound())
}

// price serves the deprecated getItemPrice.
func (s *itemStore) price(w http.ResponseWriter, r *http.Request) {
	if it, ok := s.lookup(itemID(r)); ok {
		writeJSON(w, r, http.StatusOK, map[string]float64{"price": it.Price})
		return
	}
	apierrors.Write(w, r, notFound())
}

// remove serves deleteItem.
func (s *itemStore) remove(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := itemID(r)
	if _, ok := s.items[id]; !ok {
		apierrors.Write(w, r, notFound())
		return
	}
	delete(s.items, id)
	w.WriteHeader(http.StatusNoContent)
}

// ownerOf is the authz.Owner resolver behind the document's
// x-apishield-owner "item-owner". The contract runs it after the path
// parameters are checked, so {id} is an integer of the document's range.
func (s *itemStore) ownerOf(r *http.Request) (string, error) {
	it, ok := s.lookup(itemID(r))
	if !ok {
		return "", notFound()
	}
	return it.Owner, nil
}

func (s *itemStore) add(it item) item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.ID = s.nextID
	s.items[it.ID] = it
	s.nextID++
	return it
}

func (s *itemStore) lookup(id int64) (item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	return it, ok
}

// itemID returns the {id} the contract checked: 0, which no item has,
// if the route was reached without it (a wiring mistake).
func itemID(r *http.Request) int64 {
	p, _ := validate.PathParams(r.Context())
	id, _ := p.Int64("id")
	return id
}

// subject is the caller: the contract lets no anonymous request reach a
// handler that calls this.
func subject(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return p.Subject
	}
	return ""
}

func notFound() *apierrors.Problem {
	return apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
}

// writeJSON writes v as the JSON body of a response with status, or a 500
// problem if v cannot be encoded (nothing is sent before it is).
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apierrors.Write(w, r, apierrors.Internal(errors.Join(errors.New("items: encode response"), err)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n')) // a failed write means the client is gone
}
