package audit

import (
	"bytes"
	"errors"
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
// handler verify alike; and without the chain's hmac, which it returns in
// chainFields with the rest of the chain group.
//
// It is a small parser rather than encoding/json into a map because it runs
// for every chained event on the writer, and the map costs five times more.
func canonicalLine(b []byte) ([]byte, chainFields, error) {
	p := canonParser{s: b}
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return nil, p.cf, errSyntax
	}
	out, _, err := p.value(make([]byte, 0, len(b)), 0, ctxTop)
	if err != nil {
		return nil, p.cf, err
	}
	if p.ws(); p.i != len(p.s) {
		return nil, p.cf, errors.New("more than one JSON value on the line")
	}
	if !p.chain {
		return nil, p.cf, errors.New("no chain fields")
	}
	if p.cf.id == "" || !p.hasSeq || !p.hasPrev {
		return nil, p.cf, errors.New("malformed chain fields")
	}
	return out, p.cf, nil
}

type canonCtx int

const (
	ctxTop canonCtx = iota
	ctxNamespace
	ctxChain
	ctxOther
)

type canonParser struct {
	s               []byte
	i               int
	cf              chainFields
	chain           bool
	hasSeq, hasPrev bool
}

type member struct {
	key   string
	val   []byte
	str   string // the decoded value, when it is a string
	isStr bool
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

// value appends the canonical form of the value at p.i to dst. For a
// string it also returns the decoded string.
func (p *canonParser) value(dst []byte, depth int, ctx canonCtx) ([]byte, *string, error) {
	if depth > maxCanonDepth {
		return nil, nil, errors.New("nested too deeply")
	}
	p.ws()
	if p.i >= len(p.s) {
		return nil, nil, errSyntax
	}
	switch c := p.s[p.i]; {
	case c == '{':
		out, err := p.object(dst, depth, ctx)
		return out, nil, err
	case c == '[':
		p.i++
		dst = append(dst, '[')
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return append(dst, ']'), nil, nil
		}
		for n := 0; ; n++ {
			if n > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, _, err = p.value(dst, depth+1, ctxOther); err != nil {
				return nil, nil, err
			}
			p.ws()
			if p.i >= len(p.s) {
				return nil, nil, errSyntax
			}
			if p.s[p.i] == ']' {
				p.i++
				return append(dst, ']'), nil, nil
			}
			if p.s[p.i] != ',' {
				return nil, nil, errSyntax
			}
			p.i++
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, nil, err
		}
		return appendQuoted(dst, s), &s, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.s[p.i:], []byte(lit)) {
				p.i += len(lit)
				return append(dst, lit...), nil, nil
			}
		}
		return nil, nil, errSyntax
	default:
		start := p.i
		if !p.number() {
			return nil, nil, errSyntax
		}
		return append(dst, p.s[start:p.i]...), nil, nil
	}
}

func (p *canonParser) object(dst []byte, depth int, ctx canonCtx) ([]byte, error) {
	p.i++ // {
	var members []member
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
	} else {
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, errSyntax
			}
			key, err := p.str()
			if err != nil {
				return nil, err
			}
			if p.ws(); p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, errSyntax
			}
			p.i++
			child := ctxOther
			switch {
			case ctx == ctxTop && (key == "apishield" || key == "unmapped"):
				child = ctxNamespace
			case ctx == ctxNamespace && key == "chain":
				child = ctxChain
				p.chain = true
			}
			p.ws()
			start := p.i
			val, s, err := p.value(nil, depth+1, child)
			if err != nil {
				return nil, err
			}
			m := member{key: key, val: val}
			drop := false
			if s != nil {
				m.str, m.isStr = *s, true
			}
			if ctx == ctxChain {
				switch key {
				case "id":
					p.cf.id = m.str
				case "prev_hash":
					p.cf.prev, p.hasPrev = m.str, m.isStr
				case "seq":
					n, err := strconv.ParseUint(string(p.s[start:p.i]), 10, 64)
					if err != nil {
						return nil, errors.New("malformed chain sequence number")
					}
					p.cf.seq, p.hasSeq = n, true
				case "hmac":
					p.cf.hmac = m.str
					drop = true // the HMAC does not cover itself
				}
			}
			if ctx == ctxTop {
				switch key {
				case "time":
					drop = m.isStr // slog's own time, not OCSF's number
				case "level", "log.level":
					if m.isStr {
						m.key = "log.level"
						m.val = appendQuoted(nil, string(bytes.ToLower([]byte(m.str))))
					}
				case "msg":
					m.key = "message"
				}
			}
			if !drop {
				members = append(members, m)
			}
			p.ws()
			if p.i >= len(p.s) {
				return nil, errSyntax
			}
			if p.s[p.i] == '}' {
				p.i++
				break
			}
			if p.s[p.i] != ',' {
				return nil, errSyntax
			}
			p.i++
		}
	}
	slices.SortFunc(members, func(a, b member) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			if members[i-1].key == m.key {
				return nil, errors.New("duplicate key " + strconv.Quote(m.key))
			}
			dst = append(dst, ',')
		}
		dst = appendQuoted(dst, m.key)
		dst = append(dst, ':')
		dst = append(dst, m.val...)
	}
	return append(dst, '}'), nil
}

// str decodes the JSON string at p.i. Invalid UTF-8 and lone surrogates
// become U+FFFD, as encoding/json decodes them.
func (p *canonParser) str() (string, error) {
	p.i++ // "
	start := p.i
	for p.i < len(p.s) { // fast path: no escapes
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return validUTF8(s), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	buf := append([]byte(nil), p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return validUTF8(buf), nil
		case c < 0x20:
			return "", errSyntax
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", errSyntax
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", errSyntax
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					var ok2 bool
					if r2, ok2 = p.hex4(); !ok2 {
						return "", errSyntax
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
			buf = utf8.AppendRune(buf, r)
		default:
			return "", errSyntax
		}
	}
	return "", errSyntax
}

// validUTF8 returns b as a string with each invalid byte replaced by
// U+FFFD, as encoding/json decodes it.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, r) // RuneError for an invalid byte
		b = b[size:]
	}
	return string(out)
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
	s, i := p.s, p.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	p.i = i
	return true
}

// appendQuoted appends s as a JSON string: quotes, backslashes and control
// characters escaped, everything else as is.
func appendQuoted(dst []byte, s string) []byte {
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
