package query

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

func TestAppendEscaped(t *testing.T) {
	for _, s := range []string{
		"", "plain ASCII text", `"quoted" 'apos' <tag> & amp`, "tab\tnewline\nreturn\r",
		"control\x00\x01\x1f\x7f", "\xff\xfe invalid UTF-8 \xc3", "é ü 日本 \U0001F600", "\uFFFD\uFFFE\uFFFF",
		"\ud7ff\ue000", "a\xed\xa0\x80b", // an encoded surrogate
	} {
		var want bytes.Buffer
		xml.EscapeText(&want, []byte(s))
		if got := appendEscaped([]byte("prefix"), s); string(got) != "prefix"+want.String() {
			t.Errorf("appendEscaped(%q) = %q, want %q", s, got[len("prefix"):], want.String())
		}
	}
}

// FuzzAppendEscaped checks appendEscaped against encoding/xml on arbitrary
// text.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"a<b>&\"'", "\t\n\r\x00", "\xff\uFFFD\uFFFF日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		xml.EscapeText(&want, []byte(s))
		if got := appendEscaped(nil, s); string(got) != want.String() {
			t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, want.String())
		}
	})
}

// The encoder reads structs field by field through a plan compiled per Go
// type; each struct result below must encode exactly as the map holding
// the same members.
type (
	testTag  struct{ Key, Value string }
	testName string
	testUser struct {
		Path       string
		UserName   testName
		UserId     string `aws:"UserId,omitempty"`
		Arn        *string
		CreateDate time.Time
		Tags       []testTag
		Extra      string `aws:"-"`
		unexported string
	}
	testBoundary struct {
		Type string `aws:"PermissionsBoundaryType"`
		Arn  string `aws:"PermissionsBoundaryArn,omitempty"`
	}
	testBase struct {
		Path     string
		UserName string
	}
	testEmbedded struct {
		testBase
		PasswordLastUsed    *time.Time
		PermissionsBoundary any
	}
	testListing struct {
		Users       []*testUser
		IsTruncated bool
		Marker      any
	}
	testKey struct {
		AccessKeyId string
		Status      string
		CreateDate  *time.Time
	}
	testKeys struct {
		AccessKeyMetadata [2]testKey
		IsTruncated       *bool
	}
)

func TestStructResultsEncodeAsMaps(t *testing.T) {
	iam := model.MustLoad("iam")
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	arn := "arn:aws:iam::123456789012:user/a&b"
	yes := true
	tests := []struct {
		name   string
		op     string
		result any
		want   any
	}{
		{"struct pointer", "GetUser",
			map[string]any{"User": &testUser{Path: "/", UserName: "a&b", UserId: "AIDA", Arn: &arn, CreateDate: created,
				Tags: []testTag{{"k", "<v>"}}, Extra: "hidden", unexported: "hidden"}},
			map[string]any{"User": map[string]any{"Path": "/", "UserName": "a&b", "UserId": "AIDA", "Arn": arn,
				"CreateDate": created, "Tags": []any{map[string]any{"Key": "k", "Value": "<v>"}}}}},
		{"omitted, nil and empty fields", "GetUser",
			map[string]any{"User": testUser{Tags: []testTag{}}},
			map[string]any{"User": map[string]any{"Path": "", "UserName": "", "CreateDate": time.Time{}, "Tags": []any{}}}},
		{"embedded struct, interface and pointer fields", "GetUser",
			protocol.Params{"User": &testEmbedded{testBase: testBase{Path: "/p/", UserName: "u"}, PasswordLastUsed: &created,
				PermissionsBoundary: testBoundary{Type: "PermissionsBoundaryPolicy"}}},
			map[string]any{"User": map[string]any{"Path": "/p/", "UserName": "u", "PasswordLastUsed": created,
				"PermissionsBoundary": map[string]any{"PermissionsBoundaryType": "PermissionsBoundaryPolicy"}}}},
		{"nil interface and nil pointer in an interface", "GetUser",
			map[string]any{"User": &testEmbedded{PermissionsBoundary: (*testBoundary)(nil)}},
			map[string]any{"User": map[string]any{"Path": "", "UserName": ""}}},
		{"whole result as a struct", "ListUsers",
			&testListing{Users: []*testUser{{UserName: "x", CreateDate: created}, nil}, IsTruncated: true, Marker: "m"},
			map[string]any{"Users": []any{map[string]any{"Path": "", "UserName": "x", "CreateDate": created}, nil},
				"IsTruncated": true, "Marker": "m"}},
		{"array of structs, bool pointer", "ListAccessKeys",
			testKeys{AccessKeyMetadata: [2]testKey{{AccessKeyId: "AKIA1", Status: "Active", CreateDate: &created}}, IsTruncated: &yes},
			map[string]any{"AccessKeyMetadata": []any{
				map[string]any{"AccessKeyId": "AKIA1", "Status": "Active", "CreateDate": created},
				map[string]any{"AccessKeyId": "", "Status": ""}}, "IsTruncated": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := iam.Operations[tt.op]
			got, err := Marshal(iam, op, tt.result, "r")
			if err != nil {
				t.Fatal(err)
			}
			want, err := Marshal(iam, op, tt.want, "r")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("struct result:\n%s\nmap result:\n%s", got, want)
			}
		})
	}
}

func TestMarshalScalars(t *testing.T) {
	sts := model.MustLoad("sts")
	iam := model.MustLoad("iam")
	type size uint16
	tests := []struct {
		svc    *model.Service
		op     string
		result any
		want   string // the result element's content
	}{
		{sts, "AssumeRole", map[string]any{"PackedPolicySize": size(42)}, "<PackedPolicySize>42</PackedPolicySize>"},
		{sts, "AssumeRole", map[string]any{"PackedPolicySize": int32(-1)}, "<PackedPolicySize>-1</PackedPolicySize>"},
		{iam, "GetRolePolicy", map[string]any{"PolicyDocument": `{"a": "b c"}`, "RoleName": testName("r\"")},
			`<RoleName>r&#34;</RoleName><PolicyDocument>%7B%22a%22%3A%20%22b%20c%22%7D</PolicyDocument>`},
		{iam, "GetCredentialReport", map[string]any{"Content": []byte("a,b\n"), "ReportFormat": "text/csv"},
			"<Content>YSxiCg==</Content><ReportFormat>text/csv</ReportFormat>"},
		{iam, "GetCredentialReport", map[string]any{"Content": "a,b\n"}, "<Content>YSxiCg==</Content>"},
	}
	for _, tt := range tests {
		op := tt.svc.Operations[tt.op]
		b, err := Marshal(tt.svc, op, tt.result, "r")
		if err != nil {
			t.Errorf("%s %v: %v", tt.op, tt.result, err)
			continue
		}
		if !bytes.Contains(b, []byte("<"+tt.op+"Result>"+tt.want+"</"+tt.op+"Result>")) {
			t.Errorf("%s %v: %s, want %s", tt.op, tt.result, b, tt.want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	for _, tm := range []time.Time{
		{}, time.Date(2024, 1, 2, 3, 4, 5, 999, time.UTC), time.Date(2024, 12, 31, 23, 59, 59, 0, time.FixedZone("x", -3600)),
		time.Date(999, 6, 7, 8, 9, 10, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(1700000000, 0),
	} {
		if got, want := string(appendTimestamp(nil, tm)), tm.UTC().Format(TimeFormat); got != want {
			t.Errorf("appendTimestamp(%v) = %s, want %s", tm, got, want)
		}
	}
}
