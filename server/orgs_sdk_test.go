package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	orgsdk "github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// seedSCP is the seed documents' guardrail: no leaving the organization, no
// disabling audit, no unapproved regions (global services exempt).
const seedSCP = `{"Version":"2012-10-17","Statement":[
 {"Sid":"DenyLeaveOrg","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"},
 {"Sid":"DenyDisableAudit","Effect":"Deny","Action":["cloudtrail:DeleteTrail","cloudtrail:StopLogging","guardduty:DeleteDetector","guardduty:DisassociateFromMasterAccount"],"Resource":"*"},
 {"Sid":"DenyUnapprovedRegions","Effect":"Deny","NotAction":["iam:*","organizations:*","route53:*","support:*","budgets:*","ce:*","cloudfront:*","globalaccelerator:*"],"Resource":"*",
  "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}}]}`

func TestOrganizationGuardrails(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	org := orgsdk.NewFromConfig(ts.RootConfig())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	o, err := org.CreateOrganization(ctx, &orgsdk.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	must(o, err)
	if *o.Organization.MasterAccountId != testserver.Account {
		t.Fatalf("management account %s", *o.Organization.MasterAccountId)
	}
	roots, err := org.ListRoots(ctx, &orgsdk.ListRootsInput{})
	must(roots, err)
	rootID := *roots.Roots[0].Id
	if len(roots.Roots[0].PolicyTypes) != 0 {
		t.Fatalf("a new organization's root has policy types enabled: %+v", roots.Roots[0].PolicyTypes)
	}
	must(org.EnablePolicyType(ctx, &orgsdk.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: orgtypes.PolicyTypeServiceControlPolicy}))
	created, err := org.CreateAccount(ctx, &orgsdk.CreateAccountInput{AccountName: aws.String("dev"), Email: aws.String("dev@example.com")})
	must(created, err)
	member := *created.CreateAccountStatus.AccountId
	ou, err := org.CreateOrganizationalUnit(ctx, &orgsdk.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("workloads")})
	must(ou, err)
	ouID := *ou.OrganizationalUnit.Id
	must(org.MoveAccount(ctx, &orgsdk.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(ouID)}))
	scp, err := org.CreatePolicy(ctx, &orgsdk.CreatePolicyInput{Name: aws.String("guardrails"), Description: aws.String("seed SCP"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(seedSCP)})
	must(scp, err)
	denyUsers, err := org.CreatePolicy(ctx, &orgsdk.CreatePolicyInput{Name: aws.String("no-users"), Description: aws.String("no IAM users"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}}`)})
	must(denyUsers, err)
	must(org.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: scp.Policy.PolicySummary.Id, TargetId: aws.String(ouID)}))
	must(org.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: denyUsers.Policy.PolicySummary.Id, TargetId: aws.String(ouID)}))

	// The management account administers the member through the role AWS creates.
	assumed, err := stssdk.NewFromConfig(ts.RootConfig()).AssumeRole(ctx, &stssdk.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("admin")})
	must(assumed, err)
	adminCfg := sessionConfig(ts, assumed.Credentials)
	admin := iamsdk.NewFromConfig(adminCfg)
	must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"sts:AssumeRole"}}`)}))
	_, err = admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("intern")})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "with an explicit deny in a service control policy") {
		t.Fatalf("CreateUser in the member account: %v", err)
	}
	// The seed SCP keeps the member in the organization.
	_, err = orgsdk.NewFromConfig(adminCfg).LeaveOrganization(ctx, &orgsdk.LeaveOrganizationInput{})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "explicit deny in a service control policy") {
		t.Fatalf("LeaveOrganization: %v", err)
	}
	// The unapproved-region guardrail: STS is not exempt, IAM is.
	westCfg := adminCfg.Copy()
	westCfg.Region = "ap-southeast-2"
	if _, err := stssdk.NewFromConfig(westCfg).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/app"),
		RoleSessionName: aws.String("west")}); apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "service control policy") {
		t.Fatalf("AssumeRole from an unapproved region: %v", err)
	}
	if _, err := iamsdk.NewFromConfig(westCfg).ListRoles(ctx, &iamsdk.ListRolesInput{}); err != nil {
		t.Fatalf("IAM is exempt from the region guardrail: %v", err)
	}
	// The management account is not bound by SCPs.
	if _, err := ts.IAMClient().CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ops")}); err != nil {
		t.Fatalf("management account: %v", err)
	}
	// Removing FullAWSAccess from the OU leaves a level with no allow.
	must(org.DetachPolicy(ctx, &orgsdk.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(ouID)}))
	_, err = admin.ListRoles(ctx, &iamsdk.ListRolesInput{})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "because no service control policy allows the iam:ListRoles action") {
		t.Fatalf("ListRoles with no allowing SCP at the OU: %v", err)
	}
	// Moving the account out of the OU lifts the guardrails.
	must(org.MoveAccount(ctx, &orgsdk.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String(ouID), DestinationParentId: aws.String(rootID)}))
	if _, err := admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("intern")}); err != nil {
		t.Fatalf("CreateUser after leaving the OU: %v", err)
	}
	// Organizations API errors.
	if _, err := org.CreateOrganization(ctx, &orgsdk.CreateOrganizationInput{}); apiCode(err) != "AlreadyInOrganizationException" {
		t.Fatalf("second organization: %v", err)
	}
	if _, err := org.DeleteOrganizationalUnit(ctx, &orgsdk.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-zzzz-zzzzzzzz")}); apiCode(err) != "OrganizationalUnitNotFoundException" {
		t.Fatalf("missing OU: %v", err)
	}
	if _, err := org.DeletePolicy(ctx, &orgsdk.DeletePolicyInput{PolicyId: scp.Policy.PolicySummary.Id}); apiCode(err) != "PolicyInUseException" {
		t.Fatalf("delete attached policy: %v", err)
	}
	if _, err := org.CreatePolicy(ctx, &orgsdk.CreatePolicyInput{Name: aws.String("bad"), Description: aws.String("x"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(`{"Statement":[]}`)}); apiCode(err) != "MalformedPolicyDocumentException" {
		t.Fatalf("malformed SCP: %v", err)
	}
	targets, err := org.ListTargetsForPolicy(ctx, &orgsdk.ListTargetsForPolicyInput{PolicyId: scp.Policy.PolicySummary.Id})
	must(targets, err)
	if len(targets.Targets) != 1 || *targets.Targets[0].TargetId != ouID {
		t.Fatalf("targets %+v", targets.Targets)
	}
	// A member account cannot manage the organization.
	if _, err := orgsdk.NewFromConfig(adminCfg).ListAccounts(ctx, &orgsdk.ListAccountsInput{}); apiCode(err) != "AccessDeniedException" {
		t.Fatalf("ListAccounts from a member: %v", err)
	}
}

// TestCrossAccountAssumeRole is the seeds' cross-account pattern: a role in
// account B trusts a user of account A with sts:ExternalId; A's identity
// policy and B's trust policy must both allow.
func TestCrossAccountAssumeRole(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	org := orgsdk.NewFromConfig(ts.RootConfig())
	if _, err := org.CreateOrganization(ctx, &orgsdk.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	created, err := org.CreateAccount(ctx, &orgsdk.CreateAccountInput{AccountName: aws.String("tools"), Email: aws.String("tools@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	b := *created.CreateAccountStatus.AccountId
	admin, err := stssdk.NewFromConfig(ts.RootConfig()).AssumeRole(ctx, &stssdk.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + b + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("setup")})
	if err != nil {
		t.Fatal(err)
	}
	inB := iamsdk.NewFromConfig(sessionConfig(ts, admin.Credentials))
	if _, err := inB.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ci"},"Action":"sts:AssumeRole",
		  "Condition":{"StringEquals":{"sts:ExternalId":"tools-ext-7"}}}}`)}); err != nil {
		t.Fatal(err)
	}
	root := ts.IAMClient()
	if _, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ci")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("ci")})
	if err != nil {
		t.Fatal(err)
	}
	ci := stssdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	assume := func(ext *string) error {
		_, err := ci.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + b + ":role/deployer"),
			RoleSessionName: aws.String("deploy"), ExternalId: ext})
		return err
	}
	// The trust policy names the user exactly, but across accounts the
	// caller's own account must allow too.
	if err := assume(aws.String("tools-ext-7")); apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "no identity-based policy allows") {
		t.Fatalf("without an identity policy: %v", err)
	}
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::` + b + `:role/deployer"}}`)}); err != nil {
		t.Fatal(err)
	}
	if err := assume(nil); apiCode(err) != "AccessDenied" {
		t.Fatalf("without ExternalId: %v", err)
	}
	if err := assume(aws.String("wrong")); apiCode(err) != "AccessDenied" {
		t.Fatalf("with the wrong ExternalId: %v", err)
	}
	if err := assume(aws.String("tools-ext-7")); err != nil {
		t.Fatalf("with the ExternalId: %v", err)
	}
}

// TestResourceControlPolicy: an RCP on a member account keeps principals
// outside the organization from assuming its roles, whatever the trust
// policy says.
func TestResourceControlPolicy(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	const outsider = "555555555555"
	if err := ts.IAM.Bootstrap(ctx, outsider, "AKIAOUTSIDER00000001", "outsider-secret"); err != nil {
		t.Fatal(err)
	}
	org := orgsdk.NewFromConfig(ts.RootConfig())
	o, err := org.CreateOrganization(ctx, &orgsdk.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	created, err := org.CreateAccount(ctx, &orgsdk.CreateAccountInput{AccountName: aws.String("data"), Email: aws.String("data@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	member := *created.CreateAccountStatus.AccountId
	admin, err := stssdk.NewFromConfig(ts.RootConfig()).AssumeRole(ctx, &stssdk.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("setup")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamsdk.NewFromConfig(sessionConfig(ts, admin.Credentials)).CreateRole(ctx, &iamsdk.CreateRoleInput{
		RoleName: aws.String("shared"), AssumeRolePolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + outsider + `:root"},"Action":"sts:AssumeRole"}}`)}); err != nil {
		t.Fatal(err)
	}
	outsiderSTS := stssdk.NewFromConfig(ts.Config("AKIAOUTSIDER00000001", "outsider-secret"))
	assume := func() error {
		_, err := outsiderSTS.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/shared"),
			RoleSessionName: aws.String("visit")})
		return err
	}
	if err := assume(); err != nil {
		t.Fatalf("before the RCP: %v", err)
	}
	roots, err := org.ListRoots(ctx, &orgsdk.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := org.EnablePolicyType(ctx, &orgsdk.EnablePolicyTypeInput{RootId: roots.Roots[0].Id, PolicyType: orgtypes.PolicyTypeResourceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	rcp, err := org.CreatePolicy(ctx, &orgsdk.CreatePolicyInput{Name: aws.String("perimeter"), Description: aws.String("org only"),
		Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*",
		  "Action":"sts:AssumeRole","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + *o.Organization.Id + `"}}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := org.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: rcp.Policy.PolicySummary.Id, TargetId: aws.String(member)}); err != nil {
		t.Fatal(err)
	}
	if err := assume(); apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "explicit deny in a resource control policy") {
		t.Fatalf("after the RCP: %v", err)
	}
	// Principals of the organization are not affected.
	if _, err := stssdk.NewFromConfig(ts.RootConfig()).AssumeRole(ctx, &stssdk.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("again")}); err != nil {
		t.Fatalf("management account after the RCP: %v", err)
	}
}
