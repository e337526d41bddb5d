package audit

import (
	"bytes"
	"errors"
	"github.com/apishield/apishield/internal/jsonnum"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxCanonDepth bounds the nesting Verify will follow in a line.
const maxCanonDepth = 64

var errSyntax = errors.New("not a JSON object")

// canonicalLine parses one JSON object (a log line) and returns the bytes
// the chain's HMAC covers: the object with members sorted by key, no
// whitespace, strings escaped one way and numbers as written; without
// slog's "time" string (the event's own @timestamp or time is covered);
// with the handler's level under "log.level" in lower case and its message
// under "message", so lines from NewJSONHandler and from slog's own JSON
// handler verify alike; without any top-level level in an OCSF line that
// carries metadata.log_level (one with a top-level class_uid), where
// NewJSONHandler writes none and the level is covered as
// metadata.log_level (older OCSF lines, without it, keep theirs and still
// verify); and without the chain's hmac, which it returns in chainFields
// with the rest of the chain group.
//
// It is a small parser rather than encoding/json into a map because it runs
// for every chained event on the writer: it builds everything in one
// scratch buffer, which a reused parser keeps, so a steady stream of lines
// costs few allocations.
func canonicalLine(b []byte) ([]byte, chainFields, error) {
	var p canonParser
	return p.line(b)
}

func (p *canonParser) line(b []byte) ([]byte, chainFields, error) {
	return p.parse(b, false)
}

// sealLine is line for the writer sealing a line it encoded: it needs the
// canonical form only, so the chain fields are checked but not copied out
// into strings.
func (p *canonParser) sealLine(b []byte) ([]byte, error) {
	canon, _, err := p.parse(b, true)
	return canon, err
}

func (p *canonParser) parse(b []byte, sealing bool) ([]byte, chainFields, error) {
	*p = canonParser{s: b, scratch: p.scratch[:0], members: p.members[:0], elems: p.elems[:0], sealing: sealing}
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return nil, p.cf, errSyntax
	}
	v, err := p.value(0, ctxTop)
	if err != nil {
		return nil, p.cf, err
	}
	if p.ws(); p.i != len(p.s) {
		return nil, p.cf, errors.New("more than one JSON value on the line")
	}
	if !p.chain {
		return nil, p.cf, errors.New("no chain fields")
	}
	if !p.hasID || !p.hasSeq || !p.hasPrev {
		return nil, p.cf, errors.New("malformed chain fields")
	}
	return p.scratch[v.q0:v.q1], p.cf, nil
}

type canonCtx int

const (
	ctxTop canonCtx = iota
	ctxNamespace
	ctxChain
	ctxMeta // an OCSF line's metadata
	ctxOther
)

type canonParser struct {
	s               []byte
	i               int
	scratch         []byte   // every decoded key and string, every canonical value
	members         []member // a stack: the members of the objects being parsed
	elems           []span   // a stack: the elements of the arrays being parsed
	cf              chainFields
	chain           bool
	hasSeq, hasPrev bool
	hasID           bool // a chain ID that is not empty
	sealing         bool // sealLine: cf is left empty
	ocsf            bool // the line has a top-level class_uid
	metaLevel       bool // and metadata.log_level
}

// span is a parsed value: its canonical form scratch[q0:q1] and, for a
// string, its decoded text scratch[d0:d1].
type span struct {
	q0, q1, d0, d1 int
	isStr          bool
}

type member struct {
	k0, k1 int // decoded key in scratch
	v      span
}

func (p *canonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value parses the value at p.i and appends its canonical form to scratch.
func (p *canonParser) value(depth int, ctx canonCtx) (span, error) {
	if depth > maxCanonDepth {
		return span{}, errors.New("nested too deeply")
	}
	p.ws()
	if p.i >= len(p.s) {
		return span{}, errSyntax
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth, ctx)
	case c == '[':
		return p.array(depth)
	case c == '"':
		d0, d1, err := p.str()
		if err != nil {
			return span{}, err
		}
		q0 := len(p.scratch)
		p.scratch = appendQuoted(p.scratch, p.scratch[d0:d1])
		return span{q0: q0, q1: len(p.scratch), d0: d0, d1: d1, isStr: true}, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(p.s[p.i:], []byte(lit)) {
				p.i += len(lit)
				q0 := len(p.scratch)
				p.scratch = append(p.scratch, lit...)
				return span{q0: q0, q1: len(p.scratch)}, nil
			}
		}
		return span{}, errSyntax
	default:
		start := p.i
		if !p.number() {
			return span{}, errSyntax
		}
		q0 := len(p.scratch)
		p.scratch = append(p.scratch, p.s[start:p.i]...)
		return span{q0: q0, q1: len(p.scratch)}, nil
	}
}

func (p *canonParser) array(depth int) (span, error) {
	p.i++ // [
	base := len(p.elems)
	defer func() { p.elems = p.elems[:base] }()
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
	} else {
		for {
			v, err := p.value(depth+1, ctxOther)
			if err != nil {
				return span{}, err
			}
			p.elems = append(p.elems, v)
			p.ws()
			if p.i >= len(p.s) {
				return span{}, errSyntax
			}
			if p.s[p.i] == ']' {
				p.i++
				break
			}
			if p.s[p.i] != ',' {
				return span{}, errSyntax
			}
			p.i++
		}
	}
	q0 := len(p.scratch)
	p.scratch = append(p.scratch, '[')
	for i, v := range p.elems[base:] {
		if i > 0 {
			p.scratch = append(p.scratch, ',')
		}
		p.scratch = append(p.scratch, p.scratch[v.q0:v.q1]...)
	}
	p.scratch = append(p.scratch, ']')
	return span{q0: q0, q1: len(p.scratch)}, nil
}

// key appends a literal key to scratch and returns its bounds.
func (p *canonParser) key(k string) (int, int) {
	k0 := len(p.scratch)
	p.scratch = append(p.scratch, k...)
	return k0, len(p.scratch)
}

func (p *canonParser) object(depth int, ctx canonCtx) (span, error) {
	p.i++ // {
	base := len(p.members)
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
	} else {
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return span{}, errSyntax
			}
			k0, k1, err := p.str()
			if err != nil {
				return span{}, err
			}
			if p.ws(); p.i >= len(p.s) || p.s[p.i] != ':' {
				return span{}, errSyntax
			}
			p.i++
			key := p.scratch[k0:k1]
			child := ctxOther
			switch {
			case ctx == ctxTop && (string(key) == "apishield" || string(key) == "unmapped"):
				child = ctxNamespace
			case ctx == ctxNamespace && string(key) == "chain":
				child = ctxChain
				p.chain = true
			case ctx == ctxTop && string(key) == "metadata":
				child = ctxMeta
			case ctx == ctxMeta && string(key) == "log_level":
				p.metaLevel = true
			}
			p.ws()
			start := p.i
			v, err := p.value(depth+1, child)
			if err != nil {
				return span{}, err
			}
			key = p.scratch[k0:k1] // scratch may have grown
			m := member{k0: k0, k1: k1, v: v}
			drop := false
			if ctx == ctxChain {
				switch string(key) {
				case "id":
					p.hasID = v.d1 > v.d0
					if !p.sealing {
						p.cf.id = string(p.scratch[v.d0:v.d1])
					}
				case "prev_hash":
					p.hasPrev = v.isStr
					if !p.sealing {
						p.cf.prev = string(p.scratch[v.d0:v.d1])
					}
				case "seq":
					n, err := strconv.ParseUint(string(p.s[start:p.i]), 10, 64)
					if err != nil {
						return span{}, errors.New("malformed chain sequence number")
					}
					p.cf.seq, p.hasSeq = n, true
				case "hmac":
					if !p.sealing {
						p.cf.hmac = string(p.scratch[v.d0:v.d1])
					}
					drop = true // the HMAC does not cover itself
				}
			}
			if ctx == ctxTop {
				switch string(key) {
				case "time":
					drop = v.isStr // slog's own time, not OCSF's number
				case "level", "log.level":
					if v.isStr {
						m.k0, m.k1 = p.key("log.level")
						lower := lowerLevel(p.scratch[v.d0:v.d1])
						q0 := len(p.scratch)
						p.scratch = appendQuoted(p.scratch, lower)
						m.v = span{q0: q0, q1: len(p.scratch)}
					}
				case "msg":
					m.k0, m.k1 = p.key("message")
				case "class_uid":
					p.ocsf = true
				}
			}
			if !drop {
				p.members = append(p.members, m)
			}
			p.ws()
			if p.i >= len(p.s) {
				return span{}, errSyntax
			}
			if p.s[p.i] == '}' {
				p.i++
				break
			}
			if p.s[p.i] != ',' {
				return span{}, errSyntax
			}
			p.i++
		}
	}
	members := p.members[base:]
	if ctx == ctxTop && p.ocsf && p.metaLevel {
		members = slices.DeleteFunc(members, func(m member) bool {
			return string(p.scratch[m.k0:m.k1]) == "log.level"
		})
	}
	slices.SortFunc(members, func(a, b member) int {
		return bytes.Compare(p.scratch[a.k0:a.k1], p.scratch[b.k0:b.k1])
	})
	q0 := len(p.scratch)
	p.scratch = append(p.scratch, '{')
	for i, m := range members {
		if i > 0 {
			if prev := members[i-1]; bytes.Equal(p.scratch[prev.k0:prev.k1], p.scratch[m.k0:m.k1]) {
				return span{}, errors.New("duplicate key " + strconv.Quote(string(p.scratch[m.k0:m.k1])))
			}
			p.scratch = append(p.scratch, ',')
		}
		p.scratch = appendQuoted(p.scratch, p.scratch[m.k0:m.k1])
		p.scratch = append(p.scratch, ':')
		p.scratch = append(p.scratch, p.scratch[m.v.q0:m.v.q1]...)
	}
	p.scratch = append(p.scratch, '}')
	p.members = p.members[:base]
	return span{q0: q0, q1: len(p.scratch)}, nil
}

// str decodes the JSON string at p.i into scratch and returns its bounds.
// Invalid UTF-8 and lone surrogates become U+FFFD, as encoding/json decodes
// them.
func (p *canonParser) str() (int, int, error) {
	p.i++ // "
	d0 := len(p.scratch)
	start := p.i
	for p.i < len(p.s) { // fast path: no escapes
		c := p.s[p.i]
		if c == '"' {
			p.scratch = appendValidUTF8(p.scratch, p.s[start:p.i])
			p.i++
			return d0, len(p.scratch), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	raw := append([]byte(nil), p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			p.scratch = appendValidUTF8(p.scratch, raw)
			return d0, len(p.scratch), nil
		case c < 0x20:
			return 0, 0, errSyntax
		case c != '\\':
			raw = append(raw, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return 0, 0, errSyntax
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			raw = append(raw, e)
		case 'b':
			raw = append(raw, '\b')
		case 'f':
			raw = append(raw, '\f')
		case 'n':
			raw = append(raw, '\n')
		case 'r':
			raw = append(raw, '\r')
		case 't':
			raw = append(raw, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return 0, 0, errSyntax
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					var ok2 bool
					if r2, ok2 = p.hex4(); !ok2 {
						return 0, 0, errSyntax
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
					} else {
						p.i = save // not a pair: the second escape stands alone
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			raw = utf8.AppendRune(raw, r)
		default:
			return 0, 0, errSyntax
		}
	}
	return 0, 0, errSyntax
}

// appendValidUTF8 appends b with each invalid byte replaced by U+FFFD, as
// encoding/json decodes it.
func appendValidUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		dst = utf8.AppendRune(dst, r) // RuneError for an invalid byte
		b = b[size:]
	}
	return dst
}

func (p *canonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range p.s[p.i : p.i+4] {
		v := unhex(c)
		if v < 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	p.i += 4
	return r, true
}

// number consumes a JSON number.
func (p *canonParser) number() bool {
	end, _, ok := jsonnum.Scan(p.s, p.i)
	if ok {
		p.i = end
	}
	return ok
}

// appendQuoted appends s as a JSON string: quotes, backslashes and control
// characters escaped, everything else as is.
// lowerLevel is bytes.ToLower for a level name, which is short ASCII in
// place: lowered where it is, without the copy bytes.ToLower makes.
func lowerLevel(b []byte) []byte {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return bytes.ToLower(b)
		}
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return b
}

func appendQuoted(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
