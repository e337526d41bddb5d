package schemacheck

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"unicode/utf16"
	"unicode/utf8"
)

// A Scanner checks a JSON document against [Limits] in one pass over its raw
// bytes, before anything decodes it: syntax (RFC 8259, strictly), depth,
// members per object, elements per array, string and number length,
// exponent range, duplicate keys, UTF-8, trailing data and keys that differ
// only in case from a declared property.
//
// It allocates nothing on the common path: keys are compared in place, and
// only objects with many members (or keys with escapes) use the scanner's
// reusable buffers. A Scanner is not safe for concurrent use; a [Body]
// keeps them in a pool.
type Scanner struct {
	lim  Limits
	keys *KeySet // declared property names; nil if none

	data   []byte
	depth  int
	values int

	// objKeys holds the keys of the objects being scanned, innermost last;
	// each object remembers where its keys start.
	objKeys [][]byte
	// unesc holds unescaped keys; a key is a slice of it or of data.
	unesc []byte
	// seen is a per-depth set of key hashes for objects with many members.
	seen []map[uint64][]int32
	seed maphash.Seed
	fold []byte
}

// linearKeys is how many members an object may have before duplicate
// detection switches from comparing with every earlier key to hashing.
const linearKeys = 16

// NewScanner returns a Scanner for lim (with its defaults applied, see
// [CheckLimits]) that refuses keys differing only in case from those in
// keys, which may be nil.
func NewScanner(lim Limits, keys *KeySet) *Scanner {
	return &Scanner{lim: lim, keys: keys, seed: maphash.MakeSeed()}
}

// Scan checks data and returns nil or a *ScanError.
func (s *Scanner) Scan(data []byte) error {
	s.data = data
	s.depth = 0
	s.values = 0
	s.objKeys = s.objKeys[:0]
	s.unesc = s.unesc[:0]
	defer func() { s.data = nil; clear(s.objKeys); s.objKeys = s.objKeys[:0] }()

	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return s.fail(0, ErrSyntax, "a byte order mark starts the body")
	}
	i := skipSpace(data, 0)
	if i == len(data) {
		return s.fail(i, ErrSyntax, "the body holds no JSON value")
	}
	i, err := s.value(i)
	if err != nil {
		return err
	}
	if i = skipSpace(data, i); i != len(data) {
		return s.fail(i, ErrTrailingData, "data follows the JSON value")
	}
	return nil
}

func (s *Scanner) fail(off int, err error, what string) *ScanError {
	return &ScanError{Offset: off, What: what, Err: err}
}

// limit reports the Limits field name broken at off. unit follows the
// limit's value in the message the client sees ("64 levels"), which names
// no Go identifier.
func (s *Scanner) limit(off int, name string, max int, what, unit string) *ScanError {
	return &ScanError{Offset: off, Limit: name, Max: max, What: what, Err: ErrLimit, unit: unit}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value scans the value starting at data[i] (not white space) and returns
// the index just past it.
func (s *Scanner) value(i int) (int, error) {
	data := s.data
	if s.values++; s.values > s.lim.MaxValues {
		return 0, s.limit(i, "MaxValues", s.lim.MaxValues, "the document holds too many values", " values")
	}
	switch c := data[i]; {
	case c == '{':
		return s.object(i)
	case c == '[':
		return s.array(i)
	case c == '"':
		end, _, err := s.str(i)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	case c == 'N' || c == 'I':
		return 0, s.fail(i, ErrSyntax, "NaN and Infinity are not JSON")
	default:
		return 0, s.fail(i, ErrSyntax, "invalid character where a value was expected")
	}
}

func (s *Scanner) literal(i int, lit string) (int, error) {
	if !bytes.HasPrefix(s.data[i:], []byte(lit)) {
		return 0, s.fail(i, ErrSyntax, "invalid literal")
	}
	return i + len(lit), nil
}

func (s *Scanner) enter(i int) error {
	s.depth++
	if s.depth > s.lim.MaxDepth {
		return s.limit(i, "MaxDepth", s.lim.MaxDepth, "nesting is too deep", " levels")
	}
	return nil
}

func (s *Scanner) array(i int) (int, error) {
	if err := s.enter(i); err != nil {
		return 0, err
	}
	data := s.data
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		s.depth--
		return i + 1, nil
	}
	for n := 1; ; n++ {
		if n > s.lim.MaxArrayLength {
			return 0, s.limit(i, "MaxArrayLength", s.lim.MaxArrayLength, "an array has too many elements", " elements")
		}
		if i == len(data) {
			return 0, s.fail(i, ErrSyntax, "the body ends inside an array")
		}
		var err error
		if i, err = s.value(i); err != nil {
			return 0, err
		}
		i = skipSpace(data, i)
		if i == len(data) {
			return 0, s.fail(i, ErrSyntax, "the body ends inside an array")
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			s.depth--
			return i + 1, nil
		default:
			return 0, s.fail(i, ErrSyntax, "expected ',' or ']' in an array")
		}
	}
}

func (s *Scanner) object(i int) (int, error) {
	if err := s.enter(i); err != nil {
		return 0, err
	}
	data := s.data
	first := len(s.objKeys)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		s.depth--
		return i + 1, nil
	}
	for n := 1; ; n++ {
		if n > s.lim.MaxObjectKeys {
			return 0, s.limit(i, "MaxObjectKeys", s.lim.MaxObjectKeys, "an object has too many members", " members")
		}
		if i == len(data) || data[i] != '"' {
			return 0, s.fail(i, ErrSyntax, "expected a string key in an object")
		}
		start := i
		end, escaped, err := s.str(i)
		if err != nil {
			return 0, err
		}
		key := data[start+1 : end-1]
		if escaped {
			key = s.unescape(key)
		}
		if err := s.checkKey(start, first, key); err != nil {
			return 0, err
		}
		i = skipSpace(data, end)
		if i == len(data) || data[i] != ':' {
			return 0, s.fail(i, ErrSyntax, "expected ':' after an object key")
		}
		i = skipSpace(data, i+1)
		if i == len(data) {
			return 0, s.fail(i, ErrSyntax, "the body ends inside an object")
		}
		if i, err = s.value(i); err != nil {
			return 0, err
		}
		i = skipSpace(data, i)
		if i == len(data) {
			return 0, s.fail(i, ErrSyntax, "the body ends inside an object")
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			clear(s.objKeys[first:])
			s.objKeys = s.objKeys[:first]
			s.depth--
			return i + 1, nil
		default:
			return 0, s.fail(i, ErrSyntax, "expected ',' or '}' in an object")
		}
	}
}

// checkKey refuses a duplicate of one of the object's earlier keys
// (s.objKeys[first:]) and a case variant of a declared property, then
// remembers key.
func (s *Scanner) checkKey(off, first int, key []byte) error {
	prev := s.objKeys[first:]
	if len(prev) < linearKeys {
		for _, k := range prev {
			if bytes.Equal(k, key) {
				return s.fail(off, ErrDuplicateKey, "an object has a duplicate key")
			}
		}
	} else {
		seen := s.seenAt(s.depth)
		if len(prev) == linearKeys {
			clear(seen)
			for j, k := range prev {
				h := maphash.Bytes(s.seed, k)
				seen[h] = append(seen[h], int32(first+j))
			}
		}
		h := maphash.Bytes(s.seed, key)
		for _, j := range seen[h] {
			if bytes.Equal(s.objKeys[j], key) {
				return s.fail(off, ErrDuplicateKey, "an object has a duplicate key")
			}
		}
		seen[h] = append(seen[h], int32(len(s.objKeys)))
	}
	if s.keys != nil && s.keys.caseVariant(key, &s.fold) {
		return s.fail(off, ErrCaseVariantKey, "a key differs only in case from a declared property")
	}
	s.objKeys = append(s.objKeys, key)
	return nil
}

func (s *Scanner) seenAt(depth int) map[uint64][]int32 {
	for len(s.seen) <= depth {
		s.seen = append(s.seen, nil)
	}
	if s.seen[depth] == nil {
		s.seen[depth] = make(map[uint64][]int32, 2*linearKeys)
	}
	return s.seen[depth]
}

// str scans the string starting at the quote data[i] and returns the index
// past its closing quote and whether it holds escapes.
func (s *Scanner) str(i int) (end int, escaped bool, err error) {
	data := s.data
	start := i
	i++
	for {
		// The fast path: printable ASCII that needs no attention, eight
		// bytes at a time, then byte by byte.
		for i+8 <= len(data) && safe8(binary.LittleEndian.Uint64(data[i:])) {
			i += 8
		}
		for i < len(data) && safeASCII[data[i]] {
			i++
		}
		if i == len(data) {
			return 0, false, s.fail(start, ErrSyntax, "a string is not terminated")
		}
		switch c := data[i]; {
		case c == '"':
			i++
			if i-start > s.lim.MaxStringLength+2 {
				return 0, false, s.limit(start, "MaxStringLength", s.lim.MaxStringLength, "a string is too long", " bytes")
			}
			return i, escaped, nil
		case c == '\\':
			escaped = true
			n, err := s.escape(i)
			if err != nil {
				return 0, false, err
			}
			i += n
		case c < 0x20:
			return 0, false, s.fail(i, ErrSyntax, "a string holds a control character")
		default: // c >= 0x80
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, s.fail(i, ErrInvalidUTF8, "a string is not valid UTF-8")
			}
			i += size
		}
	}
}

// escape checks the escape sequence at data[i] == '\\' and returns its length.
func (s *Scanner) escape(i int) (int, error) {
	data := s.data
	if i+1 >= len(data) {
		return 0, s.fail(i, ErrSyntax, "a string is not terminated")
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		r, ok := hex4(data[i+2:])
		if !ok {
			return 0, s.fail(i, ErrSyntax, "invalid \\u escape")
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00:
			// A high surrogate must be followed by an escaped low one.
			if len(data) < i+12 || data[i+6] != '\\' || data[i+7] != 'u' {
				return 0, s.fail(i, ErrInvalidUTF8, "a \\u escape is a lone UTF-16 surrogate")
			}
			lo, ok := hex4(data[i+8:])
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return 0, s.fail(i, ErrInvalidUTF8, "a \\u escape is a lone UTF-16 surrogate")
			}
			return 12, nil
		case utf16.IsSurrogate(r):
			return 0, s.fail(i, ErrInvalidUTF8, "a \\u escape is a lone UTF-16 surrogate")
		}
		return 6, nil
	default:
		return 0, s.fail(i, ErrSyntax, "invalid escape in a string")
	}
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape decodes the body of an already-checked string into s.unesc and
// returns the decoded bytes. Earlier keys keep pointing at the old buffer
// if it grows, which is never modified.
func (s *Scanner) unescape(b []byte) []byte {
	start := len(s.unesc)
	s.unesc = appendUnescaped(s.unesc, b)
	return s.unesc[start:len(s.unesc):len(s.unesc)]
}

func (s *Scanner) number(i int) (int, error) {
	data := s.data
	start := i
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	default:
		return 0, s.fail(start, ErrSyntax, "invalid number")
	}
	if i < len(data) && data[i] == '.' {
		i++
		d := i
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		if i == d {
			return 0, s.fail(start, ErrSyntax, "invalid number")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		d := i
		exp := 0
		for i < len(data) && isDigit(data[i]) {
			if exp <= s.lim.MaxExponent { // saturate: only "too big" matters
				exp = exp*10 + int(data[i]-'0')
			}
			i++
		}
		if i == d {
			return 0, s.fail(start, ErrSyntax, "invalid number")
		}
		if exp > s.lim.MaxExponent {
			return 0, s.limit(start, "MaxExponent", s.lim.MaxExponent, "a number's exponent is out of range", " in absolute value")
		}
	}
	if i-start > s.lim.MaxNumberLength {
		return 0, s.limit(start, "MaxNumberLength", s.lim.MaxNumberLength, "a number is too long", " characters")
	}
	return i, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// safe8 reports whether none of the eight bytes in x is a quote, a
// backslash, a control character or a non-ASCII byte. Each term is the
// SWAR "has a byte less than n" or "has a zero byte" test, which sets a
// byte's high bit exactly when some byte matches.
func safe8(x uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	slash := x ^ (ones * '\\')
	control := (x - ones*0x20) &^ x
	isQuote := (quote - ones) &^ quote
	isSlash := (slash - ones) &^ slash
	return (control|isQuote|isSlash|x)&high == 0
}

// safeASCII marks the bytes a string may hold without attention: printable
// ASCII other than the quote and the backslash.
var safeASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
