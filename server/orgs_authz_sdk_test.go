package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	orgsdk "github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// TestOrganizationsResourceAuthorization checks that Organizations calls are
// authorized on the resources they name, with Organizations' condition keys,
// by IAM users of the management account.
func TestOrganizationsResourceAuthorization(t *testing.T) {
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
	orgID := *o.Organization.Id
	prefix := "arn:aws:organizations::" + testserver.Account + ":"
	roots, err := org.ListRoots(ctx, &orgsdk.ListRootsInput{})
	must(roots, err)
	rootID := *roots.Roots[0].Id
	for _, typ := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
		must(org.EnablePolicyType(ctx, &orgsdk.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: typ}))
	}
	newAccount := func(name string) string {
		t.Helper()
		a, err := org.CreateAccount(ctx, &orgsdk.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		must(a, err)
		return *a.CreateAccountStatus.AccountId
	}
	dev, prod := newAccount("dev"), newAccount("prod")
	newOU := func(name string, tags ...orgtypes.Tag) string {
		t.Helper()
		ou, err := org.CreateOrganizationalUnit(ctx, &orgsdk.CreateOrganizationalUnitInput{ParentId: aws.String(rootID),
			Name: aws.String(name), Tags: tags})
		must(ou, err)
		return *ou.OrganizationalUnit.Id
	}
	red := newOU("red", orgtypes.Tag{Key: aws.String("team"), Value: aws.String("red")})
	sandbox := newOU("sandbox")
	newPolicy := func(c *orgsdk.Client, name string, typ orgtypes.PolicyType) (*orgsdk.CreatePolicyOutput, error) {
		content := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
		if typ == orgtypes.PolicyTypeResourceControlPolicy {
			content = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`
		}
		return c.CreatePolicy(ctx, &orgsdk.CreatePolicyInput{Name: aws.String(name), Description: aws.String(name),
			Type: typ, Content: aws.String(content)})
	}
	rcp, err := newPolicy(org, "tls-only", orgtypes.PolicyTypeResourceControlPolicy)
	must(rcp, err)
	rcpID := *rcp.Policy.PolicySummary.Id

	root := ts.IAMClient()
	user := func(name, policy string) *orgsdk.Client {
		t.Helper()
		mustUser(t, root, name)
		must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(policy)}))
		key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
		must(key, err)
		return orgsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	}
	denied := func(t *testing.T, err error, resource string) {
		t.Helper()
		if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "on resource: "+resource+" ") {
			t.Fatalf("want AccessDeniedException on %s, got %v", resource, err)
		}
	}
	accountARN := func(id string) string { return prefix + "account/" + orgID + "/" + id }
	ouARN := func(id string) string { return prefix + "ou/" + orgID + "/" + id }

	t.Run("DescribeAccount on one account", func(t *testing.T) {
		c := user("reader", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:DescribeAccount","Resource":"`+accountARN(dev)+`"}}`)
		a, err := c.DescribeAccount(ctx, &orgsdk.DescribeAccountInput{AccountId: aws.String(dev)})
		if err != nil || *a.Account.Arn != accountARN(dev) {
			t.Fatalf("DescribeAccount of the allowed account: %v", err)
		}
		_, err = c.DescribeAccount(ctx, &orgsdk.DescribeAccountInput{AccountId: aws.String(prod)})
		denied(t, err, accountARN(prod))
	})

	t.Run("unknown entities keep their errors", func(t *testing.T) {
		c := user("wildcard", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:Describe*","Resource":"`+prefix+`*/`+orgID+`/*"}}`)
		for _, client := range []*orgsdk.Client{org, c} {
			_, err := client.DescribeAccount(ctx, &orgsdk.DescribeAccountInput{AccountId: aws.String("333333333333")})
			if apiCode(err) != "AccountNotFoundException" {
				t.Fatalf("DescribeAccount of an unknown account: %v", err)
			}
			_, err = client.DescribeOrganizationalUnit(ctx, &orgsdk.DescribeOrganizationalUnitInput{
				OrganizationalUnitId: aws.String("ou-" + rootID[2:] + "-zzzzzzzz")})
			if apiCode(err) != "OrganizationalUnitNotFoundException" {
				t.Fatalf("DescribeOrganizationalUnit of an unknown OU: %v", err)
			}
		}
		// A policy's ARN holds its type: an unknown policy is checked on "*",
		// which the root may do.
		_, err := org.DescribePolicy(ctx, &orgsdk.DescribePolicyInput{PolicyId: aws.String("p-zzzzzzzz")})
		if apiCode(err) != "PolicyNotFoundException" {
			t.Fatalf("DescribePolicy of an unknown policy: %v", err)
		}
	})

	t.Run("organizations:PolicyType", func(t *testing.T) {
		c := user("scp-admin", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["organizations:CreatePolicy","organizations:AttachPolicy"],"Resource":"*",
			"Condition":{"StringEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}}}`)
		scp, err := newPolicy(c, "scp-by-admin", orgtypes.PolicyTypeServiceControlPolicy)
		if err != nil {
			t.Fatalf("CreatePolicy of an SCP: %v", err)
		}
		_, err = newPolicy(c, "rcp-by-admin", orgtypes.PolicyTypeResourceControlPolicy)
		if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), ":policy/"+orgID+"/resource_control_policy/p-") {
			t.Fatalf("CreatePolicy of an RCP: %v", err)
		}
		if _, err := c.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: scp.Policy.PolicySummary.Id, TargetId: aws.String(sandbox)}); err != nil {
			t.Fatalf("AttachPolicy of an SCP: %v", err)
		}
		_, err = c.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: aws.String(rcpID), TargetId: aws.String(sandbox)})
		denied(t, err, *rcp.Policy.PolicySummary.Arn)
	})

	t.Run("CreatePolicy on the new policy's ARN", func(t *testing.T) {
		c := user("scp-creator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:CreatePolicy",
			"Resource":"`+prefix+`policy/`+orgID+`/service_control_policy/*"}}`)
		if _, err := newPolicy(c, "scp-by-creator", orgtypes.PolicyTypeServiceControlPolicy); err != nil {
			t.Fatalf("CreatePolicy of an SCP: %v", err)
		}
		_, err := newPolicy(c, "rcp-by-creator", orgtypes.PolicyTypeResourceControlPolicy)
		if apiCode(err) != "AccessDeniedException" {
			t.Fatalf("CreatePolicy of an RCP: %v", err)
		}
	})

	t.Run("deny on aws:ResourceTag", func(t *testing.T) {
		c := user("ou-admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*"},
			{"Effect":"Deny","Action":"organizations:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"red"}}}]}`)
		if _, err := c.DescribeOrganizationalUnit(ctx, &orgsdk.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(sandbox)}); err != nil {
			t.Fatalf("DescribeOrganizationalUnit of an untagged OU: %v", err)
		}
		_, err := c.DescribeOrganizationalUnit(ctx, &orgsdk.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(red)})
		denied(t, err, ouARN(red))
		if !strings.Contains(err.Error(), "explicit deny in an identity-based policy") {
			t.Fatalf("DescribeOrganizationalUnit: %v", err)
		}
		// AttachPolicy is allowed on the policy, then denied on the target.
		_, err = c.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: aws.String(rcpID), TargetId: aws.String(red)})
		denied(t, err, ouARN(red))
		_, err = c.MoveAccount(ctx, &orgsdk.MoveAccountInput{AccountId: aws.String(dev), SourceParentId: aws.String(rootID),
			DestinationParentId: aws.String(red)})
		denied(t, err, ouARN(red))
	})

	t.Run("the root may do everything", func(t *testing.T) {
		must(org.DescribeAccount(ctx, &orgsdk.DescribeAccountInput{AccountId: aws.String(prod)}))
		must(org.DescribeOrganizationalUnit(ctx, &orgsdk.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(red)}))
		must(org.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: aws.String(rcpID), TargetId: aws.String(red)}))
		must(org.MoveAccount(ctx, &orgsdk.MoveAccountInput{AccountId: aws.String(dev), SourceParentId: aws.String(rootID),
			DestinationParentId: aws.String(red)}))
		must(org.TagResource(ctx, &orgsdk.TagResourceInput{ResourceId: aws.String(dev),
			Tags: []orgtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))
		must(org.ListTagsForResource(ctx, &orgsdk.ListTagsForResourceInput{ResourceId: aws.String(red)}))
		must(org.DetachPolicy(ctx, &orgsdk.DetachPolicyInput{PolicyId: aws.String(rcpID), TargetId: aws.String(red)}))
	})
}
