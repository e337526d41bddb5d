package oasparam

import (
	"net/url"
	"testing"
)

// BenchmarkQuery decodes five form parameters and one deepObject, beside
// the floor of url.ParseQuery on the same string (which only splits and
// unescapes: no styles, no types, no limits).
func BenchmarkQuery(b *testing.B) {
	const raw = "limit=50&offset=100&sort=-created&tags=red,green,blue&active=true" +
		"&filter[status]=open&filter[owner]=alice&filter[min]=10"
	ps, err := Compile([]Param{
		{Name: "limit", In: InQuery, Type: TypeInteger},
		{Name: "offset", In: InQuery, Type: TypeInteger},
		{Name: "sort", In: InQuery},
		{Name: "tags", In: InQuery, Shape: ShapeArray, Explode: &explodeFalse},
		{Name: "active", In: InQuery, Type: TypeBoolean},
		{Name: "filter", In: InQuery, Style: StyleDeepObject, Shape: ShapeObject,
			PropTypes: map[string]Type{"status": TypeString, "owner": TypeString, "min": TypeInteger}},
	}, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("oasparam", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ps.Query(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor=url.ParseQuery", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := url.ParseQuery(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
