package auth

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The JOSE header and the claims are attacker input decoded by more than
// one parser (ours, and the issuer's). encoding/json lets the last of two
// duplicate keys win and matches struct fields case-insensitively, which
// is how parser-differential attacks slip a second "alg" past one side.
// So the top level of both objects is walked here, member by member, with
// exact key bytes; duplicates are refused by the callers.

var errNotObject = errors.New("auth: JSON is not an object")

// forEachMember calls fn with each member of the JSON object in data: the
// key (unescaped) and the raw value bytes. data must already be valid JSON
// (json.Valid or a successful Unmarshal); anything else is reported as
// errNotObject.
func forEachMember(data []byte, fn func(key string, escaped bool, keyRaw, value []byte) error) error {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errNotObject
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for i < len(data) {
		if data[i] != '"' {
			return errNotObject
		}
		end, esc := stringEnd(data, i)
		if end < 0 {
			return errNotObject
		}
		keyRaw := data[i+1 : end]
		var key string
		if esc {
			if err := json.Unmarshal(data[i:end+1], &key); err != nil {
				return errNotObject
			}
		}
		i = skipWS(data, end+1)
		if i >= len(data) || data[i] != ':' {
			return errNotObject
		}
		i = skipWS(data, i+1)
		vend := valueEnd(data, i)
		if vend < 0 {
			return errNotObject
		}
		if err := fn(key, esc, keyRaw, data[i:vend]); err != nil {
			return err
		}
		i = skipWS(data, vend)
		if i >= len(data) {
			return errNotObject
		}
		switch data[i] {
		case ',':
			i = skipWS(data, i+1)
		case '}':
			return nil
		default:
			return errNotObject
		}
	}
	return errNotObject
}

func skipWS(data []byte, i int) int {
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

// stringEnd returns the index of the closing quote of the string starting at
// data[i] == '"', and whether it holds escapes.
func stringEnd(data []byte, i int) (int, bool) {
	esc := false
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j, esc
		}
	}
	return -1, esc
}

// valueEnd returns the index just past the JSON value starting at data[i].
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		end, _ := stringEnd(data, i)
		if end < 0 {
			return -1
		}
		return end + 1
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, _ := stringEnd(data, j)
				if end < 0 {
					return -1
				}
				j = end
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default:
		j := i
		for j < len(data) && !isDelim(data[j]) {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

// jsonString decodes a raw JSON value that must be a string. Without
// escapes it costs one allocation (the string), with them an Unmarshal.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// maxUniqueMembers bounds the objects forEachUniqueMember reads: JOSE
// headers and JWKs have a handful of members.
const maxUniqueMembers = 16

// forEachUniqueMember is forEachMember for objects whose members must not
// repeat (JOSE headers, JWKs): fn sees each member's key, unescaped and
// viewing data where it can, and its raw value. A repeated key returns
// dup; a member beyond maxUniqueMembers returns tooMany.
func forEachUniqueMember(data []byte, dup, tooMany error, fn func(key string, value []byte) error) error {
	var seen [maxUniqueMembers]string
	nseen := 0
	return forEachMember(data, func(key string, escaped bool, keyRaw, v []byte) error {
		if !escaped {
			key = stringOf(keyRaw) // views data, which outlives the call
		}
		for _, s := range seen[:nseen] {
			if s == key {
				return dup
			}
		}
		if nseen == len(seen) {
			return tooMany
		}
		seen[nseen] = key
		nseen++
		return fn(key, v)
	})
}
