package model

import (
	"strings"
	"testing"
)

func TestLoadAllServices(t *testing.T) {
	tests := []struct {
		name, protocol, version string
		ops                     int
	}{
		{"iam", ProtocolQuery, "2010-05-08", 176},
		{"sts", ProtocolQuery, "2011-06-15", 11},
		{"organizations", ProtocolJSON, "2016-11-28", 63},
		{"accessanalyzer", ProtocolRESTJSON, "2019-11-01", 39},
		{"cloudtrail", ProtocolJSON, "2013-11-01", 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Protocol != tt.protocol || s.APIVersion != tt.version || len(s.Operations) != tt.ops {
				t.Errorf("got protocol %s version %s %d ops", s.Protocol, s.APIVersion, len(s.Operations))
			}
			again, _ := Load(tt.name)
			if again != s {
				t.Error("Load does not cache")
			}
			for _, sh := range s.Shapes {
				if sh.Pattern != "" && sh.Compiled == nil {
					t.Errorf("shape %s: pattern %q not compiled", sh.Name, sh.Pattern)
				}
			}
		})
	}
	if _, err := Load("s3"); err == nil {
		t.Error("Load(s3) succeeded")
	}
}

func TestShapeDetails(t *testing.T) {
	iam := MustLoad("iam")
	op := iam.Operations["CreateUser"]
	if op.ResultWrapper != "CreateUserResult" || op.Output.Name != "CreateUserResponse" || op.Method != "POST" {
		t.Fatalf("CreateUser: %+v", op)
	}
	var names []string
	for _, m := range op.Input.Members {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, ","); got != "Path,UserName,PermissionsBoundary,Tags" {
		t.Errorf("member order %s", got)
	}
	un := op.Input.MemberByName("UserName")
	if !un.Required || un.Shape.Min == nil || *un.Shape.Min != 1 || *un.Shape.Max != 64 || un.Shape.Pattern != `[\w+=,.@-]+` {
		t.Errorf("UserName: %+v %+v", un, un.Shape)
	}
	if tags := op.Input.MemberByName("Tags").Shape; tags.Type != List || tags.Member.Shape.Name != "Tag" {
		t.Errorf("Tags: %+v", tags)
	}
	if e := iam.Shapes["NoSuchEntityException"].Error; e == nil || e.Code != "NoSuchEntity" || e.Status != 404 {
		t.Errorf("NoSuchEntity error: %+v", e)
	}
	if iam.Operations["DeleteUser"].Output != nil {
		t.Error("DeleteUser has output")
	}
	aa := MustLoad("accessanalyzer")
	get := aa.Operations["GetAnalyzer"]
	if get.Method != "GET" || get.RequestURI != "/analyzer/{analyzerName}" {
		t.Errorf("GetAnalyzer: %+v", get)
	}
	if m := get.Input.MemberByName("analyzerName"); m.Location != "uri" || m.LocationName != "analyzerName" {
		t.Errorf("analyzerName: %+v", m)
	}
	if org := MustLoad("organizations"); org.TargetPrefix != "AWSOrganizationsV20161128" || org.JSONVersion != "1.1" {
		t.Errorf("organizations metadata: %+v", org)
	}
}

func TestCompilePattern(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{`[\w+=,.@-]+`, "alice", true},
		{`[\w+=,.@-]+`, "a:b", false},
		{`[\w+=,.@-]+`, "", false},
		{`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, "/", true},
		{`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, "/a/b/", true},
		{`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, "/a", false},
		{`[\u0009\u000A\u000D\u0020-\u00FF]+`, "{\"a\":\t\"é\"}", true},
		{`[\u0009\u000A\u000D\u0020-\u00FF]+`, "€", false},
		{`[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`, "ok 😀", true},
		{`[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`, "\x01", false},
		{`[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*`, "x😀\t", true},
		{`[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*`, "\n", false},
		{`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, "Ünïcode 12 :/=+-@", true},
		{`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, "a*b", false},
		{`^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, "123456789012", true},
		{`^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, "r-ab12x", true},
		{`^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, "1234567890123", false},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, "my-alias", true},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, "my--alias", false},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, "ab", false},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, "a-", false},
		{`[\w+=,.@:\/-]*`, "arn:aws:iam::1/x", true},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern)
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		if got := p.Match(tt.value); got != tt.want {
			t.Errorf("%s matching %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
	if _, err := CompilePattern(`(a)\1(?<=x)`); err == nil {
		t.Error("unsupported pattern compiled")
	}
}
