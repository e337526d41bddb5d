package oasparam

import (
	"net/http"
	"strings"
)

// entry is one occurrence of a parameter's key: the property it carries
// (exploded objects and deepObject) and its raw value.
type entry struct {
	prop string
	raw  string
}

// Query decodes the query parameters from a raw query string (the part
// after '?', still encoded). Pairs are separated by '&'; keys and values
// are percent-decoded with '+' as a space, as the form encoding says.
// Keys no parameter declares are skipped. An optional parameter that is
// absent has no entry in the result.
func (ps *Params) Query(rawQuery string) (map[string]any, error) {
	if strings.Count(rawQuery, "&") >= ps.lim.MaxPairs {
		return nil, &Error{In: InQuery, Detail: "the query string has too many parameters", kind: ErrLimit}
	}
	// The entries are collected in one slice, then grouped by parameter
	// with a counting sort: two allocations however many keys repeat.
	var buf [32]qentry
	es := buf[:0]
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" {
			continue
		}
		rawKey, raw, _ := strings.Cut(pair, "=")
		if len(rawKey) > ps.lim.MaxKeyLength {
			return nil, &Error{In: InQuery, Detail: "the query string has a parameter name that is too long", kind: ErrLimit}
		}
		key, ok := unescape(rawKey, true)
		if !ok {
			return nil, &Error{In: InQuery, Detail: "the query string is not correctly percent-encoded", kind: ErrMalformed}
		}
		idx, prop := -1, ""
		if c, ok := ps.queryKeys[key]; ok {
			idx, prop = c.idx, c.prop
		} else if i := strings.IndexByte(key, '['); i > 0 {
			if j, ok := ps.deep[key[:i]]; ok {
				idx = j
				d := ps.query[j]
				prop, ok = strings.CutSuffix(key[i+1:], "]")
				if !ok || prop == "" || strings.ContainsAny(prop, "[]") {
					return nil, d.fail(ErrMalformed, "must be written %s[property]=value", d.Name)
				}
			}
		}
		if idx < 0 {
			continue
		}
		if len(raw) > ps.lim.MaxValueLength {
			return nil, ps.query[idx].fail(ErrLimit, "is longer than %d bytes", ps.lim.MaxValueLength)
		}
		es = append(es, qentry{idx: idx, entry: entry{prop: prop, raw: raw}})
	}
	return ps.finish(ps.query, es, escForm)
}

// qentry is an entry with the index of its parameter.
type qentry struct {
	idx int
	entry
}

// finish groups the entries by parameter and decodes each parameter of
// list.
func (ps *Params) finish(list []*decoder, es []qentry, esc escaping) (map[string]any, error) {
	var startBuf [17]int
	start := startBuf[:0]
	if len(list)+1 > len(startBuf) {
		start = make([]int, 0, len(list)+1)
	}
	start = start[:len(list)+1]
	for _, e := range es {
		start[e.idx+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	sorted := make([]entry, len(es))
	var fillBuf [16]int
	fill := fillBuf[:0]
	if len(list) > len(fillBuf) {
		fill = make([]int, 0, len(list))
	}
	fill = append(fill, start[:len(list)]...)
	for _, e := range es {
		sorted[fill[e.idx]] = e.entry
		fill[e.idx]++
	}
	out := make(map[string]any, len(list))
	for i, d := range list {
		group := sorted[start[i]:start[i+1]]
		if len(group) == 0 {
			if d.Required {
				return nil, d.fail(ErrMissing, "is missing")
			}
			continue
		}
		v, err := d.form(group, esc)
		if err != nil {
			return nil, err
		}
		out[d.Name] = v
	}
	return out, nil
}

// form decodes the entries of a query parameter or cookie: form,
// spaceDelimited, pipeDelimited or deepObject.
func (d *decoder) form(es []entry, esc escaping) (any, *Error) {
	if d.Style == StyleDeepObject || (d.Shape == ShapeObject && d.explode) {
		obj := make(map[string]any, len(es))
		for _, e := range es {
			if err := d.set(obj, e.prop, e.raw, esc); err != nil {
				return nil, err
			}
		}
		return obj, nil
	}
	if d.Shape == ShapeArray && d.explode {
		raws := make([]string, len(es))
		for i, e := range es {
			raws[i] = e.raw
		}
		return d.items(raws, esc)
	}
	if len(es) != 1 {
		return nil, d.fail(ErrMalformed, "must be sent once")
	}
	raw := es[0].raw
	switch d.Style {
	case StyleSpaceDelimited, StylePipeDelimited:
		// The delimiter is commonly percent-encoded by clients, so the
		// value is decoded whole and then split: an item cannot hold it.
		s, err := d.text(raw, esc)
		if err != nil {
			return nil, err
		}
		sep := " "
		if d.Style == StylePipeDelimited {
			sep = "|"
		}
		return d.delimited(s, sep, escDone)
	}
	// form: a comma is a delimiter, "%2C" a comma inside an item.
	return d.delimited(raw, ",", esc)
}

// Cookie decodes the cookie parameters from the Cookie header lines of h.
// Cookie values are percent-decoded, as the form style says. Cookies no
// parameter declares are skipped. An optional cookie that is absent has
// no entry in the result.
func (ps *Params) Cookie(h http.Header) (map[string]any, error) {
	if len(ps.cookie) == 0 {
		return map[string]any{}, nil
	}
	lines := h["Cookie"]
	n := 0
	for _, l := range lines {
		n += strings.Count(l, ";") + 1
	}
	if n > ps.lim.MaxPairs {
		return nil, &Error{In: InCookie, Detail: "the Cookie header has too many cookies", kind: ErrLimit}
	}
	var buf [8]qentry
	es := buf[:0]
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.Trim(part, " \t")
			if part == "" {
				continue
			}
			name, raw, _ := strings.Cut(part, "=")
			// net/http trims blanks around a name ("sid =7" is sid's, for
			// r.Cookie): so does the decoder, or the value goes unchecked.
			name = strings.Trim(name, " \t")
			if len(name) > ps.lim.MaxKeyLength {
				return nil, &Error{In: InCookie, Detail: "the Cookie header has a cookie name that is too long", kind: ErrLimit}
			}
			c, ok := ps.cookieKeys[name]
			if !ok {
				continue
			}
			if len(raw) > ps.lim.MaxValueLength {
				return nil, ps.cookie[c.idx].fail(ErrLimit, "is longer than %d bytes", ps.lim.MaxValueLength)
			}
			// RFC 6265 §4.1.1 allows a value in double quotes.
			if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
				raw = raw[1 : len(raw)-1]
			}
			es = append(es, qentry{idx: c.idx, entry: entry{prop: c.prop, raw: raw}})
		}
	}
	return ps.finish(ps.cookie, es, escPercent)
}
