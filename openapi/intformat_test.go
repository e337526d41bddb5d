package openapi

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
)

// TestIntFormatFastPath holds the int32/int64 formats' strconv path for
// plain integers equal to the exact big.Rat answer, and free of
// allocation. (Not parallel: AllocsPerRun.)
func TestIntFormatFastPath(t *testing.T) {
	values := []string{"0", "-0", "007", "-007", "1", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649",
		"123456789012345678", "-123456789012345678", "999999999999999999", "-999999999999999999",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"1.0", "1.5", "1e2", "-1e2", "1E400"}
	for _, f := range []struct {
		name   string
		lo, hi int64
	}{{"int32", math.MinInt32, math.MaxInt32}, {"int64", math.MinInt64, math.MaxInt64}} {
		check := intFormat(f.lo, f.hi)
		for _, v := range values {
			r, ok := new(big.Rat).SetString(v)
			want := ok && r.IsInt() && r.Num().Cmp(big.NewInt(f.lo)) >= 0 && r.Num().Cmp(big.NewInt(f.hi)) <= 0
			if got := check(json.Number(v)) == nil; got != want {
				t.Errorf("%s(%s) valid = %v, want %v", f.name, v, got, want)
			}
		}
		if a := testing.AllocsPerRun(100, func() { _ = check(json.Number("123456")) }); a != 0 {
			t.Errorf("%s allocates %v times on a plain integer, want 0", f.name, a)
		}
	}
}
