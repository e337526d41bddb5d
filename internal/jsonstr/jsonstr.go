// Package jsonstr appends strings as JSON string literals, in the dialects
// apishield writes: log/slog's (audit's lines), encoding/json's without
// HTML escaping (values slog hands to encoding/json), and an HTML-safe one
// (problem bodies, which a browser might sniff as HTML). Every dialect
// replaces invalid UTF-8 with U+FFFD and escapes U+2028 and U+2029, so the
// output is valid JSON, and valid JavaScript, whatever the input holds.
package jsonstr

import "unicode/utf8"

// A Mode is a dialect: a set of the flags below.
type Mode uint8

const (
	// Slog escapes as log/slog's JSONHandler does: short forms for \n, \r
	// and \t only, \u00XX for the other control bytes.
	Slog Mode = 0
	// ShortBF adds the short forms \b and \f, as encoding/json writes them.
	ShortBF Mode = 1 << iota
	// EscapeHTML escapes <, > and & as \u003c, \u003e and \u0026.
	EscapeHTML

	// JSON is encoding/json's dialect without HTML escaping
	// (Encoder.SetEscapeHTML(false)).
	JSON = ShortBF
)

const lowerHex = "0123456789abcdef"

// Append appends s to buf as a quoted JSON string in dialect m.
func Append(buf []byte, s string, m Mode) []byte {
	html := m&EscapeHTML != 0
	safe := &safePlain
	if html {
		safe = &safeHTML
	}
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look of its own.
		for i+8 <= len(s) && safe8(s, i, html) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch {
			case b == '\\' || b == '"':
				buf = append(buf, '\\', b)
			case b == '\n':
				buf = append(buf, '\\', 'n')
			case b == '\r':
				buf = append(buf, '\\', 'r')
			case b == '\t':
				buf = append(buf, '\\', 't')
			case m&ShortBF != 0 && b == '\b':
				buf = append(buf, '\\', 'b')
			case m&ShortBF != 0 && b == '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', lowerHex[b>>4], lowerHex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', lowerHex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// safe8 reports whether s[i:i+8] is all ASCII that the dialect carries as
// it is, testing the eight bytes at once: a byte below 0x20, one equal to a
// byte that needs escaping (zero once XORed with it), or one with the high
// bit set shows in the high bits of the result. The test is exact.
func safe8(s string, i int, html bool) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
	q, bs := x^('"'*lo), x^('\\'*lo)
	bad := x | (x-0x20*lo)&^x | (q-lo)&^q | (bs-lo)&^bs
	if html {
		lt, gt, amp := x^('<'*lo), x^('>'*lo), x^('&'*lo)
		bad |= (lt-lo)&^lt | (gt-lo)&^gt | (amp-lo)&^amp
	}
	return bad&hi == 0
}

// safePlain and safeHTML hold the ASCII bytes each kind of dialect carries
// as they are.
var safePlain, safeHTML = func() (plain, html [utf8.RuneSelf]bool) {
	for b := ' '; b < utf8.RuneSelf; b++ {
		plain[b] = b != '"' && b != '\\'
		html[b] = plain[b] && b != '<' && b != '>' && b != '&'
	}
	return plain, html
}()
