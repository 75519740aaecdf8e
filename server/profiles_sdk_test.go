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

func TestInstanceProfilesLifecycle(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(coreTrust)}))
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("other"), AssumeRolePolicyDocument: aws.String(coreTrust)}))

	p := must(root.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String("Web"), Path: aws.String("/fleet/"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})).InstanceProfile
	if *p.Arn != "arn:aws:iam::"+acct+":instance-profile/fleet/Web" || !strings.HasPrefix(*p.InstanceProfileId, "AIPA") ||
		len(p.Roles) != 0 || len(p.Tags) != 1 {
		t.Fatalf("CreateInstanceProfile: %+v", p)
	}
	missing := "Instance Profile none cannot be found."
	none := aws.String("none")
	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"duplicate name, other case", must2(root.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String("WEB")})),
			"EntityAlreadyExists", "Instance Profile WEB already exists."},
		{"GetInstanceProfile missing", must2(root.GetInstanceProfile(ctx, &iamsdk.GetInstanceProfileInput{InstanceProfileName: none})), "NoSuchEntity", missing},
		{"DeleteInstanceProfile missing", must2(root.DeleteInstanceProfile(ctx, &iamsdk.DeleteInstanceProfileInput{InstanceProfileName: none})), "NoSuchEntity", missing},
		{"AddRoleToInstanceProfile missing profile", must2(root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: none,
			RoleName: aws.String("app")})), "NoSuchEntity", missing},
		{"AddRoleToInstanceProfile missing role", must2(root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"),
			RoleName: none})), "NoSuchEntity", "The role with name none cannot be found."},
		{"RemoveRoleFromInstanceProfile missing profile", must2(root.RemoveRoleFromInstanceProfile(ctx, &iamsdk.RemoveRoleFromInstanceProfileInput{InstanceProfileName: none,
			RoleName: aws.String("app")})), "NoSuchEntity", missing},
		{"RemoveRoleFromInstanceProfile role not in it", must2(root.RemoveRoleFromInstanceProfile(ctx, &iamsdk.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"),
			RoleName: aws.String("app")})), "NoSuchEntity", ""},
		{"ListInstanceProfilesForRole missing role", must2(root.ListInstanceProfilesForRole(ctx, &iamsdk.ListInstanceProfilesForRoleInput{RoleName: none})),
			"NoSuchEntity", "The role with name none cannot be found."},
		{"TagInstanceProfile missing", must2(root.TagInstanceProfile(ctx, &iamsdk.TagInstanceProfileInput{InstanceProfileName: none,
			Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})), "NoSuchEntity", missing},
		{"UntagInstanceProfile missing", must2(root.UntagInstanceProfile(ctx, &iamsdk.UntagInstanceProfileInput{InstanceProfileName: none, TagKeys: []string{"k"}})),
			"NoSuchEntity", missing},
		{"ListInstanceProfileTags missing", must2(root.ListInstanceProfileTags(ctx, &iamsdk.ListInstanceProfileTagsInput{InstanceProfileName: none})),
			"NoSuchEntity", missing},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.err, e.code, e.msg)
	}

	// One role per profile; the role comes back with its trust policy.
	must(root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("APP")}))
	wantCode(t, "second role", must2(root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"),
		RoleName: aws.String("other")})), "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	got := must(root.GetInstanceProfile(ctx, &iamsdk.GetInstanceProfileInput{InstanceProfileName: aws.String("WEB")})).InstanceProfile
	if *got.InstanceProfileName != "Web" || len(got.Roles) != 1 || *got.Roles[0].RoleName != "app" || *got.Roles[0].Arn != "arn:aws:iam::"+acct+":role/app" {
		t.Fatalf("GetInstanceProfile: %+v", got)
	}
	coreDecoded(t, "profile role trust policy", got.Roles[0].AssumeRolePolicyDocument, coreTrust)
	if ps := must(root.ListInstanceProfilesForRole(ctx, &iamsdk.ListInstanceProfilesForRoleInput{RoleName: aws.String("app")})).InstanceProfiles; len(ps) != 1 || *ps[0].InstanceProfileName != "Web" {
		t.Fatalf("ListInstanceProfilesForRole: %+v", ps)
	}
	if ps := must(root.ListInstanceProfilesForRole(ctx, &iamsdk.ListInstanceProfilesForRoleInput{RoleName: aws.String("other")})).InstanceProfiles; len(ps) != 0 {
		t.Fatalf("ListInstanceProfilesForRole other: %+v", ps)
	}
	wantCode(t, "delete profile with a role", must2(root.DeleteInstanceProfile(ctx, &iamsdk.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})),
		"DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")

	// Tags.
	must(root.TagInstanceProfile(ctx, &iamsdk.TagInstanceProfileInput{InstanceProfileName: aws.String("web"),
		Tags: []types.Tag{{Key: aws.String("ENV"), Value: aws.String("dev")}, {Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))
	must(root.UntagInstanceProfile(ctx, &iamsdk.UntagInstanceProfileInput{InstanceProfileName: aws.String("web"), TagKeys: []string{"b"}}))
	pages := corePages(t, "ListInstanceProfileTags", 1, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListInstanceProfileTags(ctx, &iamsdk.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web"), MaxItems: aws.Int32(1), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		var kv []string
		for _, tg := range o.Tags {
			kv = append(kv, *tg.Key+"="+*tg.Value)
		}
		return kv, o.IsTruncated, o.Marker, nil
	})
	coreWantPages(t, "ListInstanceProfileTags", pages, 1, []string{"ENV=dev", "a=1"})

	must(root.RemoveRoleFromInstanceProfile(ctx, &iamsdk.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")}))
	must(root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other")}))
	must(root.RemoveRoleFromInstanceProfile(ctx, &iamsdk.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other")}))
	must(root.DeleteInstanceProfile(ctx, &iamsdk.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	wantCode(t, "deleted profile", must2(root.GetInstanceProfile(ctx, &iamsdk.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})),
		"NoSuchEntity", "Instance Profile web cannot be found.")
	must(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")}))
}

func TestListInstanceProfilesPages(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(coreTrust)}))
	var all, fleet, withRole []string
	for i := range 5 {
		name, path := fmt.Sprintf("profile%d", i), "/"
		if i%2 == 1 {
			path = "/fleet/"
			fleet = append(fleet, name)
		}
		must(root.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String(name), Path: aws.String(path)}))
		all = append(all, name)
		if i < 3 {
			must(root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String("app")}))
			withRole = append(withRole, name)
		}
	}
	must(root.TagInstanceProfile(ctx, &iamsdk.TagInstanceProfileInput{InstanceProfileName: aws.String("profile0"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	profileNames := func(ps []types.InstanceProfile) []string {
		var out []string
		for _, p := range ps {
			out = append(out, *p.InstanceProfileName)
		}
		return out
	}
	for _, max := range []int{1, 2, 5} {
		pages := corePages(t, "ListInstanceProfiles", max, func(m *string) ([]string, bool, *string, error) {
			o, err := root.ListInstanceProfiles(ctx, &iamsdk.ListInstanceProfilesInput{MaxItems: aws.Int32(int32(max)), Marker: m})
			if err != nil {
				return nil, false, nil, err
			}
			for _, p := range o.InstanceProfiles {
				if p.Tags != nil {
					t.Fatalf("ListInstanceProfiles returned tags: %+v", p) // as AWS documents
				}
			}
			return profileNames(o.InstanceProfiles), o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, fmt.Sprintf("ListInstanceProfiles max %d", max), pages, max, all)
		pages = corePages(t, "ListInstanceProfiles /fleet/", max, func(m *string) ([]string, bool, *string, error) {
			o, err := root.ListInstanceProfiles(ctx, &iamsdk.ListInstanceProfilesInput{PathPrefix: aws.String("/fleet/"), MaxItems: aws.Int32(int32(max)), Marker: m})
			if err != nil {
				return nil, false, nil, err
			}
			return profileNames(o.InstanceProfiles), o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, fmt.Sprintf("ListInstanceProfiles /fleet/ max %d", max), pages, max, fleet)
		pages = corePages(t, "ListInstanceProfilesForRole", max, func(m *string) ([]string, bool, *string, error) {
			o, err := root.ListInstanceProfilesForRole(ctx, &iamsdk.ListInstanceProfilesForRoleInput{RoleName: aws.String("app"), MaxItems: aws.Int32(int32(max)), Marker: m})
			if err != nil {
				return nil, false, nil, err
			}
			return profileNames(o.InstanceProfiles), o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, fmt.Sprintf("ListInstanceProfilesForRole max %d", max), pages, max, withRole)
	}
}

func TestInstanceProfileAuthorizationByPath(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	for _, p := range []struct{ name, path string }{{"web", "/fleet/"}, {"db", "/"}} {
		must(root.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String(p.name), Path: aws.String(p.path)}))
	}
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ops")}))
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("fleet"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetInstanceProfile","iam:TagInstanceProfile"],` +
			`"Resource":"arn:aws:iam::*:instance-profile/fleet/*"}]}`)}))
	ops := coreKeyClient(t, ts, "ops")
	// The resource is the profile's ARN, path included.
	must(ops.GetInstanceProfile(ctx, &iamsdk.GetInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	must(ops.TagInstanceProfile(ctx, &iamsdk.TagInstanceProfileInput{InstanceProfileName: aws.String("WEB"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	wantCode(t, "profile outside the path", must2(ops.GetInstanceProfile(ctx, &iamsdk.GetInstanceProfileInput{InstanceProfileName: aws.String("db")})),
		"AccessDenied", "User: arn:aws:iam::"+testserver.Account+":user/ops is not authorized to perform: iam:GetInstanceProfile on resource: arn:aws:iam::"+
			testserver.Account+":instance-profile/db because no identity-based policy allows the iam:GetInstanceProfile action")
}
