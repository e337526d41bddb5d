package audit

import (
	"hash/maphash"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces every secret value the auditor will not log.
const Redacted = "[REDACTED]"

// truncated marks a value cut at its size limit.
const truncated = "…[truncated]"

// DefaultRedact is the built-in deny-list: a header, query parameter or
// event field whose name contains one of these (ignoring case, "-" and "_")
// is never logged. Config.Redact adds to it.
var DefaultRedact = []string{
	"authorization", "cookie", "apikey", "token", "password", "passwd", "pwd",
	"secret", "credential", "session", "privatekey", "signature", "otp", "pin",
}

// normalizeName lowercases n and drops "-", "_" and ".", so X-API-Key,
// x_api_key and apiKey compare alike.
func normalizeName(n string) string {
	var b strings.Builder
	for _, r := range n {
		switch {
		case r == '-' || r == '_' || r == '.' || r == ' ':
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// denied reports whether name is on the deny-list.
func (a *Auditor) denied(name string) bool {
	n := normalizeName(name)
	for _, d := range a.redact {
		if strings.Contains(n, d) {
			return true
		}
	}
	return false
}

func isTokenChar(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("-_.~+/=", r))
}

var (
	// A JWS or JWE in compact form: its header is base64url JSON, so it
	// starts with "eyJ".
	jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){1,4}`)
	// Credentials after an HTTP authentication scheme. The scheme starts
	// a word, which may follow a percent-encoded byte (%22Bearer) or one
	// escape wrote (\u000aBearer); the space after it may be a tab or
	// newline (escaped as \u0009 or \u000a), or URL-encoded (%20, %09,
	// %0A, %0D, +).
	schemeRE = regexp.MustCompile(`(?i)(\b|%[0-9a-f]{2}|\\u[0-9a-f]{4})(bearer|basic|digest|negotiate|token|apikey|api-key|dpop)((?:\s|%20|%0[9ad]|\+|\\u00(?:09|0a|0d))+)[A-Za-z0-9._~+/=%-]+`)
	// key=value or "key": "value" pairs whose key is a secret name.
	// The match starts at the secret word: the rest of the key before it
	// ("client_" in client_secret) stays in the text, and the regexp does
	// not backtrack over every word of the value.
	pairRE = regexp.MustCompile(`(?i)((?:authorization|cookie|api[_-]?key|token|password|passwd|pwd|secret|credential|session)[a-z0-9_.-]*)("?\s*[:=]\s*"?)([^\s&,;"]+)`)
)

// mask replaces secrets found anywhere in s.
func (a *Auditor) mask(s string) string {
	if len(s) < 8 {
		return s
	}
	// Cheap checks first: most values (paths, user agents, IDs) cannot
	// match the patterns, and the regexps dominate the writer's cost.
	if strings.ContainsAny(s, " +%\\") && hasSchemeWord(s) {
		s = schemeRE.ReplaceAllString(s, "${1}${2}${3}"+Redacted)
	}
	if strings.ContainsAny(s, ":=") && hasPairWord(s) {
		s = pairRE.ReplaceAllStringFunc(s, func(m string) string {
			sub := pairRE.FindStringSubmatch(m)
			if strings.HasPrefix(sub[3], "[REDACTED") {
				return m
			}
			return sub[1] + sub[2] + Redacted
		})
	}
	return a.maskShapes(s)
}

// hasSchemeWord reports whether s may hold, in any case, a word that
// schemeRE starts with: a scan far cheaper than the regexp, which most
// values (user agents, paths, messages) then skip. Any non-ASCII byte
// answers yes, since the regexp's case folding matches the Kelvin sign
// as k and the long s as s.
func hasSchemeWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
		var words []string
		switch s[i] | 0x20 {
		case 'b':
			words = []string{"bearer", "basic"}
		case 'd':
			words = []string{"digest", "dpop"}
		case 'n':
			words = []string{"negotiate"}
		case 't':
			words = []string{"token"}
		case 'a':
			words = []string{"apikey", "api-key"}
		default:
			continue
		}
		for _, w := range words {
			if len(s)-i >= len(w) && strings.EqualFold(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// hasPairWord reports whether s may hold, in any case, a secret name that
// pairRE starts with: a scan far cheaper than the regexp, which issuers
// ("https://…"), scope lists ("items:read") and most other values with a
// colon or an equals sign then skip. Like hasSchemeWord it answers yes for
// any non-ASCII byte (the regexp folds the Kelvin sign to k and the long s
// to s), and "api" stands for api_key, api-key and apikey.
func hasPairWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
		var words []string
		switch s[i] | 0x20 {
		case 'a':
			words = []string{"authorization", "api"}
		case 'c':
			words = []string{"cookie", "credential"}
		case 't':
			words = []string{"token"}
		case 'p':
			words = []string{"passwd", "password", "pwd"}
		case 's':
			words = []string{"secret", "session"}
		default:
			continue
		}
		for _, w := range words {
			if len(s)-i >= len(w) && strings.EqualFold(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// maskShapes masks secrets recognisable by their shape alone: words with a
// configured prefix, well-known vendor tokens and PEM private keys (see
// knownTokens), JWTs, and long high-entropy words.
func (a *Auditor) maskShapes(s string) string {
	if len(s) < 8 {
		return s
	}
	s = maskKnownTokens(s)
	for _, p := range a.prefixes {
		s = maskPrefix(s, p)
	}
	if strings.Contains(s, "eyJ") {
		s = jwtRE.ReplaceAllLiteralString(s, Redacted)
	}
	return maskLongWords(s)
}

// maskPrefix masks every word that starts with the configured prefix p,
// wherever it starts, in one pass: the mask is never searched again, so a
// prefix such as "RED" cannot match it.
func maskPrefix(s, p string) string {
	i := strings.Index(s, p)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		j := i + len(p)
		for j < len(s) && isTokenChar(rune(s[j])) {
			j++
		}
		b.WriteString(s[:i])
		b.WriteString(Redacted)
		s = s[j:]
		i = strings.Index(s, p)
	}
	b.WriteString(s)
	return b.String()
}

// longWord is the shortest run of longWordChars that maskLongWords
// examines.
const longWord = 32

// maskLongWords masks every maximal run of at least longWord
// longWordChars that looks random (highEntropy). It returns s itself,
// without allocating, when none does: the usual case, since paths with
// UUIDs and hex digests have long runs that are not random. (A regexp
// did this once, at 2–3 µs and 3 allocations for such a path.)
func maskLongWords(s string) string {
	var b []byte // the masked copy, once a run matched
	last := 0    // s[:last] is in b
	for i := 0; i < len(s); {
		if !longWordChars[s[i]] {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && longWordChars[s[j]] {
			j++
		}
		if j-i >= longWord && highEntropy(s[i:j]) {
			if b == nil {
				b = make([]byte, 0, len(s))
			}
			b = append(b, s[last:i]...)
			b = append(b, Redacted...)
			last = j
		}
		i = j
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// longWordChars are the characters of a long word: base64, base64url and
// the rest of the token alphabet.
var longWordChars = alphabet("_~+/=-", "a-z", "A-Z", "0-9")

// highEntropy reports whether a long word looks like a random key rather
// than a path segment, hash or ID: it mixes upper case, lower case and
// digits. UUIDs, hex digests and ULIDs lack one of the three.
func highEntropy(w string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// escape makes s safe to show: invalid UTF-8 becomes \xNN; control
// characters (C0, DEL, C1, so CR and LF too) and invisible format
// characters (bidi overrides such as U+202E, zero-width characters) become
// \uXXXX (\UXXXXXXXX above the BMP), so a value can neither start a new
// log line nor reorder what a reader sees. Backslashes are doubled, so an
// escape in the log was made here and never typed by the client.
func escape(s string) string {
	clean := true
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // ASCII: no decoding, same verdict
			if c < 0x20 || c == 0x7f || c == '\\' {
				clean = false
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\\' || needsEscape(r) || r == utf8.RuneError && size == 1 {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hexDigit[s[i]>>4])
			b.WriteByte(hexDigit[s[i]&15])
		case r == '\\':
			b.WriteString(`\\`)
		case needsEscape(r) && r > 0xffff:
			b.WriteString(`\U`)
			for sh := 28; sh >= 0; sh -= 4 {
				b.WriteByte(hexDigit[(r>>sh)&15])
			}
		case needsEscape(r):
			b.WriteString(`\u`)
			for sh := 12; sh >= 0; sh -= 4 {
				b.WriteByte(hexDigit[(r>>sh)&15])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

const hexDigit = "0123456789abcdef"

// needsEscape: C0 and C1 controls, DEL, the Unicode line and paragraph
// separators, and format characters (category Cf: bidi embeddings,
// overrides and isolates, zero-width joiners, tag characters).
func needsEscape(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x2028 || r == 0x2029 ||
		r >= 0xad && unicode.Is(unicode.Cf, r)
}

// truncate cuts s to at most max bytes on a rune boundary, marking the cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len(truncated)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + truncated
}

// clean is the one treatment every logged string gets: escaped, masked,
// then truncated (after masking, so a cut cannot split a secret out of its
// mask).
func (a *Auditor) clean(s string, max int) string {
	if max <= 0 || max > a.maxValue {
		max = a.maxValue
	}
	if s == "" {
		return s
	}
	b, cut := bound(s, max)
	return truncateCut(a.mask(escape(b)), cut, max)
}

// User agents repeat: most requests come from a few clients' software,
// and cleaning one costs about a microsecond (it is long, and has spaces,
// slashes and letters that start secret patterns). The writer remembers
// the last user agent cleaned in each slot of a small table.
const (
	uaSlots    = 64
	maxUAKnown = 512 // longer user agents are not kept
)

type uaSlot struct{ in, out string }

var uaSeed = maphash.MakeSeed()

// cleanUserAgent is clean(ua, DefaultMaxUserAgent), remembered per slot:
// a user agent seen again costs a hash and a comparison. A client that
// varies its user agent only misses, paying what clean costs. The table
// belongs to the writer (Auditor.wmu).
func (a *Auditor) cleanUserAgent(ua string) string {
	if len(ua) > maxUAKnown {
		return a.clean(ua, DefaultMaxUserAgent)
	}
	slot := &a.w.ua[maphash.String(uaSeed, ua)%uaSlots]
	if slot.in == ua && slot.out != "" {
		return slot.out
	}
	out := a.clean(ua, DefaultMaxUserAgent)
	*slot = uaSlot{ua, out}
	return out
}

// knownKey is a value of a known field and the limit it was cleaned to.
type knownKey struct {
	method string // for a route pattern logged with its method
	s      string
	max    int
}

// Bounds of the writer's memo of cleaned values.
const (
	maxKnown      = 512 // entries; the memo starts again when it is full
	maxKnownBytes = 256 // longer values are not kept
)

// cleanKnown is clean for the values the library and its configuration
// produce: decision packages, outcomes, reasons and rules, route patterns,
// rate-limit policies, issuers, auth methods, client IDs, field-error
// locations and keywords. A few dozen distinct values make up almost every
// event, so the writer cleans each once and remembers the result: the
// value is masked exactly as clean masks it, only not again and again.
// Client-supplied values (subject, path, query, user agent, headers, client
// request ID, messages, details) do not come here: every one is cleaned
// each time. The memo belongs to the writer (Auditor.wmu), is bounded, and
// starts again when full, so a value that does vary costs what clean
// costs.
func (a *Auditor) cleanKnown(s string, max int) string {
	return a.cleanKnownPair("", s, max)
}

// cleanKnownPair is cleanKnown of method + " " + s, or of s alone when
// method is empty, without building the string when it is known.
func (a *Auditor) cleanKnownPair(method, s string, max int) string {
	if s == "" || len(s)+len(method) > maxKnownBytes {
		if method != "" {
			s = method + " " + s
		}
		return a.clean(s, max)
	}
	k := knownKey{method, s, max}
	// The front cache first: a slot compares as the map would, minus the
	// hashing of both strings, and the strings are most often the very
	// same (a decision's constants), which compare without reading them.
	slot := &a.w.knownFront[knownIndex(k)]
	if slot.k == k {
		return slot.v
	}
	if v, ok := a.w.known[k]; ok {
		*slot = knownSlot{k, v}
		return v
	}
	full := s
	if method != "" {
		full = method + " " + s
	}
	v := a.clean(full, max)
	if len(a.w.known) >= maxKnown {
		clear(a.w.known)
	}
	if a.w.known == nil {
		a.w.known = make(map[knownKey]string, 64)
	}
	a.w.known[k] = v
	*slot = knownSlot{k, v}
	return v
}

// knownSlot is one entry of cleanKnown's front cache: a value of a known
// field, cleaned. The cache has a fixed size, so it needs no bound of its
// own; a slot holds the last value that mapped to it.
type knownSlot struct {
	k knownKey
	v string
}

// knownSlots is the number of slots in cleanKnown's front cache (a power
// of two).
const knownSlots = 256

// knownIndex is k's slot: a hash of its lengths, limit and three bytes
// of the value, cheaper than hashing whole strings. Values that collide
// only share a slot; the slot's full key decides a hit.
func knownIndex(k knownKey) uint {
	s := k.s // not empty (cleanKnownPair)
	h := uint64(len(s)) ^ uint64(s[0])<<8 ^ uint64(s[len(s)/2])<<16 ^ uint64(s[len(s)-1])<<24 ^
		uint64(len(k.method))<<32 ^ uint64(k.max)<<40
	h *= 0x9e3779b97f4a7c15
	return uint(h >> (64 - 8)) // knownSlots = 1<<8
}

// maskSlack is how far past the kept length a value is read for masking:
// more than any token the masks recognise is long, so the secret that
// straddles the cut is still whole enough to be recognised.
const maskSlack = 8 << 10

// truncateCut is truncate for a value that bound may have cut: the cut
// shows even when masking made what was read short enough to keep whole.
func truncateCut(s string, cut bool, max int) string {
	if cut && len(s) <= max {
		s += truncated
	}
	return truncate(s, max)
}

// bound cuts what escaping and masking read to max plus maskSlack bytes,
// so the cost of a value is bounded by what is logged of it, not by what
// the client sent (a path can be close to a megabyte). It reports whether
// it cut.
func bound(s string, max int) (string, bool) {
	if len(s) > max+maskSlack {
		return s[:max+maskSlack], true
	}
	return s, false
}

// cleanQuery returns the raw query with every value redacted, or with
// values masked and deny-listed ones redacted when LogQueryValues is set.
func (a *Auditor) cleanQuery(raw string) string {
	if raw == "" {
		return ""
	}
	// Built in a buffer on the stack, then copied once into the string
	// the masks read: a strings.Builder would grow (and allocate) several
	// times for a short query.
	var qb [256]byte
	b := qb[:0]
	for i, n := 0, 0; raw != "" && n < 64; n++ {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, hasV := strings.Cut(part, "=")
		if i > 0 {
			b = append(b, '&')
		}
		i++
		b = append(b, k...)
		if !hasV {
			continue
		}
		b = append(b, '=')
		if !a.queryVals || a.denied(unescapeName(k)) {
			b = append(b, Redacted...)
			continue
		}
		b = append(b, v...)
	}
	if raw != "" {
		b = append(b, '&')
		b = append(b, truncated...)
	}
	q := string(b)
	if !a.queryVals {
		// Every value is already redacted; keys still get the shape
		// checks (a token sent as a key).
		kept, cut := bound(q, a.maxValue)
		return truncateCut(a.maskShapes(escape(kept)), cut, a.maxValue)
	}
	return a.clean(q, 0)
}

// unescapeName decodes %XX and + in a query key for deny-list matching, so
// "api%5Fkey" is caught like "api_key".
func unescapeName(k string) string {
	if !strings.ContainsAny(k, "%+") {
		return k
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(k) && unhex(k[i+1]) >= 0 && unhex(k[i+2]) >= 0:
			b.WriteByte(byte(unhex(k[i+1])<<4 | unhex(k[i+2])))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// cleanKey reduces an application attribute key to [A-Za-z0-9_-], at most
// 64 bytes, so a key can neither forge a dotted field path nor break a
// parser; an empty result becomes "_".
func cleanKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k) && b.Len() < 64; i++ {
		c := k[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
