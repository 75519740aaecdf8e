package main

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's resolution: each power of two of nanoseconds
// is split into 2^(subBits-1) equal buckets, so a reported quantile is at
// most 1/64 (1.6 %) above the true value.
const (
	subBits   = 7
	subCount  = 1 << subBits // values below this are counted exactly
	halfCount = subCount / 2 // buckets per power of two above subCount
	// numBuckets covers every non-negative int64.
	numBuckets = (63-subBits)*halfCount + subCount
)

// Histogram counts latencies in log-linear buckets (the layout of an HDR
// histogram): exact below 128 ns, then 64 buckets per power of two. It has a
// fixed size, records without allocating, and two histograms merge by
// adding counts, so each worker keeps its own and the report merges them.
type Histogram struct {
	counts   [numBuckets]uint64
	total    uint64
	min, max time.Duration
}

// bucket returns the index of the bucket that counts v nanoseconds.
func bucket(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits
	return shift*halfCount + int(v>>shift)
}

// upperBound returns the largest value that bucket i counts.
func upperBound(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := i/halfCount - 1
	mantissa := uint64(i%halfCount + halfCount)
	return (mantissa+1)<<shift - 1
}

// Record counts one latency; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucket(uint64(d))]++
	if h.total == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.total++
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
}

// Count returns the number of recorded latencies.
func (h *Histogram) Count() uint64 { return h.total }

// Min returns the smallest recorded latency (exact).
func (h *Histogram) Min() time.Duration { return h.min }

// Max returns the largest recorded latency (exact).
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the latency below or at which a fraction q (0 to 1) of
// the recorded latencies fall: the upper bound of the bucket holding the
// ⌈q·n⌉-th smallest value, never more than Max. It returns 0 when nothing
// was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	rank = min(rank, h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(upperBound(i)), h.max)
		}
	}
	return h.max
}
