package jsonnum

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestScanIsJSON: a whole string is one number for Scan exactly when
// encoding/json takes it as one.
func TestScanIsJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "-0", "1", "-1", "10", "01", "-01", "1.", ".1", "1.5", "1e5", "1E+5", "1e-5", "1e", "1e+",
		"-", "", "+1", "1.5e10", "0.0", "00", "1x", "0x1", "1_000", "12345678901234567890", "1.e1", "1e1.5", "NaN", "Infinity"} {
		end, _, ok := Scan(s, 0)
		whole := ok && end == len(s)
		if want := isJSONNumber(s); whole != want {
			t.Errorf("Scan(%q) whole = %v, encoding/json %v", s, whole, want)
		}
	}
	if end, exp, ok := Scan(`[12.5e+07,`, 1); !ok || end != 9 || exp != 7 {
		t.Errorf(`Scan("[12.5e+07,", 1) = %d, %d, %v; want 9, 7, true`, end, exp, ok)
	}
	if _, exp, _ := Scan("15", 0); exp != -1 {
		t.Errorf("a number without exponent: expStart %d, want -1", exp)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{"0", "-1.5e+10", "01", "1e", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.TrimLeft(s, " \t\r\n") != s || strings.TrimRight(s, " \t\r\n") != s {
			return // encoding/json takes whitespace around a value; Scan scans the number alone
		}
		end, _, ok := Scan(s, 0)
		whole := ok && end == len(s)
		if want := isJSONNumber(s); whole != want {
			t.Fatalf("Scan(%q) whole = %v, encoding/json %v", s, whole, want)
		}
	})
}

// isJSONNumber reports whether encoding/json takes s as one JSON value
// that is a number: a valid value that starts as only a number can.
func isJSONNumber(s string) bool {
	return json.Valid([]byte(s)) && s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9')
}
