package analyzer

import (
	"os"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/cputime"
)

func TestLearnMoreLink(t *testing.T) {
	for _, tc := range []struct{ code, anchor string }{
		{"INVALID_ACTION", "#access-analyzer-reference-policy-checks-error-invalid-action"},
		{"MISSING_VERSION", "#access-analyzer-reference-policy-checks-general-warning-missing-version"},
		{"PASS_ROLE_WITH_STAR_IN_RESOURCE", "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"},
		{"REDUNDANT_ACTION", "#access-analyzer-reference-policy-checks-suggestion-redundant-action"},
		{"NO_SUCH_CODE", ""},
	} {
		if got := LearnMoreLink(tc.code); got != referenceURL+tc.anchor {
			t.Errorf("LearnMoreLink(%s) = %s", tc.code, got)
		}
	}
}

func TestRank(t *testing.T) {
	order := []FindingType{Error, SecurityWarning, Warning, Suggestion, "OTHER"}
	for i := 1; i < len(order); i++ {
		if order[i-1].Rank() <= order[i].Rank() {
			t.Errorf("%s ranks at or below %s", order[i-1], order[i])
		}
	}
}

// TestLocations checks paths and spans on a document written by hand.
func TestLocations(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObjekt\", \"Resource\": \"*\"}\n}"
	fs := Validate(doc, IdentityPolicy, Options{})
	if len(fs) != 1 || fs[0].IssueCode != "INVALID_ACTION" || fs[0].FindingType != Error {
		t.Fatalf("findings = %+v", fs)
	}
	l := fs[0].Locations[0]
	if got := pathString(l.Path); got != "Statement.Action" {
		t.Errorf("path = %s", got)
	}
	start := strings.Index(doc, `"s3:GetObjekt"`)
	want := Span{Start: Position{Line: 3, Column: 45, Offset: start}, End: Position{Line: 3, Column: 59, Offset: start + 14}}
	if l.Span != want {
		t.Errorf("span = %+v, want %+v", l.Span, want)
	}
}

// TestNeverPanics runs the validator over truncations of valid documents.
func TestNeverPanics(t *testing.T) {
	raw, err := os.ReadFile("testdata/managed_policy_6144.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, typ := range []PolicyType{IdentityPolicy, ResourcePolicy, ServiceControlPolicy, ResourceControlPolicy} {
		for i := 0; i < len(doc); i += 97 {
			Validate(doc[:i], typ, Options{})
		}
	}
}

func BenchmarkValidateManagedPolicy(b *testing.B) {
	raw, err := os.ReadFile("testdata/managed_policy_6144.json")
	if err != nil {
		b.Fatal(err)
	}
	doc := string(raw)
	if len(doc) != 6144 {
		b.Fatalf("the benchmark policy has %d characters, want 6,144 (the managed policy quota)", len(doc))
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	Validate(doc, IdentityPolicy, Options{}) // load the catalogue
	before := cputime.Used(b)
	b.ResetTimer()
	for b.Loop() {
		Validate(doc, IdentityPolicy, Options{})
	}
	// CPU time per validation, which unlike ns/op does not count the time
	// the process waits for a core on a busy machine.
	b.ReportMetric(float64((cputime.Used(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// TestCharacterOffsets checks that offsets count characters, not bytes, in
// documents with non-ASCII text.
func TestCharacterOffsets(t *testing.T) {
	doc := `{"Version": "2012-10-17", "Statement": {"Sid": "Accès", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}}`
	var got *Finding
	for _, f := range Validate(doc, IdentityPolicy, Options{}) {
		if f.IssueCode == "INVALID_ACTION" {
			got = &f
		}
	}
	if got == nil {
		t.Fatal("no INVALID_ACTION finding")
	}
	runes := []rune(doc)
	span := got.Locations[0].Span
	if s := string(runes[span.Start.Offset:span.End.Offset]); s != `"s3:GetObjekt"` || span.Start.Column != span.Start.Offset {
		t.Errorf("span %+v covers %q", span, s)
	}
}

func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		name       string
		candidates []string
		want       string
	}{
		{"s3:GetObjekt", []string{"s3:GetObject", "s3:PutObject"}, " Did you mean s3:GetObject?"},
		{"ec22", []string{"ec2", "ecs"}, " Did you mean ec2?"},
		{"foo", []string{"fis", "fms"}, ""},
		{"s3:Nothing", []string{"s3:GetObject"}, ""},
	} {
		if got := didYouMean(tc.name, tc.candidates); got != tc.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
