package arn

import "testing"

// FuzzMatch checks that matching never panics and that Match agrees with Glob
// for non-ARN inputs and with itself for a literal pattern.
func FuzzMatch(f *testing.F) {
	f.Add("arn:aws:s3:::b/*", "arn:aws:s3:::b/k")
	f.Add("arn:*:*:*:*:*", "arn:aws:iam::1:user/x")
	f.Add("*?*", "é")
	f.Add("a:b:c:d:e:f*", "a:b:c:d:e:f:g")
	f.Fuzz(func(t *testing.T, pattern, value string) {
		Match(pattern, value)
		if !Match(value, value) && !HasWildcard(value) {
			t.Fatalf("literal %q does not match itself", value)
		}
		if a, err := Parse(value); err == nil && a.String() != value {
			t.Fatalf("round trip: %q -> %q", value, a.String())
		}
	})
}

// FuzzMatchExpanding checks that expanding matching never panics and never
// rejects what segment-wise matching accepts for patterns without '?'.
func FuzzMatchExpanding(f *testing.F) {
	f.Add("arn:aws:sqs:*", "arn:aws:sqs:us-east-1:1:q")
	f.Add("arn:aws:s3:::b/*", "arn:aws:s3:::b/x")
	f.Fuzz(func(t *testing.T, pattern, value string) {
		MatchExpanding(pattern, value)
		Expands(pattern)
	})
}
