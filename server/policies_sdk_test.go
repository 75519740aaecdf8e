package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

const readOnlyAccess = "arn:aws:iam::aws:policy/ReadOnlyAccess"

// coreLargeClient is a root IAM client for tests of large responses. Its
// HTTP client hides the io.WriterTo of request bodies: smithy-go's request
// body wrapper answers WriteTo with io.EOF once closed, and the SDK closes it
// as soon as the response arrives; when that beats net/http's final read of
// the request body (it often does on loopback), the transport takes the EOF
// for a write error and closes the connection, and decoding a response over
// about 4 KB fails with "use of closed network connection" (seen against a
// static httptest server too). Reading the body through Read alone ends
// cleanly at EOF.
func coreLargeClient(ts *testserver.Server) *iamsdk.Client {
	return iamsdk.NewFromConfig(ts.RootConfig(), func(o *iamsdk.Options) { o.HTTPClient = readOnlyBodyDoer{} })
}

// readOnlyBodyDoer sends requests with http.DefaultClient, their bodies
// reduced to io.ReadCloser.
type readOnlyBodyDoer struct{}

func (readOnlyBodyDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return http.DefaultClient.Do(req)
}

func TestManagedPolicyLifecycle(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account
	v1 := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"iam:ListUsers\", \"Resource\": \"*\"}]\n}"

	p := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("Mine"), Path: aws.String("/team/"),
		Description: aws.String("mine"), PolicyDocument: aws.String(v1),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}})).Policy
	arn := *p.Arn
	if arn != "arn:aws:iam::"+acct+":policy/team/Mine" || *p.DefaultVersionId != "v1" || *p.AttachmentCount != 0 ||
		!p.IsAttachable || !strings.HasPrefix(*p.PolicyId, "ANPA") || *p.Path != "/team/" {
		t.Fatalf("CreatePolicy: %+v", p)
	}
	missingARN := "arn:aws:iam::" + acct + ":policy/none"
	missing := "Policy " + missingARN + " does not exist or is not attachable."
	none := aws.String(missingARN)
	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"duplicate name, other case", must2(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("MINE"), PolicyDocument: aws.String(v1)})),
			"EntityAlreadyExists", "A policy called MINE already exists. Duplicate names are not allowed."},
		{"malformed document", must2(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("bad"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`)})), "MalformedPolicyDocument", ""},
		{"not JSON", must2(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`Statement`)})),
			"MalformedPolicyDocument", ""},
		{"over 6144 characters", must2(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("big"), PolicyDocument: aws.String(bigPolicy(6200))})),
			"LimitExceeded", "Cannot exceed quota for PolicySize: 6144"},
		{"GetPolicy missing", must2(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: none})), "NoSuchEntity", missing},
		{"DeletePolicy missing", must2(root.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: none})), "NoSuchEntity", missing},
		{"CreatePolicyVersion missing", must2(root.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: none, PolicyDocument: aws.String(v1)})), "NoSuchEntity", missing},
		{"CreatePolicyVersion malformed", must2(root.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: aws.String(`{}`)})), "MalformedPolicyDocument", ""},
		{"GetPolicyVersion missing policy", must2(root.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: none, VersionId: aws.String("v1")})), "NoSuchEntity", missing},
		{"GetPolicyVersion missing version", must2(root.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v9")})),
			"NoSuchEntity", "Policy " + arn + " version v9 does not exist or is not attachable."},
		{"DeletePolicyVersion missing version", must2(root.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v9")})),
			"NoSuchEntity", "Policy " + arn + " version v9 does not exist or is not attachable."},
		{"SetDefaultPolicyVersion missing version", must2(root.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v9")})),
			"NoSuchEntity", "Policy " + arn + " version v9 does not exist or is not attachable."},
		{"ListPolicyVersions missing", must2(root.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: none})), "NoSuchEntity", missing},
		{"TagPolicy missing", must2(root.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: none, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})), "NoSuchEntity", missing},
		{"UntagPolicy missing", must2(root.UntagPolicy(ctx, &iamsdk.UntagPolicyInput{PolicyArn: none, TagKeys: []string{"k"}})), "NoSuchEntity", missing},
		{"ListPolicyTags missing", must2(root.ListPolicyTags(ctx, &iamsdk.ListPolicyTagsInput{PolicyArn: none})), "NoSuchEntity", missing},
		{"wrong path in ARN", must2(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/Mine")})), "NoSuchEntity", ""},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.err, e.code, e.msg)
	}

	// A user with the policy attached gets the default version's permissions.
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: &arn}))
	alice := coreKeyClient(t, ts, "alice")
	must(alice.ListUsers(ctx, &iamsdk.ListUsersInput{}))
	wantCode(t, "v1 does not allow ListRoles", must2(alice.ListRoles(ctx, &iamsdk.ListRolesInput{})), "AccessDenied", "")

	// Versions v2..v5; v3 becomes the default; a sixth is over quota.
	docs := map[string]string{"v1": v1}
	for i := 2; i <= 5; i++ {
		doc := coreAllow("iam:ListUsers", fmt.Sprintf("iam:ListRoles%s", strings.Repeat("*", i%2)))
		if i == 3 {
			doc = "{ \"Version\": \"2012-10-17\",\n \"Statement\": {\"Effect\": \"Allow\", \"Action\": [\"iam:ListUsers\", \"iam:ListRoles\"], \"Resource\": \"*\"} }"
		}
		v := must(root.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: aws.String(doc),
			SetAsDefault: i == 3})).PolicyVersion
		id := fmt.Sprintf("v%d", i)
		if *v.VersionId != id || v.IsDefaultVersion != (i == 3) || v.Document != nil {
			t.Fatalf("CreatePolicyVersion %d: %+v", i, v)
		}
		docs[id] = doc
	}
	wantCode(t, "sixth version", must2(root.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: aws.String(v1)})),
		"LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	for id, doc := range docs {
		v := must(root.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: &arn, VersionId: aws.String(id)})).PolicyVersion
		coreDecoded(t, "GetPolicyVersion "+id, v.Document, doc)
		if v.IsDefaultVersion != (id == "v3") {
			t.Fatalf("%s IsDefaultVersion %v", id, v.IsDefaultVersion)
		}
	}
	if got := must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: &arn})).Policy; *got.DefaultVersionId != "v3" || *got.AttachmentCount != 1 {
		t.Fatalf("GetPolicy after SetAsDefault: %+v", got)
	}
	must(alice.ListRoles(ctx, &iamsdk.ListRolesInput{}))

	var defaults []string
	pages := corePages(t, "ListPolicyVersions", 2, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: &arn, MaxItems: aws.Int32(2), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		var ids []string
		for _, v := range o.Versions {
			ids = append(ids, *v.VersionId)
			if v.IsDefaultVersion {
				defaults = append(defaults, *v.VersionId)
			}
			if v.Document != nil {
				t.Fatalf("ListPolicyVersions returned a document")
			}
		}
		return ids, o.IsTruncated, o.Marker, nil
	})
	if got := coreFlatten(pages); len(got) != 5 || len(pages) != 3 || len(defaults) != 1 || defaults[0] != "v3" {
		t.Fatalf("ListPolicyVersions: %v, defaults %v", pages, defaults)
	}

	// Default version switches; it cannot be deleted; the policy cannot be
	// deleted while it has other versions or attachments.
	must(root.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v1")}))
	wantCode(t, "v1 is the default again", must2(alice.ListRoles(ctx, &iamsdk.ListRolesInput{})), "AccessDenied", "")
	wantCode(t, "delete default version", must2(root.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v1")})),
		"DeleteConflict", "Cannot delete the default version of a policy.")
	wantCode(t, "delete attached policy", must2(root.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: &arn})),
		"DeleteConflict", "Cannot delete a policy attached to entities.")
	must(root.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: &arn}))
	wantCode(t, "delete policy with versions", must2(root.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: &arn})), "DeleteConflict",
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	must(root.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v5")}))
	// Version ids keep counting after a deletion.
	if v := must(root.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: aws.String(v1)})).PolicyVersion; *v.VersionId != "v6" {
		t.Fatalf("version after deletion: %s", *v.VersionId)
	}
	for _, id := range []string{"v2", "v3", "v4", "v6"} {
		must(root.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: aws.String(id)}))
	}

	// Tags.
	must(root.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: &arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")},
		{Key: aws.String("OWNER"), Value: aws.String("you")}, {Key: aws.String("b"), Value: aws.String("2")}}}))
	must(root.UntagPolicy(ctx, &iamsdk.UntagPolicyInput{PolicyArn: &arn, TagKeys: []string{"b"}}))
	pages = corePages(t, "ListPolicyTags", 1, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListPolicyTags(ctx, &iamsdk.ListPolicyTagsInput{PolicyArn: &arn, MaxItems: aws.Int32(1), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		var kv []string
		for _, tg := range o.Tags {
			kv = append(kv, *tg.Key+"="+*tg.Value)
		}
		return kv, o.IsTruncated, o.Marker, nil
	})
	coreWantPages(t, "ListPolicyTags", pages, 1, []string{"OWNER=you", "a=1"})

	must(root.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: &arn}))
	wantCode(t, "deleted policy", must2(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: &arn})), "NoSuchEntity",
		"Policy "+arn+" does not exist or is not attachable.")
	wantCode(t, "attach deleted policy", must2(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: &arn})),
		"NoSuchEntity", "Policy "+arn+" does not exist or is not attachable.")
}

func TestListPoliciesScopes(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := coreLargeClient(ts) // large responses
	var local, team []string
	for i := range 5 {
		name, path := fmt.Sprintf("pol%d", i), "/"
		if i >= 3 {
			path = "/team/"
		}
		p := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String(name), Path: aws.String(path),
			PolicyDocument: aws.String(coreAllow("s3:GetObject"))})).Policy
		local = append(local, *p.Arn)
		if i >= 3 {
			team = append(team, *p.Arn)
		}
	}
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(local[1])}))
	must(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(readOnlyAccess)}))

	list := func(in iamsdk.ListPoliciesInput, max int) []string {
		t.Helper()
		what := fmt.Sprintf("ListPolicies %s %v max %d", in.Scope, in.OnlyAttached, max)
		in.MaxItems = aws.Int32(int32(max))
		pages := corePages(t, what, max, func(m *string) ([]string, bool, *string, error) {
			in := in
			in.Marker = m
			o, err := root.ListPolicies(ctx, &in)
			if err != nil {
				return nil, false, nil, err
			}
			var arns []string
			for _, p := range o.Policies {
				arns = append(arns, *p.Arn)
			}
			return arns, o.IsTruncated, o.Marker, nil
		})
		return coreFlatten(pages)
	}
	cases := []struct {
		name string
		in   iamsdk.ListPoliciesInput
		max  int
		want []string
	}{
		{"local", iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}, 2, local},
		{"local path", iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/team/")}, 1, team},
		{"local attached", iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true}, 1, local[1:2]},
		{"all attached", iamsdk.ListPoliciesInput{OnlyAttached: true}, 1, []string{local[1], readOnlyAccess}},
	}
	// Listings leave tags out (GetPolicy has them).
	must(root.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: aws.String(local[0]), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	for _, p := range must(root.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})).Policies {
		if p.Tags != nil {
			t.Fatalf("ListPolicies returned tags: %+v", p)
		}
	}
	if tags := must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(local[0])})).Policy.Tags; len(tags) != 1 {
		t.Fatalf("GetPolicy tags: %+v", tags)
	}
	for _, c := range cases {
		if got := list(c.in, c.max); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Fatalf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	// PolicyUsageFilter (with OnlyAttached) tells permissions policies from
	// boundaries; AWS managed boundaries are counted too.
	must(root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String(local[2])}))
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(coreTrust),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}))
	usage := []struct {
		filter types.PolicyUsageType
		want   map[string][2]int32 // ARN → AttachmentCount, PermissionsBoundaryUsageCount
	}{
		{"", map[string][2]int32{local[1]: {1, 0}, local[2]: {0, 1}, readOnlyAccess: {1, 0}, "arn:aws:iam::aws:policy/PowerUserAccess": {0, 1}}},
		{types.PolicyUsageTypePermissionsPolicy, map[string][2]int32{local[1]: {1, 0}, readOnlyAccess: {1, 0}}},
		{types.PolicyUsageTypePermissionsBoundary, map[string][2]int32{local[2]: {0, 1}, "arn:aws:iam::aws:policy/PowerUserAccess": {0, 1}}},
	}
	for _, u := range usage {
		got := map[string][2]int32{}
		for _, p := range must(root.ListPolicies(ctx, &iamsdk.ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: u.filter})).Policies {
			got[*p.Arn] = [2]int32{*p.AttachmentCount, *p.PermissionsBoundaryUsageCount}
		}
		if fmt.Sprint(got) != fmt.Sprint(u.want) {
			t.Fatalf("ListPolicies OnlyAttached PolicyUsageFilter=%q: %v, want %v", u.filter, got, u.want)
		}
	}
	must(root.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("alice")}))
	must(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")}))

	// AWS managed policies: every page holds only aws policies, and page
	// sizes do not change what is listed.
	big := list(iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeAws}, 1000)
	small := list(iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeAws}, 250)
	if len(big) < 100 || strings.Join(big, " ") != strings.Join(small, " ") {
		t.Fatalf("Scope=AWS: %d vs %d policies", len(big), len(small))
	}
	found := false
	for _, a := range big {
		if !strings.HasPrefix(a, "arn:aws:iam::aws:policy/") {
			t.Fatalf("Scope=AWS listed %s", a)
		}
		found = found || a == readOnlyAccess
	}
	if !found {
		t.Fatal("Scope=AWS lacks ReadOnlyAccess")
	}
	if all := list(iamsdk.ListPoliciesInput{}, 1000); len(all) != len(big)+len(local) {
		t.Fatalf("Scope=All: %d policies, want %d", len(all), len(big)+len(local))
	}
}

func TestAWSManagedPolicies(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := coreLargeClient(ts) // large responses
	ro := aws.String(readOnlyAccess)

	t.Run("read", func(t *testing.T) {
		// Every account may read AWS managed policies.
		p := must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: ro}))
		if *p.Policy.PolicyName != "ReadOnlyAccess" || *p.Policy.Arn != readOnlyAccess || p.Policy.DefaultVersionId == nil {
			t.Fatalf("GetPolicy ReadOnlyAccess: %+v", p.Policy)
		}
		v := must(root.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: ro, VersionId: p.Policy.DefaultVersionId})).PolicyVersion
		if !v.IsDefaultVersion || v.Document == nil {
			t.Fatalf("GetPolicyVersion ReadOnlyAccess: %+v", v)
		}
		var doc struct{ Statement []map[string]any }
		if dec, err := url.QueryUnescape(*v.Document); err != nil || json.Unmarshal([]byte(dec), &doc) != nil || len(doc.Statement) == 0 {
			t.Fatalf("ReadOnlyAccess document does not decode to a policy: %.200q (%v)", *v.Document, err)
		}
		wantCode(t, "GetPolicyVersion of another version", must2(root.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: ro,
			VersionId: aws.String("v999")})), "NoSuchEntity", "Policy "+readOnlyAccess+" version v999 does not exist or is not attachable.")
		if vs := must(root.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: ro})).Versions; len(vs) != 1 || *vs[0].VersionId != *p.Policy.DefaultVersionId {
			t.Fatalf("ListPolicyVersions ReadOnlyAccess: %+v", vs)
		}
		wantCode(t, "unknown AWS managed policy", must2(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicyHere")})),
			"NoSuchEntity", "Policy arn:aws:iam::aws:policy/NoSuchPolicyHere does not exist or is not attachable.")
	})

	// attached lists the AWS managed policies attached in the account with
	// their AttachmentCount.
	attached := func() map[string]int32 {
		out := map[string]int32{}
		for _, p := range must(root.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, OnlyAttached: true})).Policies {
			out[*p.Arn] = *p.AttachmentCount
		}
		return out
	}
	if a := attached(); len(a) != 0 {
		t.Fatalf("attached before: %v", a)
	}
	// Attach to a user, a group and a role; AttachmentCount counts them.
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}))
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(coreTrust)}))
	must(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: ro}))
	must(root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: ro}))
	must(root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: ro}))
	if a := attached(); len(a) != 1 || a[readOnlyAccess] != 3 {
		t.Fatalf("attached: %v", a)
	}
	if ap := must(root.ListAttachedUserPolicies(ctx, &iamsdk.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})).AttachedPolicies; len(ap) != 1 ||
		*ap[0].PolicyName != "ReadOnlyAccess" || *ap[0].PolicyArn != readOnlyAccess {
		t.Fatalf("ListAttachedUserPolicies: %+v", ap)
	}
	alice := coreKeyClient(t, ts, "alice")
	must(alice.ListUsers(ctx, &iamsdk.ListUsersInput{}))
	must(alice.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("app")}))
	// An IAM user allowed iam:GetPolicy reads it too, with its counts.
	if p := must(alice.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: ro})).Policy; *p.AttachmentCount != 3 || *p.PermissionsBoundaryUsageCount != 0 {
		t.Fatalf("GetPolicy as alice: %+v", p)
	}
	wantCode(t, "ReadOnlyAccess does not allow CreateUser", must2(alice.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")})),
		"AccessDenied", "User: arn:aws:iam::"+testserver.Account+":user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+
			testserver.Account+":user/bob because no identity-based policy allows the iam:CreateUser action")
	must(root.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: ro}))
	wantCode(t, "after detach", must2(alice.ListUsers(ctx, &iamsdk.ListUsersInput{})), "AccessDenied", "")
	must(root.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: ro}))
	if a := attached(); a[readOnlyAccess] != 1 {
		t.Fatalf("attached after two detaches: %v", a)
	}
	must(root.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: ro}))
	if a := attached(); len(a) != 0 {
		t.Fatalf("attached after detaching all: %v", a)
	}
}

// holderOps drives the inline and attached policy operations of one kind of
// holder (user, group or role) through the SDK.
type holderOps struct {
	kind         string
	create       func(name string) error
	put          func(name, policy, doc string) error
	get          func(name, policy string) (string, error)
	getHolder    func(name, policy string) (string, error) // the holder name Get*Policy returns
	del          func(name, policy string) error
	list         func(name string, max int32, marker *string) ([]string, bool, *string, error)
	attach       func(name, arn string) error
	detach       func(name, arn string) error
	listAttached func(name string, max int32, marker *string) ([]string, bool, *string, error)
	inlineLimit  int
	quotaName    string
}

func coreHolders(ctx context.Context, root *iamsdk.Client) []holderOps {
	return []holderOps{
		{kind: "user", inlineLimit: 2048, quotaName: "PoliciesPerUser",
			create: func(n string) error { return must2(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: &n})) },
			put: func(n, p, d string) error {
				return must2(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: &n, PolicyName: &p, PolicyDocument: &d}))
			},
			get: func(n, p string) (string, error) {
				o, err := root.GetUserPolicy(ctx, &iamsdk.GetUserPolicyInput{UserName: &n, PolicyName: &p})
				if err != nil {
					return "", err
				}
				return *o.PolicyDocument, nil
			},
			getHolder: func(n, p string) (string, error) {
				o, err := root.GetUserPolicy(ctx, &iamsdk.GetUserPolicyInput{UserName: &n, PolicyName: &p})
				if err != nil {
					return "", err
				}
				return *o.UserName, nil
			},
			del: func(n, p string) error {
				return must2(root.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: &n, PolicyName: &p}))
			},
			list: func(n string, max int32, m *string) ([]string, bool, *string, error) {
				o, err := root.ListUserPolicies(ctx, &iamsdk.ListUserPoliciesInput{UserName: &n, MaxItems: &max, Marker: m})
				if err != nil {
					return nil, false, nil, err
				}
				return o.PolicyNames, o.IsTruncated, o.Marker, nil
			},
			attach: func(n, a string) error {
				return must2(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: &n, PolicyArn: &a}))
			},
			detach: func(n, a string) error {
				return must2(root.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: &n, PolicyArn: &a}))
			},
			listAttached: func(n string, max int32, m *string) ([]string, bool, *string, error) {
				o, err := root.ListAttachedUserPolicies(ctx, &iamsdk.ListAttachedUserPoliciesInput{UserName: &n, MaxItems: &max, Marker: m})
				if err != nil {
					return nil, false, nil, err
				}
				return attachedNames(o.AttachedPolicies), o.IsTruncated, o.Marker, nil
			}},
		{kind: "group", inlineLimit: 5120, quotaName: "PoliciesPerGroup",
			create: func(n string) error { return must2(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: &n})) },
			put: func(n, p, d string) error {
				return must2(root.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: &n, PolicyName: &p, PolicyDocument: &d}))
			},
			get: func(n, p string) (string, error) {
				o, err := root.GetGroupPolicy(ctx, &iamsdk.GetGroupPolicyInput{GroupName: &n, PolicyName: &p})
				if err != nil {
					return "", err
				}
				return *o.PolicyDocument, nil
			},
			getHolder: func(n, p string) (string, error) {
				o, err := root.GetGroupPolicy(ctx, &iamsdk.GetGroupPolicyInput{GroupName: &n, PolicyName: &p})
				if err != nil {
					return "", err
				}
				return *o.GroupName, nil
			},
			del: func(n, p string) error {
				return must2(root.DeleteGroupPolicy(ctx, &iamsdk.DeleteGroupPolicyInput{GroupName: &n, PolicyName: &p}))
			},
			list: func(n string, max int32, m *string) ([]string, bool, *string, error) {
				o, err := root.ListGroupPolicies(ctx, &iamsdk.ListGroupPoliciesInput{GroupName: &n, MaxItems: &max, Marker: m})
				if err != nil {
					return nil, false, nil, err
				}
				return o.PolicyNames, o.IsTruncated, o.Marker, nil
			},
			attach: func(n, a string) error {
				return must2(root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: &n, PolicyArn: &a}))
			},
			detach: func(n, a string) error {
				return must2(root.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: &n, PolicyArn: &a}))
			},
			listAttached: func(n string, max int32, m *string) ([]string, bool, *string, error) {
				o, err := root.ListAttachedGroupPolicies(ctx, &iamsdk.ListAttachedGroupPoliciesInput{GroupName: &n, MaxItems: &max, Marker: m})
				if err != nil {
					return nil, false, nil, err
				}
				return attachedNames(o.AttachedPolicies), o.IsTruncated, o.Marker, nil
			}},
		{kind: "role", inlineLimit: 10240, quotaName: "PoliciesPerRole",
			create: func(n string) error {
				return must2(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: &n, AssumeRolePolicyDocument: aws.String(coreTrust)}))
			},
			put: func(n, p, d string) error {
				return must2(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: &n, PolicyName: &p, PolicyDocument: &d}))
			},
			get: func(n, p string) (string, error) {
				o, err := root.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: &n, PolicyName: &p})
				if err != nil {
					return "", err
				}
				return *o.PolicyDocument, nil
			},
			getHolder: func(n, p string) (string, error) {
				o, err := root.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: &n, PolicyName: &p})
				if err != nil {
					return "", err
				}
				return *o.RoleName, nil
			},
			del: func(n, p string) error {
				return must2(root.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: &n, PolicyName: &p}))
			},
			list: func(n string, max int32, m *string) ([]string, bool, *string, error) {
				o, err := root.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: &n, MaxItems: &max, Marker: m})
				if err != nil {
					return nil, false, nil, err
				}
				return o.PolicyNames, o.IsTruncated, o.Marker, nil
			},
			attach: func(n, a string) error {
				return must2(root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: &n, PolicyArn: &a}))
			},
			detach: func(n, a string) error {
				return must2(root.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: &n, PolicyArn: &a}))
			},
			listAttached: func(n string, max int32, m *string) ([]string, bool, *string, error) {
				o, err := root.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: &n, MaxItems: &max, Marker: m})
				if err != nil {
					return nil, false, nil, err
				}
				return attachedNames(o.AttachedPolicies), o.IsTruncated, o.Marker, nil
			}},
	}
}

// listErr returns the error of a list page fetch.
func listErr(_ []string, _ bool, _ *string, err error) error { return err }

func attachedNames(aps []types.AttachedPolicy) []string {
	var out []string
	for _, ap := range aps {
		out = append(out, *ap.PolicyName)
	}
	return out
}

func TestHolderPolicies(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account
	var managed []string
	for i := range 11 {
		p := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("m%02d", i)),
			PolicyDocument: aws.String(coreAllow("s3:GetObject"))})).Policy
		managed = append(managed, *p.Arn)
	}
	doc := "{\"Version\": \"2012-10-17\",\n\t\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::my bucket/a+b&c=d%20\"}]}"
	for _, h := range coreHolders(ctx, root) {
		t.Run(h.kind, func(t *testing.T) {
			name := "holder-" + h.kind
			if err := h.create(name); err != nil {
				t.Fatal(err)
			}
			// Inline policies.
			for i := range 3 {
				if err := h.put(name, fmt.Sprintf("inline%d", i), coreAllow("s3:ListBucket")); err != nil {
					t.Fatal(err)
				}
			}
			if err := h.put(name, "INLINE1", doc); err != nil {
				t.Fatal(err)
			}
			got, err := h.get(strings.ToUpper(name), "inline1")
			if err != nil {
				t.Fatal(err)
			}
			coreDecoded(t, "Get"+h.kind+"Policy", &got, doc)
			if holder, err := h.getHolder(strings.ToUpper(name), "inline1"); err != nil || holder != name {
				t.Fatalf("Get%sPolicy names the %s %q (%v), want %q as stored", h.kind, h.kind, holder, err, name)
			}
			pages := corePages(t, "List"+h.kind+"Policies", 2, func(m *string) ([]string, bool, *string, error) { return h.list(name, 2, m) })
			coreWantPages(t, "List"+h.kind+"Policies", pages, 2, []string{"INLINE1", "inline0", "inline2"})
			missing := "The " + h.kind + " with name none cannot be found."
			noPolicy := "The " + h.kind + " policy with name nope cannot be found."
			wantCode(t, "malformed", h.put(name, "bad", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`), "MalformedPolicyDocument", "")
			wantCode(t, "oversize aggregate", h.put(name, "big", bigPolicy(h.inlineLimit)), "LimitExceeded",
				fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", h.inlineLimit, h.kind, name))
			wantCode(t, "oversize, holder named in another case", h.put(strings.ToUpper(name), "big", bigPolicy(h.inlineLimit)), "LimitExceeded",
				fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", h.inlineLimit, h.kind, name))
			wantCode(t, "put on missing holder", h.put("none", "p", doc), "NoSuchEntity", missing)
			wantCode(t, "get missing holder", must2(h.get("none", "p")), "NoSuchEntity", missing)
			wantCode(t, "get missing policy", must2(h.get(name, "nope")), "NoSuchEntity", noPolicy)
			wantCode(t, "delete missing policy", h.del(name, "nope"), "NoSuchEntity", noPolicy)
			wantCode(t, "list missing holder", listErr(h.list("none", 10, nil)), "NoSuchEntity", missing)
			if err := h.del(name, "Inline0"); err != nil {
				t.Fatal(err)
			}
			wantCode(t, "get deleted policy", must2(h.get(name, "inline0")), "NoSuchEntity", "")

			// Attached policies: ten at most; attaching twice is a no-op.
			for i, a := range managed {
				err := h.attach(name, a)
				if i < 10 && err != nil {
					t.Fatalf("attach %d: %v", i, err)
				}
				if i == 10 {
					wantCode(t, "11th attached policy", err, "LimitExceeded", "Cannot exceed quota for "+h.quotaName+": 10")
				}
			}
			if err := h.attach(name, managed[0]); err != nil {
				t.Fatalf("re-attach: %v", err)
			}
			pages = corePages(t, "ListAttached"+h.kind+"Policies", 3, func(m *string) ([]string, bool, *string, error) {
				return h.listAttached(name, 3, m)
			})
			want := []string{}
			for i := range 10 {
				want = append(want, fmt.Sprintf("m%02d", i))
			}
			coreWantPages(t, "ListAttached"+h.kind+"Policies", pages, 3, want)
			wantCode(t, "attach missing policy", h.attach(name, "arn:aws:iam::"+acct+":policy/none"), "NoSuchEntity",
				"Policy arn:aws:iam::"+acct+":policy/none does not exist or is not attachable.")
			wantCode(t, "attach to missing holder", h.attach("none", managed[0]), "NoSuchEntity", missing)
			wantCode(t, "detach not attached", h.detach(name, managed[10]), "NoSuchEntity", "Policy "+managed[10]+" was not found.")
			wantCode(t, "list attached of missing holder", listErr(h.listAttached("none", 10, nil)), "NoSuchEntity", missing)
			if err := h.detach(name, managed[0]); err != nil {
				t.Fatal(err)
			}
			if err := h.attach(name, managed[10]); err != nil {
				t.Fatalf("attach after detach: %v", err)
			}
		})
	}
	// Every holder has m01..m10 attached; m00 none.
	for i, a := range managed {
		want := int32(3)
		if i == 0 {
			want = 0
		}
		if n := *must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(a)})).Policy.AttachmentCount; n != want {
			t.Fatalf("%s AttachmentCount %d, want %d", a, n, want)
		}
	}
}
