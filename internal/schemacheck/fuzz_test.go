package schemacheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// FuzzScan checks the pre-schema scanner against encoding/json. With limits
// too generous to bite, the scanner must accept exactly the valid JSON
// that is valid UTF-8 and has no duplicate keys (and, where \u escapes
// could hide a lone surrogate, accept no more than that). Whatever it
// accepts must decode, and DecodeScanned must give what encoding/json gives.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"\u00e9"}`, `{"a":1,"b":{"a":2}}`, `"\ud83d\ude00"`, `-0.0e+0`,
		`{"a":1,"a":2}`, `[[[[[[1]]]]]]`, `"\ud800"`, "\xef\xbb\xbf{}", `1e999999`, `{"NAME":1}`} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxDepth: maxMaxDepth, MaxObjectKeys: 1 << 30, MaxArrayLength: 1 << 30,
		MaxStringLength: 1 << 30, MaxNumberLength: 1 << 30, MaxExponent: 1 << 30, MaxValues: 1 << 30}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(lim, nil)
		err := s.Scan(data)
		valid := json.Valid(data) && utf8.Valid(data) && !hasDuplicateKeys(data)
		if err == nil && !valid {
			t.Fatalf("scan accepted %q, which is invalid JSON, invalid UTF-8 or has duplicate keys", data)
		}
		if err != nil && valid && !errors.Is(err, ErrLimit) && !bytes.Contains(bytes.ToLower(data), []byte(`\ud`)) && bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) < maxMaxDepth {
			t.Fatalf("scan refused valid %q: %v", data, err)
		}
		if err == nil {
			want, derr := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if derr != nil {
				t.Fatalf("scan accepted %q, encoding/json failed: %v", data, derr)
			}
			if got := DecodeScanned(data, NewKeySet([]string{"a", "name"})); !reflect.DeepEqual(got, want) {
				t.Fatalf("DecodeScanned(%q) = %#v, encoding/json says %#v", data, got, want)
			}
		}
	})
}

// hasDuplicateKeys is the reference duplicate check: encoding/json's token
// stream with a set per object.
func hasDuplicateKeys(data []byte) bool {
	d := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj    bool
		keys   map[string]bool
		expect bool // next string token in this object is a key
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.expect {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			if top != nil && top.obj {
				top.expect = true
			}
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			if top != nil && top.obj {
				top.expect = true
			}
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.obj {
			top.expect = true
		}
	}
}

// FuzzIDN checks the idn-hostname and idn-email checks on arbitrary
// strings: no panic, a valid hostname's A-label form is at most 253 octets
// of LDH labels and is itself valid, and a valid address has an "@".
func FuzzIDN(f *testing.F) {
	for _, s := range []string{"bücher.example", "xn--bcher-kva.example", "\u2603.net", "l\u00b7l", "a\u3002b",
		"\u0915\u094d\u200d\u0937", "joe@[IPv6:::1]", `"a\"b"@example.com`, "xn--7a", "0a.\u05d0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ascii, err := checkIDNHostname(s); err == nil {
			if len(ascii) > 253 || !isASCII(ascii) {
				t.Fatalf("%q is valid with A-label form %q", s, ascii)
			}
			if again, err := checkIDNHostname(ascii); err != nil || again != ascii {
				t.Fatalf("%q is valid, its A-label form %q is not: %q, %v", s, ascii, again, err)
			}
		}
		if checkIDNEmail(s) == nil && !strings.Contains(s, "@") {
			t.Fatalf("%q is a valid address without an @", s)
		}
	})
}
