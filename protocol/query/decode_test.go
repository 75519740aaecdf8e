package query

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

func form(s string) url.Values {
	v, err := url.ParseQuery(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestDecodeErrors(t *testing.T) {
	iam := model.MustLoad("iam")
	sts := model.MustLoad("sts")
	long := strings.Repeat("a", 65)
	tests := []struct {
		name    string
		svc     *model.Service
		body    string
		code    string
		message string
	}{
		{"missing action", iam, "Version=2010-05-08", "MissingAction", "Missing Action"},
		{"unknown action", iam, "Action=GetUsers&Version=2010-05-08", "InvalidAction", "Could not find operation GetUsers for version 2010-05-08"},
		{"wrong version", iam, "Action=GetUser&Version=2011-06-15", "InvalidAction", "Could not find operation GetUser for version 2011-06-15"},
		{"sts action on iam", iam, "Action=AssumeRole&Version=2010-05-08", "InvalidAction", "Could not find operation AssumeRole for version 2010-05-08"},
		{"missing version", iam, "Action=GetUser", "MissingParameter", "The request must contain the parameter Version"},
		{"missing required", iam, "Action=CreateUser&Version=2010-05-08", "ValidationError",
			"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"too long", iam, "Action=CreateUser&Version=2010-05-08&UserName=" + long, "ValidationError",
			"1 validation error detected: Value '" + long + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"empty and pattern", iam, "Action=CreateUser&Version=2010-05-08&UserName=", "ValidationError",
			"2 validation errors detected: Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"},
		{"path pattern", iam, "Action=CreateUser&Version=2010-05-08&UserName=a&Path=eng", "ValidationError",
			"1 validation error detected: Value 'eng' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"},
		{"enum", iam, "Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=On", "ValidationError",
			"1 validation error detected: Value 'On' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"},
		{"range", iam, "Action=ListUsers&Version=2010-05-08&MaxItems=0", "ValidationError",
			"1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"not a number", iam, "Action=ListUsers&Version=2010-05-08&MaxItems=ten", "ValidationError",
			"1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be a number"},
		{"nested tag key", iam, "Action=TagUser&Version=2010-05-08&UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Value=v", "ValidationError",
			"1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null"},
		{"list gap", iam, "Action=TagUser&Version=2010-05-08&UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.3.Key=k&Tags.member.3.Value=v", "ValidationError",
			"1 validation error detected: Value null at 'tags.2.member' failed to satisfy constraint: Member must not be null"},
		{"huge index", iam, "Action=TagUser&Version=2010-05-08&UserName=a&Tags.member.999999999.Key=k", "ValidationError",
			"1 validation error detected: Value null at 'tags.1.member' failed to satisfy constraint: Member must not be null"},
		{"sts session name", sts, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=a:b", "ValidationError",
			"1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"},
		{"sts duration", sts, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=ab&DurationSeconds=60", "ValidationError",
			"1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"sensitive value not echoed", iam, "Action=CreateLoginProfile&Version=2010-05-08&UserName=a&Password=", "ValidationError",
			"2 validation errors detected: Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeValues(tt.svc, form(tt.body))
			if err == nil {
				t.Fatal("decoded")
			}
			if err.Code != tt.code || err.Message != tt.message || err.Status != 400 {
				t.Errorf("got %s (%d): %s\nwant %s: %s", err.Code, err.Status, err.Message, tt.code, tt.message)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	iam := model.MustLoad("iam")
	sts := model.MustLoad("sts")
	r, err := DecodeValues(iam, form("Action=CreateUser&Version=2010-05-08&UserName=a&Tags=&Unknown.member.1=x"))
	if err != nil {
		t.Fatal(err)
	}
	if tags, ok := r.Params["Tags"].([]any); !ok || len(tags) != 0 || r.Params.Has("Unknown") {
		t.Errorf("params %#v", r.Params)
	}
	// Any parameter order; booleans and timestamps typed by the shape.
	r, err = DecodeValues(iam, form("OnlyAttached=TRUE&Version=2010-05-08&Action=ListPolicies&Scope=Local"))
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := r.Params.Bool("OnlyAttached"); !ok || !b {
		t.Errorf("OnlyAttached %#v", r.Params)
	}
	r, err = DecodeValues(sts, form("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil || r.Operation.Name != "GetCallerIdentity" || len(r.Params) != 0 {
		t.Errorf("GetCallerIdentity: %v %v", r, err)
	}
	// Nested lists out of order.
	r, err = DecodeValues(iam, form("Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn:aws:iam::123456789012:user/a"+
		"&ActionNames.member.2=s3:PutObject&ActionNames.member.1=s3:GetObject"+
		"&ContextEntries.member.1.ContextKeyValues.member.2=y&ContextEntries.member.1.ContextKeyValues.member.1=x"+
		"&ContextEntries.member.1.ContextKeyName=aws:k&ContextEntries.member.1.ContextKeyType=stringList"))
	if err != nil {
		t.Fatal(err)
	}
	if a := r.Params.Strings("ActionNames"); len(a) != 2 || a[0] != "s3:GetObject" {
		t.Errorf("ActionNames %v", a)
	}
	if v := r.Params.Structs("ContextEntries")[0].Strings("ContextKeyValues"); len(v) != 2 || v[0] != "x" || v[1] != "y" {
		t.Errorf("ContextKeyValues %v", v)
	}
}

func TestDecodeHTTP(t *testing.T) {
	iam := model.MustLoad("iam")
	get := httptest.NewRequest(http.MethodGet, "/?Action=GetUser&Version=2010-05-08&UserName=bob", nil)
	if r, err := Decode(iam, get); err != nil || r.Params.String("UserName") != "bob" {
		t.Errorf("GET: %v %v", r, err)
	}
	post := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=GetUser&Version=2010-05-08&UserName=bob%2B1"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r, err := Decode(iam, post); err != nil || r.Params.String("UserName") != "bob+1" {
		t.Errorf("POST: %v %v", r, err)
	}
	bad := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=GetUser&Version=2010-05-08&UserName=%zz"))
	if _, err := Decode(iam, bad); err == nil || err.Code != "MalformedQueryString" {
		t.Errorf("bad escape: %v", err)
	}
	big := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("a", MaxBodyBytes+1)))
	if _, err := Decode(iam, big); err == nil || err.Code != "RequestEntityTooLarge" {
		t.Errorf("big body: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z", "2024-01-02T04:04:05+01:00", "2024-01-02T03:04:05", "1704164645"} {
		if got, ok := ParseTime(s); !ok || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, ok)
		}
	}
	if _, ok := ParseTime("yesterday"); ok {
		t.Error("parsed yesterday")
	}
}

// The query protocol's map and flattened-list encodings, on a synthetic
// shape (IAM and STS take neither as input).
func TestDecodeMapsAndFlattenedLists(t *testing.T) {
	str := &model.Shape{Name: "S", Type: model.String}
	num := &model.Shape{Name: "N", Type: model.Integer}
	m := func(name string, s *model.Shape) *model.Member { return &model.Member{Name: name, Shape: s} }
	input := &model.Shape{Type: model.Structure, Members: []*model.Member{
		m("Attrs", &model.Shape{Type: model.Map, Key: m("", str), Value: m("", num)}),
		m("Named", &model.Shape{Type: model.Map, Key: &model.Member{Shape: str, LocationName: "Name"},
			Value: &model.Member{Shape: str, LocationName: "Val"}}),
		m("Flat", &model.Shape{Type: model.List, Flattened: true, Member: m("", str)}),
		{Name: "Renamed", LocationName: "Other", Shape: &model.Shape{Type: model.List, Member: &model.Member{Shape: str, LocationName: "item"}}},
	}}
	svc := &model.Service{APIVersion: "v1", Operations: map[string]*model.Operation{"Op": {Name: "Op", Input: input}}}
	r, err := DecodeValues(svc, form("Action=Op&Version=v1&Attrs.entry.2.key=b&Attrs.entry.2.value=2&Attrs.entry.1.key=a&Attrs.entry.1.value=1"+
		"&Named.entry.1.Name=x&Named.entry.1.Val=y&Flat.2=second&Flat.1=first&Other.item.1=i"))
	if err != nil {
		t.Fatal(err)
	}
	if a := r.Params["Attrs"].(map[string]any); a["a"] != int64(1) || a["b"] != int64(2) {
		t.Errorf("Attrs %v", a)
	}
	if n := r.Params.StringMap("Named"); n["x"] != "y" {
		t.Errorf("Named %v", n)
	}
	if f := r.Params.Strings("Flat"); len(f) != 2 || f[0] != "first" {
		t.Errorf("Flat %v", f)
	}
	if o := r.Params.Strings("Renamed"); len(o) != 1 || o[0] != "i" {
		t.Errorf("Renamed %v", o)
	}
	_, err = DecodeValues(svc, form("Action=Op&Version=v1&Attrs.entry.1.key=a&Attrs.entry.1.value=one"))
	if err == nil || err.Message != "1 validation error detected: Value 'one' at 'attrs.a' failed to satisfy constraint: Member must be a number" {
		t.Errorf("bad map value: %v", err)
	}
}
