package audit

import "strings"

// A tokenShape is a well-known credential format: a vendor prefix, then a
// body of a known alphabet and length. Such tokens are often too short,
// or too uniform (all lower case, all hex), for the entropy check to catch,
// and their prefix says what they are, so they are masked by shape.
type tokenShape struct {
	prefix string
	alpha  *[256]bool // the body's alphabet
	min    int        // the body's minimum length
	// exact: the body is exactly min characters, ended by a character that
	// is neither a letter nor a digit. For shapes whose prefix is an
	// ordinary word's start (ASIA, SK), the exact length is what tells a
	// key from a word.
	exact bool
	// need lists character classes the body must contain (needUpper,
	// needLower, needDigit), as a random key does: "sk-" and "xoxb-"
	// also start ordinary hyphenated words.
	need uint8
	// dotted: the body is two runs of the alphabet joined by one '.'
	// (SendGrid's SG.<id>.<secret>), each at least min long.
	dotted bool
}

// Character classes for tokenShape.need.
const (
	needUpper uint8 = 1 << iota
	needLower
	needDigit
)

// alphabet returns the set of the bytes in extra and in the classes
// ("a-z", "A-Z", "0-9", "a-f", "A-F").
func alphabet(extra string, classes ...string) *[256]bool {
	var t [256]bool
	for _, c := range classes {
		switch c {
		case "a-z":
			for b := 'a'; b <= 'z'; b++ {
				t[b] = true
			}
		case "A-Z":
			for b := 'A'; b <= 'Z'; b++ {
				t[b] = true
			}
		case "0-9":
			for b := '0'; b <= '9'; b++ {
				t[b] = true
			}
		case "a-f":
			for b := 'a'; b <= 'f'; b++ {
				t[b] = true
			}
		case "A-F":
			for b := 'A'; b <= 'F'; b++ {
				t[b] = true
			}
		}
	}
	for i := 0; i < len(extra); i++ {
		t[extra[i]] = true
	}
	return &t
}

var (
	alnum      = alphabet("", "a-z", "A-Z", "0-9")
	alnumDash  = alphabet("-", "a-z", "A-Z", "0-9")
	alnumUnder = alphabet("_", "a-z", "A-Z", "0-9")
	base64URL  = alphabet("-_", "a-z", "A-Z", "0-9")
	upperAlnum = alphabet("", "A-Z", "0-9")
	hexDigits  = alphabet("", "0-9", "a-f", "A-F")
	jwtChars   = alphabet("-_.", "a-z", "A-Z", "0-9") // segments and their dots
)

// knownTokens are the credential formats masked without configuration.
// Each must start at a word boundary (see atBoundary) and have a body of
// its alphabet at least min long; the whole body is masked.
var knownTokens = []tokenShape{
	// Slack: bot, user, app-level, refresh and legacy workspace tokens.
	// Their bodies hold numeric team and user IDs.
	{prefix: "xoxb-", alpha: alnumDash, min: 10, need: needDigit},
	{prefix: "xoxp-", alpha: alnumDash, min: 10, need: needDigit},
	{prefix: "xoxa-", alpha: alnumDash, min: 10, need: needDigit},
	{prefix: "xoxr-", alpha: alnumDash, min: 10, need: needDigit},
	{prefix: "xoxs-", alpha: alnumDash, min: 10, need: needDigit},
	{prefix: "xoxe-", alpha: alnumDash, min: 10, need: needDigit}, // refresh tokens' own prefix (xoxe-1-…)
	{prefix: "xapp-", alpha: alnumDash, min: 10, need: needDigit},
	// GitHub: personal, OAuth, user-to-server, server-to-server, refresh,
	// and fine-grained personal tokens.
	{prefix: "ghp_", alpha: alnum, min: 30},
	{prefix: "gho_", alpha: alnum, min: 30},
	{prefix: "ghu_", alpha: alnum, min: 30},
	{prefix: "ghs_", alpha: alnum, min: 30},
	{prefix: "ghr_", alpha: alnum, min: 30},
	{prefix: "github_pat_", alpha: alnumUnder, min: 22},
	// GitLab personal access tokens.
	{prefix: "glpat-", alpha: base64URL, min: 20},
	// Stripe secret and restricted keys, live and test.
	{prefix: "sk_live_", alpha: alnum, min: 10},
	{prefix: "rk_live_", alpha: alnum, min: 10},
	{prefix: "sk_test_", alpha: alnum, min: 10},
	{prefix: "rk_test_", alpha: alnum, min: 10},
	// AWS access key IDs, long-term and temporary: exactly 20 characters.
	{prefix: "AKIA", alpha: upperAlnum, min: 16, exact: true},
	{prefix: "ASIA", alpha: upperAlnum, min: 16, exact: true},
	// Google API keys: AIza and 35 more.
	{prefix: "AIza", alpha: base64URL, min: 35},
	// npm access tokens.
	{prefix: "npm_", alpha: alnum, min: 36},
	// OpenAI-style secret keys (sk-…, sk-proj-…, sk-ant-…).
	{prefix: "sk-", alpha: base64URL, min: 20, need: needUpper | needLower | needDigit},
	// Twilio API key SIDs: SK and 32 hex digits.
	{prefix: "SK", alpha: hexDigits, min: 32, exact: true},
	// SendGrid API keys: SG.<22>.<43>.
	{prefix: "SG.", alpha: base64URL, min: 16, dotted: true},
	// A JWS or JWE, or one segment of one: base64url JSON starts "eyJ".
	{prefix: "eyJ", alpha: jwtChars, min: 8},
}

// tokensByStart lists, for each byte, the knownTokens whose prefix starts
// with it, so the scan skips every other byte at the cost of one lookup
// and tries only the shapes that can match.
var tokensByStart = func() (t [256][]*tokenShape) {
	for i := range knownTokens {
		k := &knownTokens[i]
		t[k.prefix[0]] = append(t[k.prefix[0]], k)
	}
	return t
}()

// maskKnownTokens masks every well-known credential (see knownTokens) and
// every PEM private key block in s. It returns s itself, without
// allocating, when there is none. Its cost is linear in len(s): each
// alphabet's runs are scanned once however many prefixes start in them.
func maskKnownTokens(s string) string {
	s = maskPEM(s)
	var runs runCache
	var b []byte // the masked copy, once something matched
	last := 0    // s[:last] is in b
	for i := 0; i < len(s); i++ {
		// The prefix first: most letters start none, and atBoundary costs
		// more inside a word.
		if !hasTokenPrefix(s, i) || !atBoundary(s, i) {
			continue
		}
		end := matchToken(s, i, &runs)
		if end < 0 {
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(s))
		}
		b = append(b, s[last:i]...)
		b = append(b, Redacted...)
		last = end
		i = end - 1
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// hasTokenPrefix reports whether a known token's prefix starts at s[i].
func hasTokenPrefix(s string, i int) bool {
	for _, t := range tokensByStart[s[i]] {
		if strings.HasPrefix(s[i:], t.prefix) {
			return true
		}
	}
	return false
}

// matchToken returns the end of the known token starting at s[i], or -1.
func matchToken(s string, i int, runs *runCache) int {
	for _, t := range tokensByStart[s[i]] {
		if !strings.HasPrefix(s[i:], t.prefix) {
			continue
		}
		start := i + len(t.prefix)
		r := runs.from(s, start, t.alpha)
		end := r.end
		n := end - start
		switch {
		case t.dotted:
			if n < t.min || end >= len(s) || s[end] != '.' {
				continue
			}
			end2 := runs.from(s, end+1, t.alpha).end
			if end2-end-1 < t.min {
				continue
			}
			end = end2
		case t.exact:
			if n < t.min {
				continue
			}
			end = start + t.min
			if end < len(s) && alnum[s[end]] {
				continue // longer: a word, not this key
			}
		case n < t.min:
			continue
		case r.missing(start, t.need) != 0:
			continue
		}
		return end
	}
	return -1
}

// A run is a maximal stretch of one alphabet's characters, with where its
// last upper-case letter, lower-case letter and digit are.
type run struct {
	alpha      *[256]bool
	start, end int
	lastUpper  int
	lastLower  int
	lastDigit  int
}

// missing reports which classes in need have no character in
// s[start:r.end], for a start inside r.
func (r *run) missing(start int, need uint8) uint8 {
	if r.lastUpper >= start {
		need &^= needUpper
	}
	if r.lastLower >= start {
		need &^= needLower
	}
	if r.lastDigit >= start {
		need &^= needDigit
	}
	return need
}

// runCache remembers the last run scanned for each alphabet. The scan
// asks for runs at increasing positions, and a run's end is the same from
// every position inside it, so each alphabet's runs are read once.
type runCache [8]run

// from returns the run of alpha's characters starting at s[i].
func (c *runCache) from(s string, i int, alpha *[256]bool) *run {
	slot := &c[0]
	for j := range c {
		if c[j].alpha == alpha || c[j].alpha == nil {
			slot = &c[j]
			break
		}
	}
	if slot.alpha == alpha && slot.start <= i && i < slot.end {
		return slot
	}
	*slot = run{alpha: alpha, start: i, end: i, lastUpper: -1, lastLower: -1, lastDigit: -1}
	for slot.end < len(s) && alpha[s[slot.end]] {
		switch c := s[slot.end]; {
		case c >= 'A' && c <= 'Z':
			slot.lastUpper = slot.end
		case c >= 'a' && c <= 'z':
			slot.lastLower = slot.end
		case c >= '0' && c <= '9':
			slot.lastDigit = slot.end
		}
		slot.end++
	}
	return slot
}

// atBoundary reports whether a token may start at s[i]: at the start of
// s, after a character that is neither a letter nor a digit, or right
// after an escape that ends in one: a percent-encoded byte (%3D in a URL)
// or one that escape wrote (\u000a for a newline, \xff, \U000e0041).
func atBoundary(s string, i int) bool {
	if i == 0 || !alnum[s[i-1]] {
		return true
	}
	if i >= 3 && s[i-3] == '%' && hexDigits[s[i-2]] && hexDigits[s[i-1]] {
		return true
	}
	for _, e := range [...]struct {
		intro string
		n     int
	}{{`\x`, 2}, {`\u`, 4}, {`\U`, 8}} {
		j := i - e.n - len(e.intro)
		// Whether the client typed the escape itself (escape doubled its
		// backslash) does not matter: masking too much is the safe side.
		if j >= 0 && s[j:j+len(e.intro)] == e.intro && allIn(s[j+len(e.intro):i], hexDigits) {
			return true
		}
	}
	return false
}

// allIn reports whether every byte of s is in alpha.
func allIn(s string, alpha *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if !alpha[s[i]] {
			return false
		}
	}
	return true
}

// maskPEM masks PEM private key blocks, from "-----BEGIN … PRIVATE KEY"
// through the matching "-----END …-----", or to the end of s when the end
// is missing (a value cut short still hides its key). Newlines inside have
// become \u000a by now; the label's spaces may be + or %20 in a URL.
func maskPEM(s string) string {
	const begin, end = "-----BEGIN", "-----END"
	if !strings.Contains(s, begin) {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] is in b
	for from := 0; ; {
		i := strings.Index(s[from:], begin)
		if i < 0 {
			break
		}
		i += from
		from = i + len(begin)
		labelEnd := strings.Index(s[from:min(len(s), from+64)], "-----")
		if labelEnd < 0 || !privateKeyLabel(s[from:from+labelEnd]) {
			continue
		}
		stop := len(s) // no end line: mask to the end
		if j := strings.Index(s[from:], end); j >= 0 {
			stop = from + j + len(end)
			if k := strings.Index(s[stop:min(len(s), stop+64)], "-----"); k >= 0 {
				stop += k + len("-----")
			}
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteString(Redacted)
		last, from = stop, stop
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// privateKeyLabel reports whether a PEM label names a private key: RSA
// PRIVATE KEY, PRIVATE KEY, ENCRYPTED PRIVATE KEY, OPENSSH PRIVATE KEY,
// PGP PRIVATE KEY BLOCK and the like, with its spaces written in any way a
// URL writes them (+, %20).
func privateKeyLabel(label string) bool {
	i := strings.Index(label, "PRIVATE")
	return i >= 0 && strings.Contains(label[i+len("PRIVATE"):], "KEY")
}
