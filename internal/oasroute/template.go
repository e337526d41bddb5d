package oasroute

import (
	"errors"
	"strings"
)

// segKind says how one segment of a path template matches.
type segKind uint8

const (
	segLiteral segKind = iota // "items": the segment itself, byte for byte
	segParam                  // "{id}": any non-empty segment
	segMixed                  // "{name}.{format}": literals around parameters
)

// A segment is one parsed segment of a path template.
type segment struct {
	kind segKind
	// lit is the literal text of a segLiteral segment, and for a segMixed
	// segment its shape: the literals with "{}" for each parameter, which
	// is the same for every template that matches the same segments.
	lit string
	// parts is a segMixed segment's literals and parameters in order: a
	// parameter is an empty string, a literal its text. No two
	// parameters are adjacent.
	parts []string
	// names are the parameter names of the segment, left to right.
	names []string
}

// parseTemplate splits an OpenAPI path template into segments. The
// template must start with "/"; each "/" starts a segment, so "/" is one
// empty literal segment and "/items/" ends with one.
func parseTemplate(tmpl string) ([]segment, error) {
	if !strings.HasPrefix(tmpl, "/") {
		return nil, errors.New(`the path does not start with "/"`)
	}
	raw := strings.Split(tmpl[1:], "/")
	segs := make([]segment, 0, len(raw))
	seen := make(map[string]bool)
	for _, r := range raw {
		s, err := parseSegment(r)
		if err != nil {
			return nil, err
		}
		for _, n := range s.names {
			if seen[n] {
				return nil, errors.New("parameter {" + n + "} appears twice")
			}
			seen[n] = true
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// parseSegment parses the text of one template segment (no "/").
func parseSegment(r string) (segment, error) {
	if !strings.ContainsAny(r, "{}") {
		if err := checkLiteral(r); err != nil {
			return segment{}, err
		}
		return segment{kind: segLiteral, lit: literal(r)}, nil
	}
	var s segment
	var shape strings.Builder
	for r != "" {
		open := strings.IndexAny(r, "{}")
		if open < 0 {
			open = len(r)
		} else if r[open] == '}' {
			return segment{}, errors.New(`"}" without "{"`)
		}
		if open > 0 {
			lit := r[:open]
			if err := checkLiteral(lit); err != nil {
				return segment{}, err
			}
			lit = literal(lit)
			s.parts = append(s.parts, lit)
			shape.WriteString(lit)
			r = r[open:]
			continue
		}
		end := strings.IndexAny(r[1:], "{}")
		if end < 0 {
			return segment{}, errors.New(`"{" without "}"`)
		}
		end++
		if r[end] == '{' {
			return segment{}, errors.New(`"{" inside a parameter name`)
		}
		name := r[1:end]
		if name == "" {
			return segment{}, errors.New("empty parameter name")
		}
		if n := len(s.parts); n > 0 && s.parts[n-1] == "" {
			return segment{}, errors.New("parameters {" + s.names[len(s.names)-1] + "} and {" + name +
				"} are adjacent, so no request can be split between them")
		}
		s.parts = append(s.parts, "")
		s.names = append(s.names, name)
		shape.WriteString("{}")
		r = r[end+1:]
	}
	if len(s.parts) == 1 {
		return segment{kind: segParam, names: s.names}, nil
	}
	s.kind = segMixed
	s.lit = shape.String()
	return s, nil
}

// checkLiteral refuses literal template text that a request's escaped
// path could not contain as it is (RFC 3986 pchar; percent-encodings as
// they are). Literals are then compared decoded (see literal), so a
// template and a request may spell one either way.
func checkLiteral(lit string) error {
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c == '%' {
			if i+2 >= len(lit) || !isHex(lit[i+1]) || !isHex(lit[i+2]) {
				return errors.New("a \"%\" in the literal " + quote(lit) + " is not a percent-encoding")
			}
			continue
		}
		if !isPchar(c) {
			return errors.New("the literal " + quote(lit) + " holds a character a request path cannot carry unescaped")
		}
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isPchar reports whether c is an RFC 3986 pchar other than '%':
// unreserved, sub-delims, ':' or '@'.
func isPchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}

// match matches a segMixed segment against the request segment seg, left
// to right: each parameter takes the shortest non-empty text before the
// literal that follows it, and the last literal must end the segment. It
// appends the parameter values to ps.
func (s *segment) match(seg string, ps []Param) ([]Param, bool) {
	parts := s.parts
	for i, p := range parts {
		if p != "" {
			if !strings.HasPrefix(seg, p) {
				return ps, false
			}
			seg = seg[len(p):]
			continue
		}
		if seg == "" {
			return ps, false
		}
		if i == len(parts)-1 {
			return append(ps, Param{Value: seg}), true
		}
		next := parts[i+1]
		var end int
		if i+1 == len(parts)-1 {
			// The last literal ends the segment.
			end = len(seg) - len(next)
			if end < 1 || seg[end:] != next {
				return ps, false
			}
		} else {
			j := strings.Index(seg[1:], next)
			if j < 0 {
				return ps, false
			}
			end = j + 1
		}
		ps = append(ps, Param{Value: seg[:end]})
		seg = seg[end:]
	}
	return ps, seg == ""
}

// overlap reports whether some request segment matches both mixed
// segments a and b. Each is read as a pattern of literal bytes and
// parameters, a parameter being one byte followed by any number; the
// product of the two patterns' automata is searched for a path to both
// ends.
func overlap(a, b *segment) bool {
	pa, pb := glob(a), glob(b)
	type state struct{ i, j int }
	seen := make(map[state]bool)
	stack := []state{{0, 0}}
	for len(stack) > 0 {
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[st] {
			continue
		}
		seen[st] = true
		i, j := st.i, st.j
		if i == len(pa) && j == len(pb) {
			return true
		}
		// A star may end without consuming.
		if i < len(pa) && pa[i] == star {
			stack = append(stack, state{i + 1, j})
		}
		if j < len(pb) && pb[j] == star {
			stack = append(stack, state{i, j + 1})
		}
		if i == len(pa) || j == len(pb) {
			continue
		}
		x, y := pa[i], pb[j]
		if x >= 0 && y >= 0 && x != y {
			continue // two different literal bytes
		}
		// Both consume one byte; a star stays where it is.
		ni, nj := i+1, j+1
		if x == star {
			ni = i
		}
		if y == star {
			nj = j
		}
		stack = append(stack, state{ni, nj})
	}
	return false
}

const (
	anyByte = -1 // one byte, whatever it is
	star    = -2 // any number of bytes
)

// glob spells a mixed segment as a pattern: literal bytes, and anyByte
// followed by star for each parameter (one byte or more).
func glob(s *segment) []int {
	var g []int
	for _, p := range s.parts {
		if p == "" {
			g = append(g, anyByte, star)
			continue
		}
		for i := 0; i < len(p); i++ {
			g = append(g, int(p[i]))
		}
	}
	return g
}
