package auth

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestDecodeClaims(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		wantErr error
	}{
		{`{}`, nil},
		{` {"a":1,"b":[1,"x",{"c":null}],"d":{"e":true,"f":false},"g":"h\u00e9\"","":""} `, nil},
		{`{"a":1,"a":2}`, errDuplicateClaim},
		{`{"a":1,"\u0061":2}`, errDuplicateClaim},
		{`{"o":{"x":1,"x":1}}`, errDuplicateClaim},
		{`{"a":1e400}`, errBadClaims},
		{`[1]`, errBadClaims},
		{`"x"`, errBadClaims},
		{`{"a":1}x`, errBadClaims},
		{"{\"a\":\"\xff\"}", errBadClaims},
		{`{"a":` + deep(40) + `}`, errBadClaims},
		{`{"a":-0.5e+3,"b":0,"c":1E2}`, nil},
	}
	// Grammar that strconv or a lax scanner would take but JSON does not.
	for _, bad := range []string{`{"a":01}`, `{"a":+1}`, `{"a":.5}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":0x10}`,
		`{"a":1_0}`, `{"a":Infinity}`, `{"a":NaN}`, `{"a":tru}`, `{"a":nul}`, `{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`,
		"{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":1`, `{"a":"x`, `{a:1}`, `{'a':1}`, ``, `{}{}`} {
		cases = append(cases, struct {
			in      string
			wantErr error
		}{bad, errBadClaims})
	}
	for _, tc := range cases {
		got, err := decodeClaims([]byte(tc.in))
		if err != tc.wantErr {
			t.Errorf("decodeClaims(%s) error = %v, want %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil {
			var want map[string]any
			if err := json.Unmarshal([]byte(tc.in), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodeClaims(%s) = %#v, want %#v", tc.in, got, want)
			}
		}
	}
}

func deep(n int) string {
	s := "1"
	for range n {
		s = "[" + s + "]"
	}
	return s
}

// FuzzDecodeClaims is a differential test against encoding/json: whatever
// decodeClaims accepts, encoding/json decodes to the same value; whatever
// encoding/json accepts without duplicates, bad UTF-8 or deep nesting,
// decodeClaims accepts too.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":[1,{"b":"c"}],"d":"\u0041"}`, `{"a":1,"a":1}`, `{"x":-0.5e-3,"y":null,"z":true}`, `[]`,
		`{"a":01}`, `{"a":1.}`, `{"a":[1,]}`, `{"a":"\ud800"}`, `{"a":tru}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeClaims(data)
		var want map[string]any
		jerr := json.Unmarshal(data, &want)
		if err == nil {
			if jerr != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("decodeClaims(%q) = %#v; encoding/json: %#v, %v", data, got, want, jerr)
			}
			return
		}
		if jerr == nil && want != nil && err == errBadClaims && utf8.Valid(data) && !tooDeep(data) {
			t.Fatalf("decodeClaims(%q) refused what encoding/json decodes: %v", data, err)
		}
	})
}

func tooDeep(data []byte) bool {
	depth, maxDepth := 0, 0
	for _, c := range data {
		switch c {
		case '{', '[':
			depth++
			maxDepth = max(maxDepth, depth)
		case '}', ']':
			depth--
		}
	}
	return maxDepth > maxClaimsDepth
}

func TestSplitCompactAndPeek(t *testing.T) {
	t.Parallel()
	if _, err := peekIssuer("e30.e30.AA", 100); CheckOf(err) != "issuer_mismatch" {
		t.Errorf("no iss: %v", err)
	}
	if _, err := peekIssuer("W10.W10.AA", 100); CheckOf(err) != "claims_not_object" {
		t.Errorf("array claims: %v", err)
	}
}
