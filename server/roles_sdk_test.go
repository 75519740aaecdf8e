package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// coreTrust is a role trust policy, laid out with the white space, quotes
// and slashes that IAM returns percent-encoded.
const coreTrust = `{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "Ec2AndLambda", "Effect": "Allow",
    "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
    "Action": "sts:AssumeRole",
    "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:a b&c+d%e"}}}]
}`

func TestRolesLifecycle(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account

	r := must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), Path: aws.String("/svc/"),
		AssumeRolePolicyDocument: aws.String(coreTrust), Description: aws.String("the app"), MaxSessionDuration: aws.Int32(7200),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})).Role
	if *r.Arn != "arn:aws:iam::"+acct+":role/svc/app" || !strings.HasPrefix(*r.RoleId, "AROA") || *r.Description != "the app" ||
		*r.MaxSessionDuration != 7200 || len(r.Tags) != 1 {
		t.Fatalf("CreateRole: %+v", r)
	}
	coreDecoded(t, "CreateRole", r.AssumeRolePolicyDocument, coreTrust)
	got := must(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("APP")})).Role
	coreDecoded(t, "GetRole", got.AssumeRolePolicyDocument, coreTrust)
	if *got.RoleName != "app" || got.RoleLastUsed == nil || len(got.Tags) != 1 {
		t.Fatalf("GetRole: %+v", got)
	}
	listed := must(root.ListRoles(ctx, &iamsdk.ListRolesInput{})).Roles
	if len(listed) != 1 {
		t.Fatalf("ListRoles: %+v", listed)
	}
	coreDecoded(t, "ListRoles", listed[0].AssumeRolePolicyDocument, coreTrust)

	missing := "The role with name none cannot be found."
	none := aws.String("none")
	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"duplicate name, other case", must2(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("APP"), AssumeRolePolicyDocument: aws.String(coreTrust)})),
			"EntityAlreadyExists", "Role with name APP already exists."},
		{"trust policy without a principal", must2(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bad"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})),
			"MalformedPolicyDocument", ""},
		{"trust policy not JSON", must2(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(`{"Version":`)})),
			"MalformedPolicyDocument", ""},
		{"trust policy over 2048 characters", must2(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("big"),
			AssumeRolePolicyDocument: aws.String(bigTrust(2100))})), "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048"},
		{"MaxSessionDuration too long", must2(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(coreTrust),
			MaxSessionDuration: aws.Int32(50000)})), "ValidationError", ""},
		{"GetRole missing", must2(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: none})), "NoSuchEntity", missing},
		{"UpdateRole missing", must2(root.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: none, Description: aws.String("d")})), "NoSuchEntity", missing},
		{"UpdateRoleDescription missing", must2(root.UpdateRoleDescription(ctx, &iamsdk.UpdateRoleDescriptionInput{RoleName: none, Description: aws.String("d")})), "NoSuchEntity", missing},
		{"UpdateAssumeRolePolicy missing", must2(root.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: none, PolicyDocument: aws.String(coreTrust)})), "NoSuchEntity", missing},
		{"UpdateAssumeRolePolicy malformed", must2(root.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`)})),
			"MalformedPolicyDocument", ""},
		{"DeleteRole missing", must2(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: none})), "NoSuchEntity", missing},
		{"TagRole missing", must2(root.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: none, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})), "NoSuchEntity", missing},
		{"UntagRole missing", must2(root.UntagRole(ctx, &iamsdk.UntagRoleInput{RoleName: none, TagKeys: []string{"k"}})), "NoSuchEntity", missing},
		{"ListRoleTags missing", must2(root.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: none})), "NoSuchEntity", missing},
		{"PutRolePermissionsBoundary missing", must2(root.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: none,
			PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})), "NoSuchEntity", missing},
		{"DeleteRolePermissionsBoundary missing", must2(root.DeleteRolePermissionsBoundary(ctx, &iamsdk.DeleteRolePermissionsBoundaryInput{RoleName: none})), "NoSuchEntity", missing},
		{"PutRolePolicy missing", must2(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: none, PolicyName: aws.String("p"), PolicyDocument: aws.String(coreAllow("s3:*"))})), "NoSuchEntity", missing},
		{"GetRolePolicy missing policy", must2(root.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p")})),
			"NoSuchEntity", "The role policy with name p cannot be found."},
		{"DeleteRolePolicy missing policy", must2(root.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p")})),
			"NoSuchEntity", "The role policy with name p cannot be found."},
		{"ListRolePolicies missing", must2(root.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: none})), "NoSuchEntity", missing},
		{"AttachRolePolicy missing role", must2(root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: none, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})),
			"NoSuchEntity", missing},
		{"AttachRolePolicy missing policy", must2(root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/none")})),
			"NoSuchEntity", "Policy arn:aws:iam::" + acct + ":policy/none does not exist or is not attachable."},
		{"DetachRolePolicy not attached", must2(root.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})),
			"NoSuchEntity", "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found."},
		{"ListAttachedRolePolicies missing", must2(root.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: none})), "NoSuchEntity", missing},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.err, e.code, e.msg)
	}

	// Updates.
	if o := must(root.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String("app"), MaxSessionDuration: aws.Int32(43200)})); o == nil {
		t.Fatal("UpdateRole: no output")
	}
	if d := must(root.UpdateRoleDescription(ctx, &iamsdk.UpdateRoleDescriptionInput{RoleName: aws.String("app"),
		Description: aws.String("renamed")})).Role; *d.Description != "renamed" || *d.RoleName != "app" {
		t.Fatalf("UpdateRoleDescription: %+v", d)
	}
	trust2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	must(root.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"), PolicyDocument: aws.String(trust2)}))
	got = must(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("app")})).Role
	if *got.MaxSessionDuration != 43200 || *got.Description != "renamed" {
		t.Fatalf("after updates: %+v", got)
	}
	coreDecoded(t, "GetRole after UpdateAssumeRolePolicy", got.AssumeRolePolicyDocument, trust2)

	// Tags.
	must(root.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("app"), Tags: []types.Tag{
		{Key: aws.String("ENV"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("cost"), Value: aws.String("1")}}}))
	must(root.UntagRole(ctx, &iamsdk.UntagRoleInput{RoleName: aws.String("app"), TagKeys: []string{"cost"}}))
	pages := corePages(t, "ListRoleTags", 1, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("app"), MaxItems: aws.Int32(1), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		var kv []string
		for _, tg := range o.Tags {
			kv = append(kv, *tg.Key+"="+*tg.Value)
		}
		return kv, o.IsTruncated, o.Marker, nil
	})
	coreWantPages(t, "ListRoleTags", pages, 1, []string{"ENV=dev", "team=a"})

	// Permissions boundary.
	must(root.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	wantCode(t, "boundary not a policy", must2(root.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"),
		PermissionsBoundary: aws.String("arn:aws:iam::" + acct + ":policy/none")})), "NoSuchEntity", "")
	if b := must(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("app")})).Role.PermissionsBoundary; b == nil ||
		*b.PermissionsBoundaryArn != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Fatalf("role boundary: %+v", b)
	}
	must(root.DeleteRolePermissionsBoundary(ctx, &iamsdk.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app")}))
	if b := must(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("app")})).Role.PermissionsBoundary; b != nil {
		t.Fatalf("role boundary after delete: %+v", b)
	}
}

// bigTrust is a valid trust policy of at least n non-space characters.
func bigTrust(n int) string {
	var principals []string
	for i := 0; len(strings.Join(principals, ",")) < n; i++ {
		principals = append(principals, fmt.Sprintf(`"arn:aws:iam::%012d:root"`, i))
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + strings.Join(principals, ",") +
		`]},"Action":"sts:AssumeRole"}]}`
}

func TestRolePoliciesAndDeleteConflicts(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(coreTrust)}))

	// Inline policies: put, replace (case-insensitive name), get decoded, list in pages.
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/a b+c%?\"}\n}"
	var names []string
	for i := range 3 {
		name := fmt.Sprintf("p%d", i)
		must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String(name), PolicyDocument: aws.String(coreAllow("s3:*"))}))
		names = append(names, name)
	}
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("P0"), PolicyDocument: aws.String(doc)}))
	gp := must(root.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p0")}))
	if *gp.RoleName != "app" || *gp.PolicyName != "P0" {
		t.Fatalf("GetRolePolicy: %+v", gp)
	}
	coreDecoded(t, "GetRolePolicy", gp.PolicyDocument, doc)
	pages := corePages(t, "ListRolePolicies", 2, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("app"), MaxItems: aws.Int32(2), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		return o.PolicyNames, o.IsTruncated, o.Marker, nil
	})
	coreWantPages(t, "ListRolePolicies", pages, 2, []string{"P0", "p1", "p2"})
	// The size quota counts every inline policy of the role together.
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("big"),
		PolicyDocument: aws.String(bigPolicy(9500))}))
	wantCode(t, "role inline policies over 10240", must2(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"),
		PolicyName: aws.String("more"), PolicyDocument: aws.String(bigPolicy(1000))})), "LimitExceeded",
		"Maximum policy size of 10240 bytes exceeded for role app")
	// Replacing a policy counts its new size instead of the old one.
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("BIG"),
		PolicyDocument: aws.String(bigPolicy(9600))}))

	wantCode(t, "delete role with inline policies", must2(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")})),
		"DeleteConflict", "Cannot delete entity, must delete policies first.")
	for _, n := range []string{"p0", "P1", "p2", "big"} {
		must(root.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String(n)}))
	}

	// Attached policies: AWS managed and customer managed, listed in pages, with PathPrefix.
	cust := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("mine"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(coreAllow("s3:*"))})).Policy
	arns := []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", *cust.Arn}
	for _, a := range arns {
		must(root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(a)}))
	}
	must(root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: cust.Arn}))
	pages = corePages(t, "ListAttachedRolePolicies", 1, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("app"), MaxItems: aws.Int32(1), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		var out []string
		for _, ap := range o.AttachedPolicies {
			out = append(out, *ap.PolicyName)
		}
		return out, o.IsTruncated, o.Marker, nil
	})
	coreWantPages(t, "ListAttachedRolePolicies", pages, 1, []string{"mine", "ReadOnlyAccess"}) // in ARN order
	if ap := must(root.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("app"),
		PathPrefix: aws.String("/team/")})).AttachedPolicies; len(ap) != 1 || *ap[0].PolicyArn != *cust.Arn {
		t.Fatalf("ListAttachedRolePolicies /team/: %+v", ap)
	}
	if p := must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: cust.Arn})).Policy; *p.AttachmentCount != 1 {
		t.Fatalf("AttachmentCount after attaching twice: %d", *p.AttachmentCount)
	}
	wantCode(t, "delete role with attached policies", must2(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")})),
		"DeleteConflict", "Cannot delete entity, must detach all policies first.")
	for _, a := range arns {
		must(root.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(a)}))
	}
	if p := must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: cust.Arn})).Policy; *p.AttachmentCount != 0 {
		t.Fatalf("AttachmentCount after detach: %d", *p.AttachmentCount)
	}

	// A role in an instance profile cannot be deleted.
	must(root.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	must(root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")}))
	wantCode(t, "delete role in an instance profile", must2(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")})),
		"DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	must(root.RemoveRoleFromInstanceProfile(ctx, &iamsdk.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")}))
	must(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("APP")}))
	wantCode(t, "deleted role", must2(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("app")})),
		"NoSuchEntity", "The role with name app cannot be found.")
}

func TestListRolesPages(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	var all, svc []string
	for i := range 6 {
		name, path := fmt.Sprintf("role%d", i), "/"
		if i%3 == 0 {
			path = "/service/"
			svc = append(svc, name)
		}
		must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(coreTrust)}))
		all = append(all, name)
	}
	cases := []struct {
		prefix string
		max    int
		want   []string
	}{{"", 4, all}, {"", 6, all}, {"/service/", 1, svc}}
	for _, c := range cases {
		what := fmt.Sprintf("ListRoles %q max %d", c.prefix, c.max)
		pages := corePages(t, what, c.max, func(m *string) ([]string, bool, *string, error) {
			in := &iamsdk.ListRolesInput{MaxItems: aws.Int32(int32(c.max)), Marker: m}
			if c.prefix != "" {
				in.PathPrefix = aws.String(c.prefix)
			}
			o, err := root.ListRoles(ctx, in)
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, r := range o.Roles {
				names = append(names, *r.RoleName)
			}
			return names, o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, what, pages, c.max, c.want)
	}
	// The SDK paginator follows the same markers.
	n := 0
	for p := iamsdk.NewListRolesPaginator(root, &iamsdk.ListRolesInput{MaxItems: aws.Int32(2)}); p.HasMorePages(); {
		n += len(must(p.NextPage(ctx)).Roles)
	}
	if n != len(all) {
		t.Fatalf("paginator listed %d roles", n)
	}
}

// bigPolicy is a valid identity policy of at least n non-space characters.
func bigPolicy(n int) string {
	var actions []string
	for i := 0; len(strings.Join(actions, ",")) < n; i++ {
		actions = append(actions, fmt.Sprintf(`"s3:GetObject%04d"`, i))
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + strings.Join(actions, ",") + `],"Resource":"*"}]}`
}

func TestRoleBoundaryUsageCount(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	pol := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("bound"), PolicyDocument: aws.String(coreAllow("s3:*"))})).Policy
	usage := func() int32 {
		return *must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: pol.Arn})).Policy.PermissionsBoundaryUsageCount
	}
	r := must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(coreTrust),
		PermissionsBoundary: pol.Arn})).Role
	if r.PermissionsBoundary == nil || *r.PermissionsBoundary.PermissionsBoundaryArn != *pol.Arn {
		t.Fatalf("CreateRole boundary: %+v", r.PermissionsBoundary)
	}
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice"), PermissionsBoundary: pol.Arn}))
	if n := usage(); n != 2 {
		t.Fatalf("usage after two creations: %d", n)
	}
	wantCode(t, "CreateRole with a missing boundary", must2(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("other"),
		AssumeRolePolicyDocument: aws.String(coreTrust), PermissionsBoundary: aws.String("arn:aws:iam::" + testserver.Account + ":policy/none")})), "NoSuchEntity", "")
	// Replacing a boundary moves the count.
	must(root.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(readOnlyAccess)}))
	if n := usage(); n != 1 {
		t.Fatalf("usage after replacing the role's boundary: %d", n)
	}
	must(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")}))
	must(root.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")}))
	if n := usage(); n != 0 {
		t.Fatalf("usage after deletions: %d", n)
	}
	must(root.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: pol.Arn}))
}
