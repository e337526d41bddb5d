package limits

import "strings"

// A mediaRange is one entry of Rules.ContentTypes, lower-cased: typ "*"
// for "*/*", sub "*" for "type/*", sub "" and suffix "+json" for
// "type/*+json".
type mediaRange struct {
	typ, sub, suffix string
	exact            string // "typ/sub" for an entry without wildcards
}

// parseRange parses a ContentTypes entry: "type/subtype", "type/*",
// "type/*+suffix" or "*/*", without parameters.
func parseRange(s string) (mediaRange, bool) {
	s = strings.TrimSpace(s)
	if s == "*/*" {
		return mediaRange{typ: "*", sub: "*"}, true
	}
	typ, sub, ok := strings.Cut(s, "/")
	if !ok || !isToken(typ) || strings.Contains(typ, "*") {
		return mediaRange{}, false
	}
	typ = strings.ToLower(typ)
	switch {
	case sub == "*":
		return mediaRange{typ: typ, sub: "*"}, true
	case strings.HasPrefix(sub, "*+") && isToken(sub[2:]) && !strings.Contains(sub[2:], "*"):
		return mediaRange{typ: typ, suffix: strings.ToLower(sub[1:])}, true
	case isToken(sub) && !strings.Contains(sub, "*"):
		sub = strings.ToLower(sub)
		return mediaRange{typ: typ, sub: sub, exact: typ + "/" + sub}, true
	}
	return mediaRange{}, false
}

// parseMediaType splits a Content-Type value into type and subtype, both
// RFC 9110 tokens without "*", ignoring parameters and the blanks around
// the media type. It does not allocate.
func parseMediaType(v string) (typ, sub string, ok bool) {
	mt, _, _ := strings.Cut(v, ";")
	mt = strings.Trim(mt, " \t")
	typ, sub, ok = strings.Cut(mt, "/")
	if !ok || !isToken(typ) || !isToken(sub) || strings.Contains(mt, "*") {
		return "", "", false
	}
	return typ, sub, true
}

// match reports whether the media type typ/sub is in the range.
func (m mediaRange) match(typ, sub string) bool {
	switch {
	case m.typ == "*":
		return true
	case !strings.EqualFold(m.typ, typ):
		return false
	case m.sub == "*":
		return true
	case m.suffix != "":
		// The suffix must follow a non-empty subtype name: "+json" alone
		// is not a structured-syntax type.
		return len(sub) > len(m.suffix) && strings.EqualFold(sub[len(sub)-len(m.suffix):], m.suffix)
	}
	return strings.EqualFold(m.sub, sub)
}

// isToken reports whether s is an RFC 9110 token: one or more tchar.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
