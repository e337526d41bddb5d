package schemacheck

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func defaultLimits(t testing.TB) Limits {
	lim, err := CheckLimits(Limits{}, errTestInvalid)
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

func TestScanAccepts(t *testing.T) {
	t.Parallel()
	s := NewScanner(defaultLimits(t), NewKeySet([]string{"name", "price"}))
	for _, in := range []string{
		`0`, `-0`, `-0.5e-3`, `1E+2`, `123456789`, `"x"`, `true`, `false`, `null`, `[]`, `{}`,
		` [ 1 , 2 ] `, "\t{\"a\":\n[true,false,null]}\r\n",
		`{"name":"a","price":1}`,
		`{"a":{"a":{"a":1}},"b":{"a":2}}`,                  // same key in different objects
		`[{"a":1},{"a":2}]`,                                // and in sibling objects
		`{"na\u006de2":1}`,                                 // an escaped key that is no variant
		`"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`,             // every escape, a surrogate pair
		`"é😀"`,                                             // raw multibyte UTF-8
		`{"NAMEX":1}`,                                      // folds to no declared name
		`1e400`, `1e-400`, `12345678901234567890123456789`, // exponent at the limit, long mantissa
	} {
		if err := s.Scan([]byte(in)); err != nil {
			t.Errorf("scan(%s) = %v, want nil", in, err)
		}
		if !json.Valid([]byte(in)) {
			t.Errorf("test bug: %s is not JSON", in)
		}
	}
}

func TestScanRefuses(t *testing.T) {
	t.Parallel()
	lim := Limits{MaxDepth: 3, MaxObjectKeys: 20, MaxArrayLength: 3, MaxStringLength: 10, MaxNumberLength: 8, MaxExponent: 10, MaxValues: 30}
	lim, _ = CheckLimits(lim, errTestInvalid)
	many := func(n int, dup string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, `"k%d":0,`, i)
		}
		b.WriteString(`"` + dup + `":1}`)
		return b.String()
	}
	tests := []struct {
		in    string
		err   error
		limit string
	}{
		{``, ErrSyntax, ""},
		{`   `, ErrSyntax, ""},
		{"\xef\xbb\xbf{}", ErrSyntax, ""},
		{`{`, ErrSyntax, ""},
		{`[1,]`, ErrSyntax, ""},
		{`[1 2]`, ErrSyntax, ""},
		{`{"a" 1}`, ErrSyntax, ""},
		{`{"a":1,}`, ErrSyntax, ""},
		{`{a:1}`, ErrSyntax, ""},
		{`NaN`, ErrSyntax, ""},
		{`-Infinity`, ErrSyntax, ""},
		{`01`, ErrTrailingData, ""}, // "0" then "1"
		{`1.`, ErrSyntax, ""},
		{`1e`, ErrSyntax, ""},
		{`-`, ErrSyntax, ""},
		{`tru`, ErrSyntax, ""},
		{`"a`, ErrSyntax, ""},
		{`"\x"`, ErrSyntax, ""},
		{`"\u12"`, ErrSyntax, ""},
		{"\"\x01\"", ErrSyntax, ""},
		{`1 2`, ErrTrailingData, ""},
		{`{}x`, ErrTrailingData, ""},
		{"\"\xff\"", ErrInvalidUTF8, ""},
		{"\"\xc0\xaf\"", ErrInvalidUTF8, ""},
		{"\"\xed\xa0\x80\"", ErrInvalidUTF8, ""},
		{`"\ud800"`, ErrInvalidUTF8, ""},
		{`"\ud800\u0041"`, ErrInvalidUTF8, ""},
		{`"\udc00"`, ErrInvalidUTF8, ""},
		{`[[[1]]]`, nil, ""},
		{`[[[[1]]]]`, ErrLimit, "MaxDepth"},
		{`{"a":{"b":{"c":{}}}}`, ErrLimit, "MaxDepth"},
		{`[1,2,3,4]`, ErrLimit, "MaxArrayLength"},
		{many(20, "x"), ErrLimit, "MaxObjectKeys"},
		{`"abcdefghijk"`, ErrLimit, "MaxStringLength"},
		{`{"abcdefghijk":1}`, ErrLimit, "MaxStringLength"},
		{`123456789`, ErrLimit, "MaxNumberLength"},
		{`1e11`, ErrLimit, "MaxExponent"},
		{`1e-11`, ErrLimit, "MaxExponent"},
		{`1e10`, nil, ""},
		{`[[1,2,3],[1,2,3],[1,2,3]]`, nil, ""}, // 13 values
		{`{"a":[[1,2,3],[1,2,3],[1,2,3]],"b":[[1,2,3],[1,2,3],[1,2,3]],"c":[1,2,3]}`, ErrLimit, "MaxValues"}, // 31
		{`{"a":1,"a":2}`, ErrDuplicateKey, ""},
		{`{"a":1,"\u0061":2}`, ErrDuplicateKey, ""},
		{many(18, "k3"), ErrDuplicateKey, ""}, // past linearKeys: the hashed path
		{many(18, "k17"), ErrDuplicateKey, ""},
		{many(18, "k18"), nil, ""},
		{`{"Name":1}`, ErrCaseVariantKey, ""},
		{`{"PRICE":1}`, ErrCaseVariantKey, ""},
		{`{"\u004eame":1}`, ErrCaseVariantKey, ""},
		{`{"a":[{"nAme":1}]}`, ErrCaseVariantKey, ""},
		{"{\"na\u212ae\":1}", nil, ""}, // Kelvin sign folds to k, and "nake" is not declared
		{"{\"ta\u017fk\":1}", ErrCaseVariantKey, ""},
	}
	s := NewScanner(lim, NewKeySet([]string{"name", "price", "task"}))
	for _, tc := range tests {
		err := s.Scan([]byte(tc.in))
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("scan(%q) = %v, want %v", tc.in, err, tc.err)
			continue
		}
		var se *ScanError
		if tc.err != nil && !errors.As(err, &se) {
			t.Errorf("scan(%q): %T is not a *ScanError", tc.in, err)
			continue
		}
		if se != nil && se.Limit != tc.limit {
			t.Errorf("scan(%q): limit %q, want %q", tc.in, se.Limit, tc.limit)
		}
		if se != nil && tc.limit != "" && !strings.Contains(se.Error(), "the limit is "+strconv.Itoa(se.Max)) {
			t.Errorf("scan(%q): message %q does not give the limit", tc.in, se.Error())
		}
	}
}

// TestScanErrorNeverEchoes checks that no error message carries the input.
func TestScanErrorNeverEchoes(t *testing.T) {
	t.Parallel()
	s := NewScanner(defaultLimits(t), NewKeySet([]string{"name"}))
	for _, in := range []string{`{"SECRET":1,"SECRET":2}`, `{"NAME":"SECRET"}`, `"SECRET`, `SECRET`, `["SECRET" 1]`} {
		if err := s.Scan([]byte(in)); err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("scan(%q) = %v", in, err)
		}
	}
}

// TestScanLinear checks the shape of the scanner's cost without timing it:
// a document of n copies of a unit scans in one pass, so the scanner's
// reusable buffers stop growing, and a wide object of distinct keys uses
// the hashed duplicate check (a quadratic one would take minutes at this
// size under -race).
func TestScanLinear(t *testing.T) {
	t.Parallel()
	lim := defaultLimits(t)
	lim.MaxObjectKeys = 1 << 20
	lim.MaxValues = 1 << 30
	var b bytes.Buffer
	b.WriteString("{")
	for i := range 200000 {
		fmt.Fprintf(&b, `"key%d":%d,`, i, i)
	}
	b.WriteString(`"end":0}`)
	s := NewScanner(lim, nil)
	if err := s.Scan(b.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// TestSafe8 checks the eight-byte fast path against the byte table, for
// every byte value in every position and for random words.
func TestSafe8(t *testing.T) {
	t.Parallel()
	check := func(w [8]byte) {
		want := true
		for _, c := range w {
			want = want && safeASCII[c]
		}
		if got := safe8(binary.LittleEndian.Uint64(w[:])); got != want {
			t.Fatalf("safe8(%q) = %v, want %v", w[:], got, want)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			w := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
			w[pos] = byte(c)
			check(w)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		for i := range w { // bias toward the interesting range
			if rng.IntN(2) == 0 {
				w[i] = byte(0x18 + rng.IntN(0x70))
			}
		}
		check(w)
	}
}
