package e2e_test

import (
	"strings"
	"testing"
)

// TestCLIOrganizations runs `aws organizations` as a user of the management
// account would, then checks that the seed SCP on an OU binds a member
// account's administrator exactly as it says, and that moving the account
// out of the OU lifts it.
func TestCLIOrganizations(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	aws := newAWSCLI(t, srv.URL, rootKeyID, rootSecret)
	dir := t.TempDir()
	aws.ok(t, "organizations", "create-organization", "--feature-set", "ALL")
	rootID := field(aws.ok(t, "organizations", "list-roots"), "Roots", 0, "Id").(string)
	aws.ok(t, "organizations", "enable-policy-type", "--root-id", rootID, "--policy-type", "SERVICE_CONTROL_POLICY")
	ou := field(aws.ok(t, "organizations", "create-organizational-unit", "--parent-id", rootID, "--name", "workloads"),
		"OrganizationalUnit", "Id").(string)
	status := aws.ok(t, "organizations", "create-account", "--email", "dev@example.com", "--account-name", "dev")
	reqID := field(status, "CreateAccountStatus", "Id").(string)
	member := field(aws.ok(t, "organizations", "describe-create-account-status", "--create-account-request-id", reqID),
		"CreateAccountStatus", "AccountId").(string)
	aws.ok(t, "organizations", "move-account", "--account-id", member, "--source-parent-id", rootID, "--destination-parent-id", ou)
	scp := writeFile(t, dir, "scp.json", `{"Version":"2012-10-17","Statement":[
 {"Sid":"DenyLeaveOrg","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"},
 {"Sid":"DenyIAMUsers","Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`)
	policyID := field(aws.ok(t, "organizations", "create-policy", "--name", "guardrails", "--description", "seed guardrails",
		"--type", "SERVICE_CONTROL_POLICY", "--content", "file://"+scp), "Policy", "PolicySummary", "Id").(string)
	aws.ok(t, "organizations", "attach-policy", "--policy-id", policyID, "--target-id", ou)
	attached := aws.ok(t, "organizations", "list-policies-for-target", "--target-id", ou, "--filter", "SERVICE_CONTROL_POLICY")
	if len(field(attached, "Policies").([]any)) != 2 { // FullAWSAccess and the guardrail
		t.Fatalf("policies on the OU: %v", attached)
	}
	creds := aws.ok(t, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+member+":role/OrganizationAccountAccessRole",
		"--role-session-name", "admin")
	admin := aws.as(field(creds, "Credentials", "AccessKeyId").(string), field(creds, "Credentials", "SecretAccessKey").(string),
		field(creds, "Credentials", "SessionToken").(string))
	r := admin.run(t, "iam", "create-user", "--user-name", "intern")
	if code, msg := r.apiError(); code != "AccessDenied" || !strings.Contains(msg, "with an explicit deny in a service control policy") {
		t.Fatalf("member admin CreateUser: %s %s", code, msg)
	}
	r = admin.run(t, "organizations", "leave-organization")
	if code, _ := r.apiError(); code != "AccessDeniedException" {
		t.Fatalf("member leave-organization: %s", r.stderr)
	}
	admin.ok(t, "iam", "create-role", "--role-name", "app", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}`)
	aws.ok(t, "iam", "create-user", "--user-name", "ops") // the management account is not bound
	aws.ok(t, "organizations", "move-account", "--account-id", member, "--source-parent-id", ou, "--destination-parent-id", rootID)
	admin.ok(t, "iam", "create-user", "--user-name", "intern")
	aws.ok(t, "organizations", "detach-policy", "--policy-id", policyID, "--target-id", ou)
	aws.ok(t, "organizations", "delete-policy", "--policy-id", policyID)
}

// TestTerraformOrganizations applies aws_organizations_policy and
// aws_organizations_policy_attachment, plans clean and destroys.
func TestTerraformOrganizations(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	aws := newAWSCLI(t, srv.URL, rootKeyID, rootSecret)
	aws.ok(t, "organizations", "create-organization", "--feature-set", "ALL")
	rootID := field(aws.ok(t, "organizations", "list-roots"), "Roots", 0, "Id").(string)
	aws.ok(t, "organizations", "enable-policy-type", "--root-id", rootID, "--policy-type", "SERVICE_CONTROL_POLICY")
	ou := field(aws.ok(t, "organizations", "create-organizational-unit", "--parent-id", rootID, "--name", "workloads"),
		"OrganizationalUnit", "Id").(string)
	tf := newTerraform(t, srv.URL, "organizations.tf")
	tf.env = append(tf.env, "TF_VAR_target_id="+ou)
	tf.mustRun(t, "init")
	tf.mustRun(t, "apply", "-auto-approve")
	if out, code := tf.run(t, "plan", "-detailed-exitcode"); code != 0 {
		t.Fatalf("second plan is not empty (exit %d):\n%s", code, out)
	}
	policies := aws.ok(t, "organizations", "list-policies-for-target", "--target-id", ou, "--filter", "SERVICE_CONTROL_POLICY")
	if len(field(policies, "Policies").([]any)) != 2 {
		t.Fatalf("after apply: %v", policies)
	}
	tf.mustRun(t, "destroy", "-auto-approve")
	all := aws.ok(t, "organizations", "list-policies", "--filter", "SERVICE_CONTROL_POLICY")
	if n := len(field(all, "Policies").([]any)); n != 1 { // only FullAWSAccess remains
		t.Fatalf("after destroy %d policies: %v", n, all)
	}
}
