package cputime

import "testing"

// TestUsedGrows checks that work shows up in the time used.
func TestUsedGrows(t *testing.T) {
	before := Used(t)
	x := 0
	for i := range 50_000_000 {
		x += i ^ (x >> 3)
	}
	if after := Used(t); after <= before {
		t.Errorf("Used went from %v to %v after a busy loop (x=%d)", before, after, x)
	}
}
