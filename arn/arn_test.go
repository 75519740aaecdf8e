package arn

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    ARN
		wantErr bool
	}{
		{in: "arn:aws:iam::123456789012:user/division/alice", want: ARN{"aws", "iam", "", "123456789012", "user/division/alice"}},
		{in: "arn:aws:s3:::bucket/key:with:colons", want: ARN{"aws", "s3", "", "", "bucket/key:with:colons"}},
		{in: "arn:aws-cn:sqs:cn-north-1:123456789012:q", want: ARN{"aws-cn", "sqs", "cn-north-1", "123456789012", "q"}},
		{in: "arn:aws:ecs:us-east-1:123456789012:task/c:1", want: ARN{"aws", "ecs", "us-east-1", "123456789012", "task/c:1"}},
		{in: "arn:aws:iam::aws:policy/AdministratorAccess", want: ARN{"aws", "iam", "", "aws", "policy/AdministratorAccess"}},
		{in: "*", wantErr: true},
		{in: "arn:aws:s3", wantErr: true},
		{in: "arn::s3:::b", wantErr: true},
		{in: "urn:aws:s3:::b", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil {
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"*", "anything at all", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", true},
		// The resource part is one segment: '*' crosses '/'.
		{"arn:aws:s3:::B/*/test/*", "arn:aws:s3:::B/1/2/test/3/x.jpg", true},
		{"arn:aws:s3:::B/*/test/*", "arn:aws:s3:::B/1/2/tost/3/x.jpg", false},
		// '*' stays within a segment before the resource part.
		{"arn:aws:*:us-east-1:*:*", "arn:aws:sqs:us-east-1:123456789012:q", true},
		{"arn:aws:*", "arn:aws:sqs:us-east-1:123456789012:q", false},
		{"arn:aws:sqs:*:123456789012:q", "arn:aws:sqs:eu-west-1:123456789012:q", true},
		{"arn:aws:sqs:us-*:123456789012:q", "arn:aws:sqs:eu-west-1:123456789012:q", false},
		{"arn:aws:sqs:???-west-1:*:q", "arn:aws:sqs:eu-west-1:123456789012:q", false},
		{"arn:aws:sqs:??-west-1:*:q", "arn:aws:sqs:eu-west-1:123456789012:q", true},
		// Case-sensitive.
		{"arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", false},
		{"arn:aws:iam::123456789012:user/*", "arn:aws:iam::123456789012:user/division/alice", true},
		{"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice", true},
		{"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alicia", false},
		// Colons inside the resource part.
		{"arn:aws:ecs:*:*:task/*", "arn:aws:ecs:us-east-1:123456789012:task/c:1", true},
		{"arn:aws:logs:*:*:log-group:/aws/*:*", "arn:aws:logs:us-east-1:1:log-group:/aws/x:log-stream:y", true},
		{"arn:aws:s3:::b", "b", false},
		{"b*", "bucket", true},
		{"", "", true},
		{"arn:aws:s3:::", "arn:aws:s3:::", true},
		{"arn:aws:s3:::x", "arn:aws:s3:::", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.value); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold, want bool
	}{
		{"s3:Get*", "s3:GetObject", false, true},
		{"s3:get*", "s3:GetObject", false, false},
		{"s3:get*", "s3:GetObject", true, true},
		{"iam:?etUser", "iam:GetUser", true, true},
		{"*Object*", "s3:GetObjectTagging", false, true},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"***", "", false, true},
		{"a?", "a", false, false},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.s, tt.fold); got != tt.want {
			t.Errorf("Glob(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		Match("arn:aws:s3:::bucket-*/logs/*/2024/*", "arn:aws:s3:::bucket-17/logs/app/2024/01/x.gz")
	})
	if n != 0 {
		t.Fatalf("Match allocates %v times per call", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	for b.Loop() {
		Match("arn:aws:s3:::bucket-*/logs/*/2024/*", "arn:aws:s3:::bucket-17/logs/app/2024/01/x.gz")
	}
}

func TestMatchExpanding(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"arn:aws:sqs:*", "arn:aws:sqs:us-east-1:111122223333:queue1", true},
		{"arn:aws:sqs:*", "arn:aws:sns:us-east-1:111122223333:queue1", false},
		{"arn:aws:*:queue1", "arn:aws:sqs:us-east-1:111122223333:queue1", true},
		{"arn:aws:s*s:*:111122223333:q", "arn:aws:sqs:us-east-1:111122223333:q", true},
		{"arn:aws:s*s:*:111122223333:q", "arn:aws:s:qs:us-east-1:111122223333:q", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/a:b/c", true},
		{"arn:aws:iam::*", "arn:aws:iam::111122223333:user/x", true},
		{"arn:aws:iam::?", "arn:aws:iam::1:user/x", false},
	}
	for _, tc := range tests {
		if got := MatchExpanding(tc.pattern, tc.value); got != tc.want {
			t.Errorf("MatchExpanding(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
	if !Expands("arn:aws:sqs:*") || !Expands("arn:aws:*:q") || Expands("arn:aws:s3:::b/*") {
		t.Error("Expands")
	}
}

func TestIsAccountID(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"123456789012", true},
		{"000000000000", true},
		{"12345678901", false},
		{"1234567890123", false},
		{"12345678901a", false},
		{"", false},
		{"aws", false},
		{"*", false},
	} {
		if got := IsAccountID(c.s); got != c.want {
			t.Errorf("IsAccountID(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}
