package schemacheck

import (
	"encoding/json"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeScanned decodes a document a [Scanner] has accepted into the values
// encoding/json's Decoder with UseNumber produces: map[string]any, []any,
// string, json.Number, bool and nil. (FuzzScan and validate's FuzzHandler hold the two equal.)
//
// Because the scanner already proved the document well formed, within
// limits and valid UTF-8, this pass checks nothing and costs a fraction of
// a general decoder: no state machine, no error paths, and keys that are
// declared property names reuse the schema's strings instead of
// allocating. The document is copied into one string, of which strings
// and numbers without escapes are slices: one allocation for all of
// them, where there was one each. A value kept after the request keeps
// that string alive: copy it (strings.Clone) to keep it alone.
func DecodeScanned(data []byte, keys *KeySet) any {
	d := decoder{data: data, str: string(data), keys: keys}
	sp := scratchPool.Get().(*[]any)
	d.scratch = (*sp)[:0]
	v := d.value()
	if cap(d.scratch) <= maxScratch {
		*sp = d.scratch[:0]
		scratchPool.Put(sp)
	}
	return v
}

// scratchPool holds the stacks on which arrays' items gather before they
// are copied into a slice of their exact size: one allocation per array
// instead of one per doubling.
var scratchPool = sync.Pool{New: func() any { return new([]any) }}

// maxScratch bounds the stack kept in the pool, so one huge array does
// not pin its size.
const maxScratch = 1 << 12

type decoder struct {
	data []byte
	str  string // data as a string, which unescaped strings slice
	i    int
	keys *KeySet
	buf  []byte
	// scratch holds the items of the arrays being decoded, innermost
	// last; every slot past its length is nil.
	scratch []any
}

func (d *decoder) skip() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value() any {
	d.skip()
	switch c := d.data[d.i]; c {
	case '{':
		d.i++
		m := make(map[string]any)
		d.skip()
		if d.data[d.i] == '}' {
			d.i++
			return m
		}
		for {
			d.skip()
			k := d.key()
			d.skip()
			d.i++ // ':'
			m[k] = d.value()
			d.skip()
			c := d.data[d.i]
			d.i++
			if c == '}' {
				return m
			}
		}
	case '[':
		d.i++
		d.skip()
		if d.data[d.i] == ']' {
			d.i++
			return []any{}
		}
		base := len(d.scratch)
		for {
			v := d.value()
			d.scratch = append(d.scratch, v)
			d.skip()
			c := d.data[d.i]
			d.i++
			if c == ']' {
				a := make([]any, len(d.scratch)-base)
				copy(a, d.scratch[base:])
				clear(d.scratch[base:])
				d.scratch = d.scratch[:base]
				return a
			}
		}
	case '"':
		start := d.i + 1
		raw, escaped := d.strBytes()
		if escaped {
			return string(d.unescape(raw))
		}
		return d.str[start : d.i-1]
	case 't':
		d.i += 4
		return true
	case 'f':
		d.i += 5
		return false
	case 'n':
		d.i += 4
		return nil
	default:
		start := d.i
		for d.i < len(d.data) && isNumberByte(d.data[d.i]) {
			d.i++
		}
		return json.Number(d.str[start:d.i])
	}
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// key returns an object key, reusing a declared name's string when the key
// is one.
func (d *decoder) key() string {
	start := d.i + 1
	raw, escaped := d.strBytes()
	if escaped {
		raw = d.unescape(raw)
	}
	if d.keys != nil {
		if s, ok := d.keys.exact[string(raw)]; ok { // no allocation for the lookup
			return s
		}
	}
	if !escaped {
		return d.str[start : d.i-1]
	}
	return string(raw)
}

// strBytes returns the body of the string at d.i (between its quotes) and
// whether it holds escapes, and moves past it.
func (d *decoder) strBytes() ([]byte, bool) {
	d.i++ // opening quote
	start := d.i
	escaped := false
	for {
		switch d.data[d.i] {
		case '"':
			d.i++
			return d.data[start : d.i-1], escaped
		case '\\':
			escaped = true
			d.i += 2 // the escaped byte is never the closing quote
		default:
			d.i++
		}
	}
}

// unescape decodes a checked string body into d.buf, which is reused.
func (d *decoder) unescape(b []byte) []byte {
	d.buf = appendUnescaped(d.buf[:0], b)
	return d.buf
}

// appendUnescaped appends the decoded bytes of a string body the scanner
// has checked (valid escapes, surrogates in pairs) to dst.
func appendUnescaped(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch b[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(b[i+2:])
			if utf16.IsSurrogate(r) {
				lo, _ := hex4(b[i+8:])
				r = utf16.DecodeRune(r, lo)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			dst = append(dst, b[i+1])
		}
		i += 2
	}
	return dst
}
