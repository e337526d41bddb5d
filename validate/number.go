package validate

import (
	"encoding/json"
	"math"
	"math/bits"
	"strconv"
)

// Int64 returns v as an int64 if v is a json.Number (as [Body], [Query],
// [PathParams] and [Headers] give numbers) whose value is an integer that
// an int64 holds, in any of the JSON forms of that integer: 10, 1e1, 10.0
// and 1000e-2 are all 10. ok is false for anything else: another type, a
// fraction, an integer outside the int64 range, or a string that is not
// one JSON number (+5, 0x10, 010, NaN, " 5").
//
// Handlers should read numbers with Int64 and [Float64] rather than
// json.Number's own methods: JSON Schema's "integer" is any number with a
// zero fraction, so a body that a schema accepts may hold 1.0 or 1e1,
// which json.Number.Int64 refuses.
func Int64(v any) (n int64, ok bool) {
	s, isNum := v.(json.Number)
	if !isNum {
		return 0, false
	}
	n, res := parseInt(string(s))
	return n, res == intOK
}

// Float64 returns v as a float64 if v is a json.Number that is one JSON
// number within the finite float64 range (its magnitude at most
// math.MaxFloat64), rounded to the nearest float64 as strconv.ParseFloat
// rounds. ok is false for anything else, including 1e400, which
// json.Number.Float64 would turn into an infinity.
func Float64(v any) (f float64, ok bool) {
	s, isNum := v.(json.Number)
	if !isNum {
		return 0, false
	}
	return parseFloat(string(s))
}

// numberParts are the pieces of one JSON number (RFC 8259 §6).
type numberParts struct {
	neg  bool
	intg string // the integer part's digits: "0" or no leading zero
	frac string // the fraction's digits, possibly none
	exp  int64  // the exponent, saturated at ±maxExp
}

// maxExp saturates an exponent: anything beyond it is out of every range
// this package converts to, and saturating keeps the arithmetic exact.
const maxExp = 1 << 40

// splitNumber splits s into its parts, or reports false if s is not
// exactly one JSON number: no sign but a leading minus, no leading zeros,
// no hexadecimal, no white space, no NaN or Infinity.
func splitNumber(s string) (numberParts, bool) {
	var p numberParts
	i := 0
	if i < len(s) && s[i] == '-' {
		p.neg = true
		i++
	}
	start := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return p, false
	}
	p.intg = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return p, false
		}
		p.frac = s[start:i]
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negExp := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			negExp = s[i] == '-'
			i++
		}
		start = i
		for i < len(s) && isDigit(s[i]) {
			if p.exp < maxExp {
				p.exp = p.exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == start {
			return p, false
		}
		p.exp = min(p.exp, maxExp)
		if negExp {
			p.exp = -p.exp
		}
	}
	return p, i == len(s)
}

// intResult says what parseInt found.
type intResult uint8

const (
	intOK        intResult = iota // an integer an int64 holds
	intNotNumber                  // not one JSON number
	intFraction                   // a number with a non-zero fraction
	intRange                      // an integer outside the int64 range
)

// parseInt reads s, one JSON number, as an int64 exactly, whatever its
// form: 1e1, 10.0 and 1000e-2 are all 10. It costs time linear in len(s),
// whatever the exponent.
func parseInt(s string) (int64, intResult) {
	u, neg, res := parseInteger(s)
	if res != intOK {
		return 0, res
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return int64(u), intOK
	case neg && u <= 1<<63:
		return int64(-u), intOK // -u wraps to -2^63 for u = 2^63, as wanted
	}
	return 0, intRange
}

// parseInteger reads s, one JSON number, as an integer's magnitude and
// sign, exactly: intRange if the magnitude is beyond a uint64.
func parseInteger(s string) (u uint64, neg bool, res intResult) {
	p, ok := splitNumber(s)
	if !ok {
		return 0, false, intNotNumber
	}
	// The value is digits × 10^scale, digits = intg ++ frac.
	digit := func(i int) byte {
		if i < len(p.intg) {
			return p.intg[i]
		}
		return p.frac[i-len(p.intg)]
	}
	n := len(p.intg) + len(p.frac)
	first, last := -1, -1
	for i := range n {
		if digit(i) != '0' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0, p.neg, intOK // every form of zero, -0 included
	}
	// Without its trailing zeros the significand is digits[first:last+1],
	// and the value is that times 10^scale. Both terms are far from
	// overflowing: len(s) < 2^62 and |exp| <= maxExp = 2^40.
	scale := p.exp - int64(len(p.frac)) + int64(n-1-last)
	if scale < 0 {
		return 0, p.neg, intFraction // the last significant digit is after the point
	}
	if int64(last-first+1)+scale > 20 {
		return 0, p.neg, intRange // more than the 20 digits of 2^64
	}
	mulAdd := func(u uint64, d uint64) (uint64, bool) {
		hi, lo := bits.Mul64(u, 10)
		lo, carry := bits.Add64(lo, d, 0)
		return lo, hi == 0 && carry == 0
	}
	for i := first; i <= last; i++ {
		if u, ok = mulAdd(u, uint64(digit(i)-'0')); !ok {
			return 0, p.neg, intRange
		}
	}
	for range scale {
		if u, ok = mulAdd(u, 0); !ok {
			return 0, p.neg, intRange
		}
	}
	return u, p.neg, intOK
}

// parseFloat reads s, one JSON number, as a finite float64.
func parseFloat(s string) (float64, bool) {
	if _, ok := splitNumber(s); !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	// The syntax is checked, so the only error is ErrRange: an overflow to
	// an infinity. (An underflow rounds to zero without one.)
	return f, err == nil
}

// formatFloat writes f the way encoding/json does: plain decimals from
// 1e-6 to 1e21, so an integral value reads back with [Int64], and the
// shortest exponent form beyond.
func formatFloat(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
