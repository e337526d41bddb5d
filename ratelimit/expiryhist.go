package ratelimit

import "math/bits"

const (
	// histBuckets is the number of coarse buckets of an expiryHist: exact
	// counts for 1 to 7, then four per power of two up to 2⁶⁴.
	histBuckets = 252
	// fineBuckets is the number of linear buckets the refining scan splits
	// the chosen coarse bucket into.
	fineBuckets = 256
)

// expiryHist finds, without sorting or allocating, when at least k of a
// shard's keys will have expired, from two scans of the keys' expiries
// (microseconds from now, ≥ 1). The first counts them in log-linear
// buckets to find the bucket holding the k'th soonest; the second splits
// that bucket into linear ones, remembering the latest expiry in each, so
// the answer is an expiry some key actually has, at most 1/1024 of it
// later than the k'th soonest (and exact when that sub-bucket holds one
// value).
type expiryHist struct {
	coarse [histBuckets]int
	total  int

	refining   bool
	rank       int    // the k'th soonest is the rank'th of the chosen bucket
	lo, hi     uint64 // the chosen bucket's range
	width      uint64 // of each fine bucket
	fine       [fineBuckets]int
	fineLatest [fineBuckets]int64
}

func histIndex(d uint64) int {
	e := bits.Len64(d)
	if e <= 3 {
		return int(d)
	}
	return 4*e + int(d>>(e-3)&3) - 8
}

// histUpper is the largest d in coarse bucket i.
func histUpper(i int) uint64 {
	if i < 8 {
		return uint64(i)
	}
	e, sub := (i+8)/4, uint64((i+8)%4)
	return (5+sub)<<(e-3) - 1
}

// add counts a key that expires d ≥ 1 microseconds from now: in the first
// scan into the coarse buckets, in the second into the fine ones if it
// falls in the chosen bucket.
func (h *expiryHist) add(d int64) {
	u := uint64(d)
	if !h.refining {
		h.coarse[histIndex(u)]++
		h.total++
		return
	}
	if u < h.lo || u > h.hi {
		return
	}
	j := (u - h.lo) / h.width
	h.fine[j]++
	h.fineLatest[j] = max(h.fineLatest[j], d)
}

// refine ends the first scan: it chooses the bucket holding the k'th
// soonest expiry, or the latest if fewer were counted, for the second. It
// reports false if nothing was counted.
func (h *expiryHist) refine(k int) bool {
	k = min(k, h.total)
	if k <= 0 {
		return false
	}
	seen := 0
	for i, n := range h.coarse {
		if n > 0 && seen+n >= k {
			// i ≥ 1: expiries are at least 1µs away.
			h.refining, h.rank = true, k-seen
			h.lo, h.hi = histUpper(i-1)+1, histUpper(i)
			h.width = (h.hi-h.lo)/fineBuckets + 1
			return true
		}
		seen += n
	}
	return false // unreachable: total counts every key
}

// within returns, after the second scan, a time in microseconds from now
// by which at least k keys will have expired.
func (h *expiryHist) within() int64 {
	seen := 0
	for j, n := range h.fine {
		if seen += n; seen >= h.rank {
			return h.fineLatest[j]
		}
	}
	return int64(min(h.hi, 1<<62)) // unreachable when the scans agree
}
