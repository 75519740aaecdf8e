package server_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// apiMessage returns the AWS error message of err, or "".
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// userClient gives a user an inline policy and an access key, and returns a
// client signing as the user.
func userClient(t *testing.T, ts *testserver.Server, name, policy string) *iamsdk.Client {
	t.Helper()
	ctx := context.Background()
	root := ts.IAMClient()
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return iamsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
}

func TestLoginProfilesAndPasswordPolicy(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	mustUser(t, root, "alice")
	create := func(user, password string) error {
		_, err := root.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String(user), Password: aws.String(password),
			PasswordResetRequired: true})
		return err
	}
	// Without a policy, AWS's default applies: 8 characters, 3 classes.
	for _, tc := range []struct{ user, password, want string }{
		{"alice", "short1A", "PasswordPolicyViolation"},
		{"alice", "alllowercase", "PasswordPolicyViolation"},
		{"nobody", "Passw0rd!", "NoSuchEntity"},
	} {
		if err := create(tc.user, tc.password); apiCode(err) != tc.want {
			t.Errorf("CreateLoginProfile(%s, %s): %v, want %s", tc.user, tc.password, err, tc.want)
		}
	}
	for password, msg := range map[string]string{
		"short1A":      "Password should have a minimum length of 8",
		"alllowercase": "Password should meet 2 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one number, Password should have at least one symbol",
		"lower-case":   "Password should meet 1 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one number",
	} {
		if err := create("alice", password); apiMessage(err) != msg {
			t.Errorf("violation message for %q: %v", password, err)
		}
	}
	if err := create("alice", "Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	if err := create("ALICE", "Passw0rd!"); apiCode(err) != "EntityAlreadyExists" {
		t.Fatalf("second login profile: %v", err)
	}
	lp, err := root.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")})
	if err != nil || *lp.LoginProfile.UserName != "alice" || !lp.LoginProfile.PasswordResetRequired || lp.LoginProfile.CreateDate == nil {
		t.Fatalf("GetLoginProfile: %+v %v", lp, err)
	}
	if !ts.IAM.CheckPassword(ctx, testserver.Account, "alice", "Passw0rd!") || ts.IAM.CheckPassword(ctx, testserver.Account, "alice", "passw0rd!") ||
		ts.IAM.CheckPassword(ctx, testserver.Account, "bob", "Passw0rd!") {
		t.Fatal("CheckPassword")
	}

	if _, err := root.GetAccountPasswordPolicy(ctx, &iamsdk.GetAccountPasswordPolicyInput{}); apiCode(err) != "NoSuchEntity" ||
		apiMessage(err) != "The Password Policy with domain name "+testserver.Account+" cannot be found." {
		t.Fatalf("policy before any: %v", err)
	}
	if _, err := root.UpdateAccountPasswordPolicy(ctx, &iamsdk.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(12),
		RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
		AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90), PasswordReusePrevention: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	pp, err := root.GetAccountPasswordPolicy(ctx, &iamsdk.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if p := pp.PasswordPolicy; aws.ToInt32(p.MinimumPasswordLength) != 12 || !p.RequireSymbols || !p.ExpirePasswords ||
		aws.ToInt32(p.MaxPasswordAge) != 90 || aws.ToInt32(p.PasswordReusePrevention) != 2 || p.HardExpiry == nil || *p.HardExpiry {
		t.Fatalf("policy: %+v", p)
	}
	update := func(password string) error {
		_, err := root.UpdateLoginProfile(ctx, &iamsdk.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String(password),
			PasswordResetRequired: aws.Bool(false)})
		return err
	}
	if err := update("Passw0rd!"); apiCode(err) != "PasswordPolicyViolation" || apiMessage(err) != "Password does not conform to the account password policy." {
		t.Fatalf("too short for the new policy: %v", err)
	}
	if err := update("Longer-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	if lp, _ := root.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")}); lp.LoginProfile.PasswordResetRequired {
		t.Fatal("PasswordResetRequired not cleared")
	}

	// ChangePassword: the caller's own, old password checked, reuse refused.
	alice := userClient(t, ts, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)
	change := func(c *iamsdk.Client, old, new string) error {
		_, err := c.ChangePassword(ctx, &iamsdk.ChangePasswordInput{OldPassword: aws.String(old), NewPassword: aws.String(new)})
		return err
	}
	for _, tc := range []struct {
		name     string
		c        *iamsdk.Client
		old, new string
		want     string
	}{
		{"wrong old password", alice, "Wrong-Passw0rd", "Another-Passw0rd1", "InvalidUserType"},
		{"breaks the policy", alice, "Longer-Passw0rd", "weak", "PasswordPolicyViolation"},
		{"reuses the current", alice, "Longer-Passw0rd", "Longer-Passw0rd", "PasswordPolicyViolation"},
		{"root user", root, "Longer-Passw0rd", "Another-Passw0rd1", "InvalidUserType"},
		{"changed", alice, "Longer-Passw0rd", "Another-Passw0rd1", ""},
		{"reuses the previous", alice, "Another-Passw0rd1", "Longer-Passw0rd", "PasswordPolicyViolation"},
	} {
		if err := change(tc.c, tc.old, tc.new); apiCode(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if !ts.IAM.CheckPassword(ctx, testserver.Account, "alice", "Another-Passw0rd1") || ts.IAM.CheckPassword(ctx, testserver.Account, "alice", "Longer-Passw0rd") {
		t.Fatal("CheckPassword after ChangePassword")
	}
	if _, err := alice.UpdateLoginProfile(ctx, &iamsdk.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Third-Passw0rd!")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("UpdateLoginProfile without permission: %v", err)
	}

	if _, err := root.DeleteLoginProfile(ctx, &iamsdk.DeleteLoginProfileInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"get": func() error {
			_, err := root.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")})
			return err
		},
		"delete": func() error {
			_, err := root.DeleteLoginProfile(ctx, &iamsdk.DeleteLoginProfileInput{UserName: aws.String("alice")})
			return err
		},
		"update": func() error { return update("Fourth-Passw0rd!") },
		"change": func() error { return change(alice, "Another-Passw0rd1", "Fourth-Passw0rd!") },
	} {
		if err := call(); apiCode(err) != "NoSuchEntity" || apiMessage(err) != "Login Profile for User alice cannot be found." {
			t.Errorf("%s without a login profile: %v", name, err)
		}
	}
	if ts.IAM.CheckPassword(ctx, testserver.Account, "alice", "Another-Passw0rd1") {
		t.Fatal("CheckPassword after DeleteLoginProfile")
	}
	if _, err := root.DeleteAccountPasswordPolicy(ctx, &iamsdk.DeleteAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteAccountPasswordPolicy(ctx, &iamsdk.DeleteAccountPasswordPolicyInput{}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("delete policy twice: %v", err)
	}
}

func TestAccountAliases(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	const other = "210987654321"
	if err := ts.IAM.Bootstrap(ctx, other, "AKIAOTHERACCOUNT0001", "other-secret"); err != nil {
		t.Fatal(err)
	}
	otherRoot := iamsdk.NewFromConfig(ts.Config("AKIAOTHERACCOUNT0001", "other-secret"))
	alias := func(c *iamsdk.Client, a string) error {
		_, err := c.CreateAccountAlias(ctx, &iamsdk.CreateAccountAliasInput{AccountAlias: aws.String(a)})
		return err
	}
	if err := alias(root, "example-corp"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		c     *iamsdk.Client
		alias string
		want  string
	}{
		{"same alias again", root, "example-corp", "EntityAlreadyExists"},
		{"second alias", root, "example-two", "LimitExceeded"},
		{"alias of another account", otherRoot, "example-corp", "EntityAlreadyExists"},
		{"other account's own", otherRoot, "other-corp", ""},
	} {
		if err := alias(tc.c, tc.alias); apiCode(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, bad := range []string{"Upper-case", "double--hyphen", "-leading", "a"} {
		if err := alias(otherRoot, bad); apiCode(err) != "ValidationError" {
			t.Errorf("alias %q: %v", bad, err)
		}
	}
	out, err := root.ListAccountAliases(ctx, &iamsdk.ListAccountAliasesInput{})
	if err != nil || !slices.Equal(out.AccountAliases, []string{"example-corp"}) {
		t.Fatalf("ListAccountAliases: %+v %v", out, err)
	}
	if _, err := root.DeleteAccountAlias(ctx, &iamsdk.DeleteAccountAliasInput{AccountAlias: aws.String("other-corp")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("delete another account's alias: %v", err)
	}
	// The alias names the account in virtual MFA QR codes.
	dev, err := root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("d")})
	if err != nil || len(dev.VirtualMFADevice.QRCodePNG) == 0 {
		t.Fatal(err)
	}
	if _, err := root.DeleteAccountAlias(ctx, &iamsdk.DeleteAccountAliasInput{AccountAlias: aws.String("example-corp")}); err != nil {
		t.Fatal(err)
	}
	if out, _ := root.ListAccountAliases(ctx, &iamsdk.ListAccountAliasesInput{}); len(out.AccountAliases) != 0 {
		t.Fatalf("aliases after delete: %v", out.AccountAliases)
	}
	if err := alias(otherRoot, "example-corp"); apiCode(err) != "LimitExceeded" {
		t.Fatalf("freed alias, account already has one: %v", err)
	}
	if err := alias(root, "example-corp2"); err != nil {
		t.Fatal(err)
	}
}

func TestAccountSummary(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	mustUser(t, root, "u1")
	mustUser(t, root, "u2")
	if _, err := root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	mustRole(t, root, "r")
	pol := mustPolicy(t, root, "p")
	if _, err := root.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(pol), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.example.com"),
		ThumbprintList: []string{strings.Repeat("a", 40)}, ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.SetSecurityTokenServicePreferences(ctx, &iamsdk.SetSecurityTokenServicePreferencesInput{
		GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token}); err != nil {
		t.Fatal(err)
	}
	out, err := root.GetAccountSummary(ctx, &iamsdk.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]int32{
		"Users": 2, "UsersQuota": 5000, "Groups": 1, "GroupsQuota": 300, "Roles": 1, "RolesQuota": 1000, "Policies": 1,
		"PoliciesQuota": 1500, "PolicyVersionsInUse": 2, "AccessKeysPerUserQuota": 2, "AttachedPoliciesPerUserQuota": 10,
		"MFADevices": 1, "MFADevicesInUse": 0, "InstanceProfiles": 1, "AccountAccessKeysPresent": 1, "AccountMFAEnabled": 0,
		"GlobalEndpointTokenVersion": 2, "UserPolicySizeQuota": 2048, "AssumeRolePolicySizeQuota": 2048, "Providers": 1,
		"ServerCertificates": 0, "AccountSigningCertificatesPresent": 0,
	} {
		if got, ok := out.SummaryMap[k]; !ok || got != want {
			t.Errorf("SummaryMap[%s] = %d (%v), want %d", k, got, ok, want)
		}
	}
}

const (
	allowAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	ec2Trust  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	readOnly  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	s3GetOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

func mustRole(t *testing.T, c *iamsdk.Client, name string) {
	t.Helper()
	if _, err := c.CreateRole(context.Background(), &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(ec2Trust)}); err != nil {
		t.Fatal(err)
	}
}

func mustPolicy(t *testing.T, c *iamsdk.Client, name string) string {
	t.Helper()
	out, err := c.CreatePolicy(context.Background(), &iamsdk.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(s3GetOnly)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.Policy.Arn
}

func TestAccountAuthorizationDetails(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	pol := mustPolicy(t, root, "s3get")
	mustUser(t, root, "alice")
	mustUser(t, root, "bob")
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("bob"), PermissionsBoundary: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	mustRole(t, root, "web")
	if _, err := root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("web"), PolicyArn: aws.String(readOnly)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String("web-ip")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web-ip"), RoleName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(pol), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}

	all, err := root.GetAccountAuthorizationDetails(ctx, &iamsdk.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.UserDetailList) != 2 || len(all.GroupDetailList) != 1 || len(all.RoleDetailList) != 1 || len(all.Policies) != 2 || all.IsTruncated {
		t.Fatalf("details: %d users %d groups %d roles %d policies", len(all.UserDetailList), len(all.GroupDetailList), len(all.RoleDetailList), len(all.Policies))
	}
	alice, bob := all.UserDetailList[0], all.UserDetailList[1]
	if *alice.UserName != "alice" || len(alice.UserPolicyList) != 1 || !slices.Equal(alice.GroupList, []string{"devs"}) || len(alice.Tags) != 1 {
		t.Fatalf("alice: %+v", alice)
	}
	if doc, err := url.QueryUnescape(*alice.UserPolicyList[0].PolicyDocument); err != nil || doc != allowAll {
		t.Fatalf("inline document: %q %v", *alice.UserPolicyList[0].PolicyDocument, err)
	}
	if bob.PermissionsBoundary == nil || *bob.PermissionsBoundary.PermissionsBoundaryArn != pol ||
		bob.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("bob's boundary: %+v", bob.PermissionsBoundary)
	}
	g := all.GroupDetailList[0]
	if len(g.AttachedManagedPolicies) != 1 || *g.AttachedManagedPolicies[0].PolicyArn != pol {
		t.Fatalf("group: %+v", g)
	}
	r := all.RoleDetailList[0]
	if len(r.InstanceProfileList) != 1 || *r.InstanceProfileList[0].InstanceProfileName != "web-ip" || len(r.AttachedManagedPolicies) != 1 ||
		!strings.Contains(aws.ToString(r.AssumeRolePolicyDocument), "ec2.amazonaws.com") {
		t.Fatalf("role: %+v", r)
	}
	var arns []string
	for _, p := range all.Policies {
		arns = append(arns, *p.Arn)
		if *p.Arn == pol && (len(p.PolicyVersionList) != 2 || aws.ToInt32(p.AttachmentCount) != 1) {
			t.Fatalf("customer policy: %+v", p)
		}
	}
	if !slices.Contains(arns, readOnly) {
		t.Fatalf("policies: %v (the attached AWS managed policy is missing)", arns)
	}

	// Filter, and pagination across the four lists.
	roles, err := root.GetAccountAuthorizationDetails(ctx, &iamsdk.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeRole, types.EntityTypeLocalManagedPolicy}})
	if err != nil || len(roles.UserDetailList) != 0 || len(roles.RoleDetailList) != 1 || len(roles.Policies) != 1 {
		t.Fatalf("filtered: %+v %v", roles, err)
	}
	var users, groups, rolesN, policies, pages int
	p := iamsdk.NewGetAccountAuthorizationDetailsPaginator(root, &iamsdk.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		users, groups, rolesN, policies = users+len(out.UserDetailList), groups+len(out.GroupDetailList), rolesN+len(out.RoleDetailList), policies+len(out.Policies)
	}
	if pages != 3 || users != 2 || groups != 1 || rolesN != 1 || policies != 2 {
		t.Fatalf("paginated: %d pages, %d/%d/%d/%d", pages, users, groups, rolesN, policies)
	}
	if _, err := root.GetAccountAuthorizationDetails(ctx, &iamsdk.GetAccountAuthorizationDetailsInput{Marker: aws.String("!!")}); apiCode(err) != "InvalidInput" {
		t.Fatalf("bad marker: %v", err)
	}
}

func TestListEntitiesForPolicy(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	pol := mustPolicy(t, root, "p")
	for _, u := range []string{"u1", "u2", "u3"} {
		mustUser(t, root, u)
	}
	for _, u := range []string{"u1", "u2"} {
		if _, err := root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String(u), PolicyArn: aws.String(pol)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("u3"), PermissionsBoundary: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("g"), Path: aws.String("/team/")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	mustRole(t, root, "r")
	if _, err := root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(readOnly)}); err != nil {
		t.Fatal(err)
	}
	count := func(in *iamsdk.ListEntitiesForPolicyInput) (users, groups, roles int) {
		t.Helper()
		p := iamsdk.NewListEntitiesForPolicyPaginator(root, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			users, groups, roles = users+len(out.PolicyUsers), groups+len(out.PolicyGroups), roles+len(out.PolicyRoles)
		}
		return
	}
	for _, tc := range []struct {
		name                 string
		in                   iamsdk.ListEntitiesForPolicyInput
		users, groups, roles int
	}{
		{"all", iamsdk.ListEntitiesForPolicyInput{}, 3, 1, 1},
		{"paged", iamsdk.ListEntitiesForPolicyInput{MaxItems: aws.Int32(1)}, 3, 1, 1},
		{"users", iamsdk.ListEntitiesForPolicyInput{EntityFilter: types.EntityTypeUser}, 3, 0, 0},
		{"permissions policy", iamsdk.ListEntitiesForPolicyInput{PolicyUsageFilter: types.PolicyUsageTypePermissionsPolicy}, 2, 1, 1},
		{"boundary", iamsdk.ListEntitiesForPolicyInput{PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}, 1, 0, 0},
		{"path", iamsdk.ListEntitiesForPolicyInput{PathPrefix: aws.String("/team/")}, 0, 1, 0},
	} {
		in := tc.in
		in.PolicyArn = aws.String(pol)
		if u, g, r := count(&in); u != tc.users || g != tc.groups || r != tc.roles {
			t.Errorf("%s: %d/%d/%d, want %d/%d/%d", tc.name, u, g, r, tc.users, tc.groups, tc.roles)
		}
	}
	if _, err := root.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{PolicyArn: aws.String(pol + "x")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("missing policy: %v", err)
	}
}

func TestServiceLinkedRoles(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	created, err := root.CreateServiceLinkedRole(ctx, &iamsdk.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com"),
		Description: aws.String("scaling")})
	if err != nil {
		t.Fatal(err)
	}
	r := created.Role
	if *r.RoleName != "AWSServiceRoleForAutoScaling" || *r.Path != "/aws-service-role/autoscaling.amazonaws.com/" ||
		*r.Arn != "arn:aws:iam::"+testserver.Account+":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" {
		t.Fatalf("role: %+v", r)
	}
	if doc, _ := url.QueryUnescape(*r.AssumeRolePolicyDocument); !strings.Contains(doc, `"Service":"autoscaling.amazonaws.com"`) {
		t.Fatalf("trust policy: %s", doc)
	}
	att, err := root.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
	if err != nil || len(att.AttachedPolicies) != 1 || *att.AttachedPolicies[0].PolicyName != "AutoScalingServiceRolePolicy" {
		t.Fatalf("attached: %+v %v", att, err)
	}
	for _, tc := range []struct {
		name, service, suffix, want string
	}{
		{"taken", "autoscaling.amazonaws.com", "", "InvalidInput"},
		{"suffix not allowed", "ecs.amazonaws.com", "x", "InvalidInput"},
		{"not a service", "example.com", "", "InvalidInput"},
		{"suffix", "autoscaling.amazonaws.com", "fleet", ""},
		{"derived name", "lambda.amazonaws.com", "", ""},
		{"name too long", "autoscaling.amazonaws.com", strings.Repeat("x", 40), "InvalidInput"},
	} {
		in := &iamsdk.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(tc.service)}
		if tc.suffix != "" {
			in.CustomSuffix = aws.String(tc.suffix)
		}
		if _, err := root.CreateServiceLinkedRole(ctx, in); apiCode(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := root.CreateServiceLinkedRole(ctx, &iamsdk.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")}); apiMessage(err) !=
		"Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix." {
		t.Errorf("taken message: %v", err)
	}
	if _, err := root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling_fleet")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("AWSServiceRoleForLambda")}); err != nil {
		t.Fatal(err)
	}

	mustRole(t, root, "plain")
	if _, err := root.DeleteServiceLinkedRole(ctx, &iamsdk.DeleteServiceLinkedRoleInput{RoleName: aws.String("plain")}); apiCode(err) != "InvalidInput" {
		t.Fatalf("delete a plain role: %v", err)
	}
	if _, err := root.DeleteServiceLinkedRole(ctx, &iamsdk.DeleteServiceLinkedRoleInput{RoleName: aws.String("nope")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("delete a missing role: %v", err)
	}
	del, err := root.DeleteServiceLinkedRole(ctx, &iamsdk.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling")})
	if err != nil || !strings.HasPrefix(*del.DeletionTaskId, "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/") {
		t.Fatalf("delete: %+v %v", del, err)
	}
	st, err := root.GetServiceLinkedRoleDeletionStatus(ctx, &iamsdk.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId})
	if err != nil || st.Status != types.DeletionTaskStatusTypeSucceeded {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("role after delete: %v", err)
	}
	if _, err := root.GetServiceLinkedRoleDeletionStatus(ctx, &iamsdk.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String("task/aws-service-role/x/y/z")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("unknown task: %v", err)
	}
}

func TestUnsupportedOperations(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	id := aws.String("delegation-request-0001")
	calls := map[string]func() error{
		"AcceptDelegationRequest": func() error {
			_, err := root.AcceptDelegationRequest(ctx, &iamsdk.AcceptDelegationRequestInput{DelegationRequestId: id})
			return err
		},
		"AssociateDelegationRequest": func() error {
			_, err := root.AssociateDelegationRequest(ctx, &iamsdk.AssociateDelegationRequestInput{DelegationRequestId: id})
			return err
		},
		"CreateDelegationRequest": func() error {
			_, err := root.CreateDelegationRequest(ctx, &iamsdk.CreateDelegationRequestInput{Description: aws.String("d"),
				Permissions: &types.DelegationPermission{PolicyTemplateArn: aws.String(readOnly)}, RequestorWorkflowId: aws.String("flow-1"),
				NotificationChannel: aws.String("arn:aws:sns:us-east-1:123456789012:t"), SessionDuration: aws.Int32(3600)})
			return err
		},
		"GetDelegationRequest": func() error {
			_, err := root.GetDelegationRequest(ctx, &iamsdk.GetDelegationRequestInput{DelegationRequestId: id})
			return err
		},
		"ListDelegationRequests": func() error {
			_, err := root.ListDelegationRequests(ctx, &iamsdk.ListDelegationRequestsInput{})
			return err
		},
		"RejectDelegationRequest": func() error {
			_, err := root.RejectDelegationRequest(ctx, &iamsdk.RejectDelegationRequestInput{DelegationRequestId: id})
			return err
		},
		"SendDelegationToken": func() error {
			_, err := root.SendDelegationToken(ctx, &iamsdk.SendDelegationTokenInput{DelegationRequestId: id})
			return err
		},
		"UpdateDelegationRequest": func() error {
			_, err := root.UpdateDelegationRequest(ctx, &iamsdk.UpdateDelegationRequestInput{DelegationRequestId: id})
			return err
		},
		"DisableOrganizationsRootCredentialsManagement": func() error {
			_, err := root.DisableOrganizationsRootCredentialsManagement(ctx, &iamsdk.DisableOrganizationsRootCredentialsManagementInput{})
			return err
		},
		"EnableOrganizationsRootCredentialsManagement": func() error {
			_, err := root.EnableOrganizationsRootCredentialsManagement(ctx, &iamsdk.EnableOrganizationsRootCredentialsManagementInput{})
			return err
		},
		"DisableOrganizationsRootSessions": func() error {
			_, err := root.DisableOrganizationsRootSessions(ctx, &iamsdk.DisableOrganizationsRootSessionsInput{})
			return err
		},
		"EnableOrganizationsRootSessions": func() error {
			_, err := root.EnableOrganizationsRootSessions(ctx, &iamsdk.EnableOrganizationsRootSessionsInput{})
			return err
		},
		"ListOrganizationsFeatures": func() error {
			_, err := root.ListOrganizationsFeatures(ctx, &iamsdk.ListOrganizationsFeaturesInput{})
			return err
		},
		"DisableOutboundWebIdentityFederation": func() error {
			_, err := root.DisableOutboundWebIdentityFederation(ctx, &iamsdk.DisableOutboundWebIdentityFederationInput{})
			return err
		},
		"EnableOutboundWebIdentityFederation": func() error {
			_, err := root.EnableOutboundWebIdentityFederation(ctx, &iamsdk.EnableOutboundWebIdentityFederationInput{})
			return err
		},
		"GetOutboundWebIdentityFederationInfo": func() error {
			_, err := root.GetOutboundWebIdentityFederationInfo(ctx, &iamsdk.GetOutboundWebIdentityFederationInfoInput{})
			return err
		},
		"GetHumanReadableSummary": func() error {
			_, err := root.GetHumanReadableSummary(ctx, &iamsdk.GetHumanReadableSummaryInput{EntityArn: aws.String(readOnly)})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if apiCode(err) != "InvalidAction" || !strings.HasPrefix(apiMessage(err), "Gatehouse does not support "+name+": ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A caller without IAM permissions is refused before being told.
	mustUser(t, root, "nobody")
	nobody := userClient(t, ts, "nobody", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	if _, err := nobody.ListOrganizationsFeatures(ctx, &iamsdk.ListOrganizationsFeaturesInput{}); apiCode(err) != "AccessDenied" {
		t.Errorf("without permission: %v", err)
	}
}

func TestListPoliciesGrantingServiceAccess(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	pol := mustPolicy(t, root, "s3get")
	mustUser(t, root, "alice")
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("ec2"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	user := "arn:aws:iam::" + testserver.Account + ":user/alice"
	out, err := root.ListPoliciesGrantingServiceAccess(ctx, &iamsdk.ListPoliciesGrantingServiceAccessInput{Arn: aws.String(user),
		ServiceNamespaces: []string{"s3", "ec2", "iam"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, e := range out.PoliciesGrantingServiceAccess {
		got[*e.ServiceNamespace] = []string{}
		for _, p := range e.Policies {
			got[*e.ServiceNamespace] = append(got[*e.ServiceNamespace], string(p.PolicyType)+":"+*p.PolicyName+":"+aws.ToString(p.EntityName))
		}
	}
	want := map[string][]string{"s3": {"MANAGED:s3get:"}, "ec2": {"INLINE:ec2:alice"}, "iam": {}}
	for ns, w := range want {
		if !slices.Equal(got[ns], w) {
			t.Errorf("%s: %v, want %v", ns, got[ns], w)
		}
	}
	for _, bad := range []string{user + "x", "arn:aws:iam::" + testserver.Account + ":role/none", "arn:aws:iam::999999999999:user/alice"} {
		if _, err := root.ListPoliciesGrantingServiceAccess(ctx, &iamsdk.ListPoliciesGrantingServiceAccessInput{Arn: aws.String(bad),
			ServiceNamespaces: []string{"s3"}}); apiCode(err) != "NoSuchEntity" {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestServiceLinkedRoleCondition: iam:AWSServiceName restricts which
// service's role a user may create.
func TestServiceLinkedRoleCondition(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	mustUser(t, ts.IAMClient(), "ops")
	ops := userClient(t, ts, "ops", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole",
		"Resource":"arn:aws:iam::*:role/aws-service-role/*","Condition":{"StringEquals":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}}]}`)
	if _, err := ops.CreateServiceLinkedRole(ctx, &iamsdk.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("another service: %v", err)
	}
	if _, err := ops.CreateServiceLinkedRole(ctx, &iamsdk.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
}
