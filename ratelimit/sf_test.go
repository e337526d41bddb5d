package ratelimit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// A strict parser of RFC 9651 structured-field Lists, for the tests to read
// the RateLimit fields the way a client library would: anything the RFC's
// parsing algorithm refuses is an error, so a malformed field fails a test.
// It parses Integers, Decimals, Strings, Tokens, Byte Sequences, Booleans,
// Parameters and Inner Lists; Dates and Display Strings, which these fields
// never hold, are errors.

type sfParam struct {
	key   string
	value any
}

type sfItem struct {
	value  any // int64, float64, sfString, sfToken, []byte, bool, or []sfItem for an inner list
	params []sfParam
}

type (
	sfString string
	sfToken  string
)

// param returns the value of the parameter key, and whether it is there.
func (it sfItem) param(key string) (any, bool) {
	for _, p := range it.params {
		if p.key == key {
			return p.value, true
		}
	}
	return nil, false
}

var errSF = errors.New("malformed structured field")

// parseSFList parses the field lines of one List field: lines are joined
// with commas, as RFC 9651 §4.2 combines them.
func parseSFList(lines []string) ([]sfItem, error) {
	p := &sfParser{s: strings.Join(lines, ",")}
	p.skipSP()
	var out []sfItem
	for p.i < len(p.s) {
		it, err := p.itemOrInnerList()
		if err != nil {
			return nil, err
		}
		out = append(out, it)
		p.skipOWS()
		if p.i == len(p.s) {
			return out, nil
		}
		if p.s[p.i] != ',' {
			return nil, p.fail("expected ','")
		}
		p.i++
		p.skipOWS()
		if p.i == len(p.s) {
			return nil, p.fail("trailing ','")
		}
	}
	return out, nil
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) fail(why string) error {
	return fmt.Errorf("%w: %s at %d in %q", errSF, why, p.i, p.s)
}

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) itemOrInnerList() (sfItem, error) {
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		var inner []sfItem
		for {
			p.skipSP()
			if p.i == len(p.s) {
				return sfItem{}, p.fail("unterminated inner list")
			}
			if p.s[p.i] == ')' {
				p.i++
				params, err := p.parameters()
				return sfItem{value: inner, params: params}, err
			}
			it, err := p.item()
			if err != nil {
				return sfItem{}, err
			}
			inner = append(inner, it)
			if p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != ')' {
				return sfItem{}, p.fail("expected ' ' or ')'")
			}
		}
	}
	return p.item()
}

func (p *sfParser) item() (sfItem, error) {
	v, err := p.bareItem()
	if err != nil {
		return sfItem{}, err
	}
	params, err := p.parameters()
	return sfItem{value: v, params: params}, err
}

func (p *sfParser) parameters() ([]sfParam, error) {
	var out []sfParam
	for p.i < len(p.s) && p.s[p.i] == ';' {
		p.i++
		p.skipSP()
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		replaced := false
		for j := range out {
			if out[j].key == k {
				out[j].value, replaced = v, true
			}
		}
		if !replaced {
			out = append(out, sfParam{k, v})
		}
	}
	return out, nil
}

func (p *sfParser) key() (string, error) {
	start := p.i
	if p.i == len(p.s) || !(isLcalpha(p.s[p.i]) || p.s[p.i] == '*') {
		return "", p.fail("bad key")
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(isLcalpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) bareItem() (any, error) {
	if p.i == len(p.s) {
		return nil, p.fail("missing item")
	}
	switch c := p.s[p.i]; {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		return p.string()
	case c == '*' || isAlpha(c):
		return p.token(), nil
	case c == ':':
		return p.bytes()
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return p.s[p.i-1] == '1', nil
		}
		return nil, p.fail("bad boolean")
	}
	return nil, p.fail("unknown item type")
}

func (p *sfParser) number() (any, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i == len(p.s) || !isDigit(p.s[p.i]) {
		return nil, p.fail("no digits")
	}
	digits, dot := 0, -1
	for p.i < len(p.s) {
		c := p.s[p.i]
		if isDigit(c) {
			digits++
		} else if c == '.' && dot < 0 {
			if digits > 12 {
				return nil, p.fail("decimal too long")
			}
			dot = digits
		} else {
			break
		}
		p.i++
		if dot < 0 && digits > 15 || dot >= 0 && digits > 15 {
			return nil, p.fail("number too long")
		}
	}
	num := p.s[start:p.i]
	if dot < 0 {
		return strconv.ParseInt(num, 10, 64)
	}
	if strings.HasSuffix(num, ".") || digits-dot > 3 {
		return nil, p.fail("bad decimal")
	}
	return strconv.ParseFloat(num, 64)
}

func (p *sfParser) string() (any, error) {
	p.i++ // the opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.i == len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return nil, p.fail("bad escape")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return sfString(b.String()), nil
		case c < 0x20 || c > 0x7e:
			return nil, p.fail("bad string character")
		default:
			b.WriteByte(c)
		}
	}
	return nil, p.fail("unterminated string")
}

func (p *sfParser) token() any {
	start := p.i
	p.i++
	for p.i < len(p.s) && (isTchar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
		p.i++
	}
	return sfToken(p.s[start:p.i])
}

func (p *sfParser) bytes() (any, error) {
	p.i++
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return nil, p.fail("unterminated byte sequence")
	}
	b, err := base64.StdEncoding.DecodeString(p.s[p.i : p.i+end])
	if err != nil {
		return nil, p.fail("bad base64")
	}
	p.i += end + 1
	return b, nil
}

func isDigit(c byte) bool   { return c >= '0' && c <= '9' }
func isLcalpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isTchar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// The parser refuses what RFC 9651 refuses, so the tests that use it can
// fail on a malformed field.
func TestSFParser(t *testing.T) {
	t.Parallel()
	good := map[string]int{
		`"a";q=1;w=2, "b";q=3`:                 2,
		`"a";r=0;t=1,"b";r=5;t=9`:              2,
		`  "a";q=1  `:                          1,
		`tok;x, ?1, :aGk=:, -5;y="z\"q", 1.25`: 5,
		`("a" "b");p=1, c`:                     2,
	}
	for in, n := range good {
		items, err := parseSFList([]string{in})
		if err != nil || len(items) != n {
			t.Errorf("%q: %d items, %v; want %d", in, len(items), err, n)
		}
	}
	for _, in := range []string{
		`"a";q=1,`,               // trailing comma
		`"a";q=1 "b"`,            // no comma
		`"a";Q=1`,                // upper-case key
		`"a;q=1`,                 // unterminated string
		`"a";q=1;;w=2`,           // empty key
		`"a";q=1234567890123456`, // integer too long
		`"a";q=1.2345`,           // decimal too precise
		`"a\x";q=1`,              // bad escape
		`"a";q=`,                 // missing value
		`,"a"`,                   // leading comma
		`"a"	;q=1`,               // tab before parameters
		`"é"`,                    // non-ASCII in a string
	} {
		if items, err := parseSFList([]string{in}); err == nil {
			t.Errorf("%q: parsed as %+v, want an error", in, items)
		}
	}
	// Field lines combine into one list.
	if items, err := parseSFList([]string{`"a";q=1`, `"b";q=2`}); err != nil || len(items) != 2 {
		t.Errorf("two field lines: %+v, %v", items, err)
	}
}
