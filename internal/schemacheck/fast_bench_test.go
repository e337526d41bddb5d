package schemacheck

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkFastPath compares the fast path with jsonschema v6 alone (the
// floor it replaces for a valid value) on the largest body validate's
// testdata schema allows (about 0.5 KiB), in one run.
func BenchmarkFastPath(b *testing.B) {
	s := fastCompile(b, hostileSchema(b))
	var tags []string
	for i := range 10 {
		tags = append(tags, fmt.Sprintf(`"tag-%d-%s"`, i, strings.Repeat("é", 26)))
	}
	body := `{"name":"` + strings.Repeat("widget ", 14) + `","price":12.5,"tags":[` + strings.Join(tags, ",") + `]}`
	v := decodeJSON(b, body)
	if !FastValid(s, v) {
		b.Fatal("the fast path does not decide the body")
	}
	n := fastFor(s)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if !n.valid(v, 0) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("floor=jsonschema", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := s.Validate(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
