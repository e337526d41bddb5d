package schemacheck

import (
	"errors"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// The schema library leaves "idn-hostname" and "idn-email" unchecked; these
// assert them. A hostname is checked against IDNA2008 (RFC 5890–5893): the
// UTS 46 tables of golang.org/x/net/idna in their registration profile (no
// mapping: what a label must be, not what it may be turned into), which
// bring the Bidi rule (RFC 5893), the CONTEXTJ joiner rules, the hyphen
// rules and the DNS lengths, plus what those tables let through and RFC
// 5892 does not: symbols and punctuation (only letters, marks and digits
// are PVALID), the exceptions of RFC 5892 §2.6 and the CONTEXTO rules of
// its Appendix A.
var (
	idnHostnameFormat = &jsonschema.Format{Name: "idn-hostname", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		_, err := checkIDNHostname(s)
		return err
	}}
	idnEmailFormat = &jsonschema.Format{Name: "idn-email", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkIDNEmail(s)
	}}
)

var errIDN = errors.New("not a valid internationalized name")

// maxIDNBytes bounds the input before any label is decoded: a name whose
// A-labels fit in 253 octets holds at most 253 code points, 4 bytes each.
const maxIDNBytes = 4 * 253

// idnaProfile checks labels already lowercased (ASCII) and in NFC.
var idnaProfile = idna.New(idna.ValidateForRegistration(), idna.CheckHyphens(true), idna.CheckJoiners(true))

// checkIDNHostname reports whether s is an internationalized hostname:
// U-labels, A-labels or LDH labels separated by dots (or the ideographic
// and full-width full stops of RFC 3490 §3.1), with no empty label and no
// trailing dot. It returns the name in A-label form.
func checkIDNHostname(s string) (string, error) {
	if s == "" || len(s) > maxIDNBytes || !utf8.ValidString(s) {
		return "", errIDN
	}
	labels := strings.FieldsFunc(s, isLabelSeparator)
	if len(labels) == 0 || strings.Count(s, ".")+strings.Count(s, "\u3002")+strings.Count(s, "\uff0e")+strings.Count(s, "\uff61") != len(labels)-1 {
		return "", errIDN // an empty label, leading or trailing
	}
	ulabels := make([]string, len(labels))
	alabel := make([]bool, len(labels))
	for i, l := range labels {
		l = asciiLower(l)
		if strings.HasPrefix(l, "xn--") {
			u, err := idna.Punycode.ToUnicode(l)
			if err != nil || isASCII(u) {
				return "", errIDN // not Punycode, or an A-label of nothing to encode
			}
			l, alabel[i] = u, true
		} else if !isASCII(l) {
			l = norm.NFC.String(l)
		}
		if !isASCII(l) && !idna2008Label(l) {
			return "", errIDN
		}
		ulabels[i] = l
	}
	// The whole name at once: the Bidi rule holds across labels.
	ascii, err := idnaProfile.ToASCII(strings.Join(ulabels, "."))
	if err != nil {
		return "", errIDN
	}
	// An A-label must be the canonical encoding of its U-label.
	for i, a := range strings.Split(ascii, ".") {
		if alabel[i] && a != asciiLower(labels[i]) {
			return "", errIDN
		}
	}
	return ascii, nil
}

func isLabelSeparator(r rune) bool {
	return r == '.' || r == '\u3002' || r == '\uff0e' || r == '\uff61'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// idna2008Label applies to a U-label the rules of RFC 5892 that UTS 46's
// tables do not: the derived property's letters-and-digits rule, its
// exceptions (§2.6), the ignorable blocks and old Hangul jamo (§2.4–2.5),
// and the CONTEXTO rules of Appendix A.3–A.9.
func idna2008Label(l string) bool {
	var hasKanaOrHan, arabicIndic, extArabicIndic bool
	for _, r := range l {
		switch {
		case r >= 0x0660 && r <= 0x0669:
			arabicIndic = true
		case r >= 0x06F0 && r <= 0x06F9:
			extArabicIndic = true
		}
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) && r != 0x30FB {
			hasKanaOrHan = true
		}
	}
	if arabicIndic && extArabicIndic {
		return false // A.8, A.9
	}
	prev := rune(-1)
	for i, r := range l {
		next, _ := utf8.DecodeRuneInString(l[i+utf8.RuneLen(r):])
		if i+utf8.RuneLen(r) == len(l) {
			next = -1
		}
		switch r {
		case 0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007: // PVALID exceptions
		case 0x0640, 0x07FA, 0x302E, 0x302F, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B: // DISALLOWED exceptions
			return false
		case 0x00B7: // A.3 MIDDLE DOT: between two 'l'
			if prev != 'l' || next != 'l' {
				return false
			}
		case 0x0375: // A.4 GREEK LOWER NUMERAL SIGN: before Greek
			if next < 0 || !unicode.Is(unicode.Greek, next) {
				return false
			}
		case 0x05F3, 0x05F4: // A.5, A.6 HEBREW GERESH, GERSHAYIM: after Hebrew
			if prev < 0 || !unicode.Is(unicode.Hebrew, prev) {
				return false
			}
		case 0x30FB: // A.7 KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han
			if !hasKanaOrHan {
				return false
			}
		case 0x200C, 0x200D: // CONTEXTJ: the idna profile checks the joiners
		default:
			if r < utf8.RuneSelf {
				break // LDH: the idna profile checks them
			}
			if (r >= 0x20D0 && r <= 0x20FF) || (r >= 0x1D100 && r <= 0x1D24F) || // ignorable blocks
				(r >= 0x1100 && r <= 0x11FF) || (r >= 0xA960 && r <= 0xA97F) || (r >= 0xD7B0 && r <= 0xD7FF) { // old Hangul jamo
				return false
			}
			if !unicode.In(r, unicode.Ll, unicode.Lo, unicode.Lm, unicode.Mn, unicode.Mc, unicode.Nd) {
				return false // symbols, punctuation, spaces, uppercase: not PVALID
			}
		}
		prev = r
	}
	return true
}

// checkIDNEmail reports whether s is an internationalized mailbox (RFC
// 6531 §3.3): a dot-string or quoted-string local part in which any
// non-ASCII UTF-8 is allowed, "@", and an internationalized hostname or an
// IPv4 or IPv6 address literal. The local part is at most 64 octets, and
// the address with its domain in A-label form at most 254 (RFC 5321
// §4.5.3.1).
func checkIDNEmail(s string) error {
	if len(s) > 64+1+maxIDNBytes || !utf8.ValidString(s) {
		return errIDN
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return errIDN
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || !localPart(local) {
		return errIDN
	}
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		lit := domain[1 : len(domain)-1]
		if v6, ok := strings.CutPrefix(lit, "IPv6:"); ok {
			a, err := netip.ParseAddr(v6)
			if err != nil || !a.Is6() || a.Zone() != "" {
				return errIDN
			}
		} else if a, err := netip.ParseAddr(lit); err != nil || !a.Is4() {
			return errIDN
		}
		return nil
	}
	ascii, err := checkIDNHostname(domain)
	if err != nil || len(local)+1+len(ascii) > 254 {
		return errIDN
	}
	return nil
}

// localPart reports whether s is a Dot-string or Quoted-string of RFC
// 5321 §4.1.2 with atext and qtextSMTP extended by UTF8-non-ascii.
func localPart(s string) bool {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		q := s[1 : len(s)-1]
		for i := 0; i < len(q); i++ {
			switch c := q[i]; {
			case c == '\\':
				if i+1 == len(q) || q[i+1] < 32 || q[i+1] > 126 {
					return false
				}
				i++
			case c == '"' || (c < 32) || c == 127:
				return false
			}
		}
		return true
	}
	for atom := range strings.SplitSeq(s, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			c := atom[i]
			if c >= utf8.RuneSelf {
				continue
			}
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0) {
				return false
			}
		}
	}
	return true
}
