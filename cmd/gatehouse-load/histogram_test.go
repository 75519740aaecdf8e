package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestBucketBounds checks that every value falls in a bucket whose upper
// bound is at least the value and at most 1/64 above it, and that bucket
// indexes grow with the value.
func TestBucketBounds(t *testing.T) {
	values := []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 123456789, 1<<62 + 12345, 1<<63 - 1}
	prev := -1
	for _, v := range values {
		i := bucket(v)
		if i < prev || i >= numBuckets {
			t.Fatalf("bucket(%d) = %d after %d (numBuckets %d)", v, i, prev, numBuckets)
		}
		prev = i
		ub := upperBound(i)
		if ub < v || float64(ub-v) > float64(v)/64 {
			t.Errorf("upperBound(bucket(%d)) = %d", v, ub)
		}
		if i > 0 && upperBound(i-1) >= v {
			t.Errorf("value %d also fits bucket %d (upper bound %d)", v, i-1, upperBound(i-1))
		}
	}
}

// TestQuantile compares quantiles with the exact order statistics of the
// same samples.
func TestQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		samples []time.Duration
	}{
		{"one", []time.Duration{3 * time.Millisecond}},
		{"small exact", []time.Duration{5, 1, 4, 2, 3}},
		{"uniform", func() []time.Duration {
			s := make([]time.Duration, 10000)
			for i := range s {
				s[i] = time.Duration(rng.Int64N(int64(20 * time.Millisecond)))
			}
			return s
		}()},
		{"long tail", func() []time.Duration {
			s := make([]time.Duration, 5000)
			for i := range s {
				s[i] = time.Duration(rng.ExpFloat64() * float64(time.Millisecond))
			}
			return s
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, d := range tt.samples {
				h.Record(d)
			}
			sorted := slices.Sorted(slices.Values(tt.samples))
			if h.Count() != uint64(len(sorted)) || h.Min() != sorted[0] || h.Max() != sorted[len(sorted)-1] {
				t.Fatalf("count %d min %v max %v, want %d %v %v", h.Count(), h.Min(), h.Max(), len(sorted), sorted[0], sorted[len(sorted)-1])
			}
			for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
				rank := max(int(float64(len(sorted))*q+0.999999999), 1)
				want := sorted[rank-1]
				got := h.Quantile(q)
				if got < want || float64(got-want) > float64(want)/64 {
					t.Errorf("Quantile(%v) = %v, want %v (within 1/64 above)", q, got, want)
				}
			}
		})
	}
}

func TestEmptyAndMerge(t *testing.T) {
	var a, b, empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Max() != 0 {
		t.Fatal("empty histogram reports a latency")
	}
	a.Record(2 * time.Millisecond)
	b.Record(time.Millisecond)
	b.Record(-time.Second) // counts as zero
	a.Merge(&empty)
	a.Merge(&b)
	if a.Count() != 3 || a.Min() != 0 || a.Max() != 2*time.Millisecond {
		t.Fatalf("merged: count %d min %v max %v", a.Count(), a.Min(), a.Max())
	}
	if got := a.Quantile(0.5); got < time.Millisecond || got > time.Millisecond+time.Millisecond/64 {
		t.Fatalf("merged median %v", got)
	}
}
