package schemacheck

import (
	"unicode"
	"unicode/utf8"
)

// A KeySet is the set of property names a schema declares, for refusing
// keys that differ from one only in case.
type KeySet struct {
	// folded maps a name's case fold to the declared names with that fold.
	folded map[string][]string
	// exact maps each declared name to itself, so the decoder can reuse
	// the string instead of allocating one per key.
	exact map[string]string
}

// NewKeySet returns the set of names, or nil if there are none.
func NewKeySet(names []string) *KeySet {
	if len(names) == 0 {
		return nil
	}
	ks := &KeySet{folded: make(map[string][]string, len(names)), exact: make(map[string]string, len(names))}
	var buf []byte
	for _, n := range names {
		ks.exact[n] = n
		f := string(foldKey(buf[:0], []byte(n)))
		if !containsString(ks.folded[f], n) {
			ks.folded[f] = append(ks.folded[f], n)
		}
	}
	return ks
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// caseVariant reports whether key folds to a declared name without being one.
func (ks *KeySet) caseVariant(key []byte, buf *[]byte) bool {
	if _, ok := ks.exact[string(key)]; ok {
		return false // the common case: a declared name, no folding needed
	}
	*buf = foldKey((*buf)[:0], key)
	names, ok := ks.folded[string(*buf)]
	if !ok {
		return false
	}
	for _, n := range names {
		if string(key) == n {
			return false
		}
	}
	return true
}

// foldKey appends the case fold of key to dst, the way encoding/json folds
// names when it binds keys to struct fields: each rune becomes the smallest
// rune of its Unicode fold set, so "K" (Kelvin) and "ſ" (long s) fold as "K"
// and "S".
func foldKey(dst, key []byte) []byte {
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(key[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// foldRune returns the smallest rune of r's fold set.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
