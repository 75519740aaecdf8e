package validate

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

func TestInput(t *testing.T) {
	iam := model.MustLoad("iam")
	sts := model.MustLoad("sts")
	ct := model.MustLoad("cloudtrail")
	in := func(svc *model.Service, op string) *model.Shape { return svc.Operations[op].Input }
	tests := []struct {
		name   string
		shape  *model.Shape
		params map[string]any
		want   string // "" for valid
	}{
		{"valid", in(iam, "CreateUser"), map[string]any{"UserName": "alice", "Path": "/a/b/"}, ""},
		{"required", in(iam, "CreateUser"), map[string]any{},
			"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"several members", in(iam, "CreateRole"), map[string]any{"RoleName": strings.Repeat("r", 65), "MaxSessionDuration": int64(100)},
			"3 validation errors detected: Value '" + strings.Repeat("r", 65) + "' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64; " +
				"Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; " +
				"Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{"range max", in(sts, "AssumeRole"), map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1", "DurationSeconds": int64(43201)},
			"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"list too short and too long", in(sts, "AssumeRole"), map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1",
			"ProvidedContexts": []any{}, "TransitiveTagKeys": []any{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13",
				"k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23", "k24", "k25", "k26", "k27", "k28", "k29", "k30", "k31", "k32",
				"k33", "k34", "k35", "k36", "k37", "k38", "k39", "k40", "k41", "k42", "k43", "k44", "k45", "k46", "k47", "k48", "k49", "k50", "k51"}},
			"2 validation errors detected: Value '[k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15, k16, k17, k18, k19, k20, k21, k22, k23, k24, k25, " +
				"k26, k27, k28, k29, k30, k31, k32, k33, k34, k35, k36, k37, k38, k39, k40, k41, k42, k43, k44, k45, k46, k47, k48, k49, k50, k51]' " +
				"at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to 50; " +
				"Value '[]' at 'providedContexts' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"structure in a message", in(sts, "AssumeRole"), map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1",
			"PolicyArns": []any{map[string]any{"arn": "short"}}},
			"1 validation error detected: Value 'short' at 'policyArns.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"nested list element", in(iam, "TagRole"), map[string]any{"RoleName": "r", "Tags": []any{
			map[string]any{"Key": "ok", "Value": ""}, map[string]any{"Key": "", "Value": "v"}}},
			"2 validation errors detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"},
		{"null list element", in(iam, "TagRole"), map[string]any{"RoleName": "r", "Tags": []any{nil}},
			"1 validation error detected: Value null at 'tags.1.member' failed to satisfy constraint: Member must not be null"},
		{"unicode length counts characters", in(iam, "CreateUser"), map[string]any{"UserName": "a", "Tags": []any{
			map[string]any{"Key": strings.Repeat("é", 128), "Value": "v"}}}, ""},
		{"supplementary characters count twice", in(iam, "CreateUser"), map[string]any{"UserName": "a", "Tags": []any{
			map[string]any{"Key": strings.Repeat("😀", 65), "Value": "v"}}},
			"2 validation errors detected: Value '" + strings.Repeat("😀", 65) + "' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128; " +
				"Value '" + strings.Repeat("😀", 65) + "' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"},
		{"enum", in(iam, "ListPolicies"), map[string]any{"Scope": "Everything"},
			"1 validation error detected: Value 'Everything' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"},
		{"timestamp and map untouched", in(ct, "LookupEvents"), map[string]any{"StartTime": time.Unix(0, 0)}, ""},
		{"no input shape", nil, map[string]any{"x": 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := Input(tt.shape, tt.params)
			got := ""
			if len(vs) > 0 {
				got = Message(vs)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		path Path
		want string
	}{
		{Path{{Member: "UserName"}}, "userName"},
		{Path{{Member: "Tags"}, {Index: 3}, {Member: "Key"}}, "tags.3.member.key"},
		{Path{{Member: "ContextEntries"}, {Index: 1}, {Member: "ContextKeyValues"}, {Index: 2}}, "contextEntries.1.member.contextKeyValues.2.member"},
		{Path{{Member: "filter"}, {Key: "resourceType"}}, "filter.resourceType"},
		{Path{{Member: "SAMLMetadataDocument"}}, "sAMLMetadataDocument"},
	}
	for _, tt := range tests {
		if got := tt.path.String(); got != tt.want {
			t.Errorf("%v: %s, want %s", tt.path, got, tt.want)
		}
	}
	p := Path{{Member: "A"}}
	c1, c2 := p[:1:1].Child(Step{Index: 1}), p.Child(Step{Index: 2})
	if c1.String() != "a.1.member" || c2.String() != "a.2.member" {
		t.Error("Child must not share storage between siblings")
	}
}

func TestViolationValues(t *testing.T) {
	tests := []struct {
		v    Violation
		want string
	}{
		{Violation{Path: Path{{Member: "Password"}}, Value: "hunter2", Sensitive: true, Constraint: "c"}, "Value at 'password' failed to satisfy constraint: c"},
		{Violation{Path: Path{{Member: "At"}}, Value: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Constraint: "c"}, "Value '2024-01-02T03:04:05Z' at 'at' failed to satisfy constraint: c"},
		{Violation{Path: Path{{Member: "B"}}, Value: []byte("abc"), Constraint: "c"}, "Value 'java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]' at 'b' failed to satisfy constraint: c"},
		{Violation{Path: Path{{Member: "F"}}, Value: false, Constraint: "c"}, "Value 'false' at 'f' failed to satisfy constraint: c"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}
