package oasparam

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCoerce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s       string
		t       Type
		want    any
		refused bool
	}{
		{"abc", TypeString, "abc", false},
		{"0", TypeInteger, json.Number("0"), false},
		{"-0", TypeInteger, json.Number("-0"), false},
		{"-9223372036854775808", TypeInteger, json.Number("-9223372036854775808"), false},
		{"9223372036854775807", TypeInteger, json.Number("9223372036854775807"), false},
		{"-9223372036854775809", TypeInteger, nil, true},
		{"1e2", TypeInteger, nil, true},
		{"", TypeInteger, nil, true},
		{"-", TypeInteger, nil, true},
		{" 1", TypeInteger, nil, true},
		{"2.5", TypeNumber, json.Number("2.5"), false},
		{"-1.5E+10", TypeNumber, json.Number("-1.5E+10"), false},
		{"1e400", TypeNumber, json.Number("1e400"), false},
		{"1e-400", TypeNumber, json.Number("1e-400"), false},
		{"1e401", TypeNumber, nil, true},
		{"1e-0000000000000000000401", TypeNumber, nil, true},
		{"1" + strings.Repeat("0", 64), TypeNumber, nil, true},
		{"01", TypeNumber, nil, true},
		{"1.", TypeNumber, nil, true},
		{".5", TypeNumber, nil, true},
		{"1e", TypeNumber, nil, true},
		{"Infinity", TypeNumber, nil, true},
		{"true", TypeBoolean, true, false},
		{"false", TypeBoolean, false, false},
		{"True", TypeBoolean, nil, true},
		{"1", TypeBoolean, nil, true},
	}
	for _, tt := range tests {
		got, refused := coerce(tt.s, tt.t)
		if (refused != "") != tt.refused || got != tt.want {
			t.Errorf("coerce(%q, %s): got (%#v, %q), want (%#v, refused %t)", tt.s, tt.t, got, refused, tt.want, tt.refused)
		}
	}
}
