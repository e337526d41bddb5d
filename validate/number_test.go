package validate_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/apishield/apishield/validate"
)

// TestInt64 reads every JSON form of an integer as that integer, and
// refuses fractions, integers beyond int64 and anything that is not one
// JSON number.
func TestInt64(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want int64
		ok   bool
	}{
		{"plain", json.Number("10"), 10, true},
		{"exponent", json.Number("1e1"), 10, true},
		{"capital exponent", json.Number("0.2E1"), 2, true},
		{"zero fraction", json.Number("5.0"), 5, true},
		{"negative exponent", json.Number("100e-2"), 1, true},
		{"trailing zeros", json.Number("1000e-2"), 10, true},
		{"negative", json.Number("-42"), -42, true},
		{"negative zero", json.Number("-0"), 0, true},
		{"zero with any exponent", json.Number("0.000e999999999999999999999"), 0, true},
		{"max", json.Number("9223372036854775807"), math.MaxInt64, true},
		{"min", json.Number("-9223372036854775808"), math.MinInt64, true},
		{"max in exponent form", json.Number("9.223372036854775807e18"), math.MaxInt64, true},
		{"min in exponent form", json.Number("-92233720368547758.08e2"), math.MinInt64, true},

		{"fraction", json.Number("1.5"), 0, false},
		{"small", json.Number("1e-1"), 0, false},
		{"fraction after shift", json.Number("10000000000000000000001e-1"), 0, false},
		{"huge negative exponent", json.Number("1e-999999999999999999999"), 0, false},
		{"max + 1", json.Number("9223372036854775808"), 0, false},
		{"min - 1", json.Number("-9223372036854775809"), 0, false},
		{"1e19", json.Number("1e19"), 0, false},
		{"1e19 with trailing zeros", json.Number("100000000000000000000e-1"), 0, false},
		{"huge exponent", json.Number("1e999999999999999999999"), 0, false},

		{"empty", json.Number(""), 0, false},
		{"minus alone", json.Number("-"), 0, false},
		{"plus sign", json.Number("+5"), 0, false},
		{"hex", json.Number("0x10"), 0, false},
		{"leading zero", json.Number("010"), 0, false},
		{"leading space", json.Number(" 5"), 0, false},
		{"trailing space", json.Number("5 "), 0, false},
		{"NaN", json.Number("NaN"), 0, false},
		{"Infinity", json.Number("Infinity"), 0, false},
		{"no fraction digits", json.Number("1."), 0, false},
		{"no integer digits", json.Number(".5"), 0, false},
		{"no exponent digits", json.Number("1e+"), 0, false},
		{"underscore", json.Number("1_000"), 0, false},
		{"non-ASCII digit", json.Number("\u0661"), 0, false},
		{"int", 5, 0, false},
		{"float64", 5.0, 0, false},
		{"string", "5", 0, false},
		{"nil", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := validate.Int64(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Int64(%#v) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestFloat64 reads a number within float64's finite range and refuses an
// overflow that json.Number.Float64 would turn into an infinity.
func TestFloat64(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want float64
		ok   bool
	}{
		{"decimal", json.Number("0.5"), 0.5, true},
		{"exponent", json.Number("1e1"), 10, true},
		{"largest", json.Number("1.7976931348623157e308"), math.MaxFloat64, true},
		{"underflow rounds to zero", json.Number("1e-400"), 0, true},
		{"negative", json.Number("-2.5"), -2.5, true},
		{"overflow", json.Number("1.8e308"), 0, false},
		{"1e400", json.Number("1e400"), 0, false},
		{"-1e400", json.Number("-1e400"), 0, false},
		{"NaN", json.Number("NaN"), 0, false},
		{"Inf", json.Number("Inf"), 0, false},
		{"hex float", json.Number("0x1p4"), 0, false},
		{"plus sign", json.Number("+5"), 0, false},
		{"leading zero", json.Number("05"), 0, false},
		{"float64", 0.5, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := validate.Float64(tc.in)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("Float64(%#v) = %g, %v; want %g, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
