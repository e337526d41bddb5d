package ratelimit

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestExpiryHist: the time found for k keys is an expiry some key has, never
// before the k'th soonest, and later by at most 1/1024 of it.
func TestExpiryHist(t *testing.T) {
	t.Parallel()
	for i := 1; i < histBuckets; i++ {
		if got := histIndex(histUpper(i)); got != i {
			t.Fatalf("bucket %d: got its upper edge %d in bucket %d", i, histUpper(i), got)
		}
		if got := histIndex(histUpper(i-1) + 1); got != i {
			t.Fatalf("bucket %d: got the value after bucket %d's edge in bucket %d", i, i-1, got)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		gen  func() int64
		n    int
	}{
		{"tiny", func() int64 { return 1 + rng.Int64N(10) }, 50},
		{"a minute", func() int64 { return 1 + rng.Int64N(60e6) }, 1000},
		{"a year", func() int64 { return 1 + rng.Int64N(366*86400e6) }, 1000},
		{"one key", func() int64 { return 1e6 }, 1},
		{"all alike", func() int64 { return 3600e6 }, 300},
		{"the exact range", func() int64 { return 1 + rng.Int64N(1<<53) }, 500},
		{"clustered", func() int64 { return 1e9 + rng.Int64N(1000) }, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ds := make([]int64, tc.n)
			for i := range ds {
				ds[i] = tc.gen()
			}
			sorted := slices.Sorted(slices.Values(ds))
			for _, k := range []int{1, 2, tc.n / 16, tc.n / 2, tc.n, tc.n + 5} {
				if k < 1 {
					continue
				}
				var h expiryHist
				for _, d := range ds {
					h.add(d)
				}
				if !h.refine(k) {
					t.Fatalf("refine(%d) found nothing among %d", k, tc.n)
				}
				for _, d := range ds {
					h.add(d)
				}
				exact := sorted[min(k, tc.n)-1]
				got := h.within()
				if got < exact || got > exact+exact/1024+1 || !slices.Contains(ds, got) {
					t.Errorf("k=%d: got %d, want an expiry in [%d, +1/1024]", k, got, exact)
				}
			}
		})
	}
	var empty expiryHist
	if empty.refine(3) {
		t.Error("refine on no keys: got true, want false")
	}
}
