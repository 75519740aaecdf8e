package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// pluginMirror is the filesystem mirror holding hashicorp/aws 5.100.0
// (registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/…).
const pluginMirror = "/opt/tf-plugins"

// terraform runs the terraform CLI in one working directory.
type terraform struct {
	path, dir string
	env       []string
}

// newTerraform prepares a working directory with the configuration files
// of testdata/terraform named in files, provider installation from the
// mirror only, and no user configuration; the test is skipped when
// terraform is not installed.
func newTerraform(t *testing.T, endpoint string, files ...string) *terraform {
	t.Helper()
	path, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not installed (exec.LookPath: " + err.Error() + ")")
	}
	dir := t.TempDir()
	home := t.TempDir()
	rc := writeFile(t, home, "terraform.rc", `provider_installation {
  filesystem_mirror {
    path    = "`+pluginMirror+`"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
`)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", "terraform", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, f, string(b))
	}
	env := append(cleanEnv("AWS_", "TF_", "HOME", "CHECKPOINT_"),
		"HOME="+home,
		"TF_CLI_CONFIG_FILE="+rc,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"TF_VAR_endpoint="+endpoint,
		"AWS_CONFIG_FILE="+filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return &terraform{path: path, dir: dir, env: env}
}

// run runs `terraform ARGS... -no-color` and returns its standard output
// and exit code (-1 after 8 minutes: a generous bound, for loaded CI
// machines); it logs how long the command took.
func (tf *terraform) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	out, errOut, code := runTool(ctx, tf.dir, tf.env, tf.path, append(args, "-no-color")...)
	t.Logf("terraform %s: exit %d in %v", args[0], code, time.Since(start).Round(time.Millisecond))
	if code != 0 && code != 2 {
		t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	return out, code
}

// mustRun runs a terraform command that has to succeed.
func (tf *terraform) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, code := tf.run(t, args...)
	if code != 0 {
		t.Fatalf("terraform %s failed (exit %d)", strings.Join(args, " "), code)
	}
	return out
}

// accountOps are the operations the resources of account.tf call beyond
// those of main.tf.
var accountOps = []string{
	"CreateLoginProfile", "GetLoginProfile", "DeleteLoginProfile",
	"UpdateAccountPasswordPolicy", "GetAccountPasswordPolicy", "DeleteAccountPasswordPolicy",
	"CreateAccountAlias", "ListAccountAliases", "DeleteAccountAlias",
	"CreateVirtualMFADevice", "ListVirtualMFADevices", "DeleteVirtualMFADevice",
	"CreateServiceLinkedRole", "DeleteServiceLinkedRole", "GetServiceLinkedRoleDeletionStatus",
	"UploadSSHPublicKey", "GetSSHPublicKey", "DeleteSSHPublicKey",
	"CreateSAMLProvider", "GetSAMLProvider", "DeleteSAMLProvider",
	"ListEntitiesForPolicy", "PutGroupPolicy", "AttachUserPolicy", "AttachGroupPolicy",
}

// TestTerraform applies the seed documents' IAM resources with the
// hashicorp/aws provider, checks that a second plan finds nothing to
// change, that what was created is what the configuration says, and that
// destroy leaves nothing behind.
func TestTerraform(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	files := []string{"main.tf"}
	oidc := implemented("CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "DeleteOpenIDConnectProvider",
		"ListOpenIDConnectProviders")
	if oidc {
		files = append(files, "oidc.tf")
	} else {
		t.Log("OpenID Connect providers are not implemented: oidc.tf is left out")
	}
	extras := implemented(accountOps...)
	if extras {
		files = append(files, "account.tf")
	} else {
		t.Log("some operations account.tf needs are not implemented: it is left out")
	}
	tf := newTerraform(t, srv.URL, files...)
	ctx := context.Background()
	root := iamsdk.NewFromConfig(sdkConfig(srv.URL, rootKeyID, rootSecret))

	tf.mustRun(t, "init", "-input=false")
	tf.mustRun(t, "apply", "-auto-approve", "-input=false")
	if out, code := tf.run(t, "plan", "-detailed-exitcode", "-input=false"); code != 0 {
		t.Errorf("plan after apply: exit %d, want 0 (no changes)\n%s", code, out)
	}

	t.Run("applied", func(t *testing.T) {
		role, err := root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("lambda-processor-role")})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(doc, `"aws:SourceArn":"arn:aws:lambda:eu-west-1:123456789012:function:processor-*"`) {
			t.Errorf("lambda-processor-role trust policy = %s", doc)
		}
		attached, err := root.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("order-service-task")})
		if err != nil || len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyName) != "OrderServiceS3Access" {
			t.Errorf("order-service-task attached policies: %+v, %v", attached, err)
		}
		profiles, err := root.ListInstanceProfilesForRole(ctx, &iamsdk.ListInstanceProfilesForRoleInput{RoleName: aws.String("ec2-app-role")})
		if err != nil || len(profiles.InstanceProfiles) != 1 || aws.ToString(profiles.InstanceProfiles[0].InstanceProfileName) != "ec2-app-instance-profile" {
			t.Errorf("ec2-app-role instance profiles: %+v, %v", profiles, err)
		}
		group, err := root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("break-glass-admins")})
		if err != nil || len(group.Users) != 1 || aws.ToString(group.Users[0].UserName) != "break-glass" {
			t.Errorf("break-glass-admins members: %+v, %v", group, err)
		}
		dev, err := root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("developer")})
		if err != nil || dev.User.PermissionsBoundary == nil ||
			aws.ToString(dev.User.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::"+account+":policy/developer-iam-boundary" {
			t.Errorf("developer's boundary: %+v, %v", dev, err)
		}
		if oidc {
			p, err := root.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{
				OpenIDConnectProviderArn: aws.String("arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com")})
			if err != nil || aws.ToString(p.Url) != "token.actions.githubusercontent.com" || len(p.ClientIDList) != 1 {
				t.Errorf("GitHub OIDC provider: %+v, %v", p, err)
			}
		}

		if extras {
			pp, err := root.GetAccountPasswordPolicy(ctx, &iamsdk.GetAccountPasswordPolicyInput{})
			if err != nil || aws.ToInt32(pp.PasswordPolicy.MinimumPasswordLength) != 14 || aws.ToInt32(pp.PasswordPolicy.PasswordReusePrevention) != 24 {
				t.Errorf("password policy: %+v, %v", pp, err)
			}
			entities, err := root.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{
				PolicyArn: aws.String("arn:aws:iam::" + account + ":policy/exclusive-policy")})
			if err != nil || len(entities.PolicyRoles) != 1 || len(entities.PolicyGroups) != 1 || len(entities.PolicyUsers) != 0 {
				t.Errorf("entities of exclusive-policy: %+v, %v", entities, err)
			}
		}

		// The access key Terraform created signs requests that the user's
		// inline policy allows, and only those.
		var outputs map[string]struct{ Value string }
		if err := json.Unmarshal([]byte(tf.mustRun(t, "output", "-json")), &outputs); err != nil {
			t.Fatal(err)
		}
		user := iamsdk.NewFromConfig(sdkConfig(srv.URL, outputs["break_glass_key_id"].Value, outputs["break_glass_secret"].Value))
		me, err := user.GetUser(ctx, &iamsdk.GetUserInput{})
		if err != nil || aws.ToString(me.User.UserName) != "break-glass" {
			t.Errorf("GetUser with the Terraform-made key: %+v, %v", me, err)
		}
		_, err = user.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("intruder")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("CreateUser with the Terraform-made key: %v, want AccessDenied", err)
		}
	})

	// The plan above has just compared the state with the server: no
	// second refresh.
	tf.mustRun(t, "destroy", "-auto-approve", "-input=false", "-refresh=false")

	t.Run("destroyed", func(t *testing.T) {
		var left []string
		counts := []leftover{
			{"users", func() (int, error) {
				out, err := root.ListUsers(ctx, &iamsdk.ListUsersInput{})
				return lenOf(out, func(o *iamsdk.ListUsersOutput) int { return len(o.Users) }), err
			}},
			{"roles", func() (int, error) {
				out, err := root.ListRoles(ctx, &iamsdk.ListRolesInput{})
				return lenOf(out, func(o *iamsdk.ListRolesOutput) int { return len(o.Roles) }), err
			}},
			{"groups", func() (int, error) {
				out, err := root.ListGroups(ctx, &iamsdk.ListGroupsInput{})
				return lenOf(out, func(o *iamsdk.ListGroupsOutput) int { return len(o.Groups) }), err
			}},
			{"customer managed policies", func() (int, error) {
				out, err := root.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
				return lenOf(out, func(o *iamsdk.ListPoliciesOutput) int { return len(o.Policies) }), err
			}},
			{"instance profiles", func() (int, error) {
				out, err := root.ListInstanceProfiles(ctx, &iamsdk.ListInstanceProfilesInput{})
				return lenOf(out, func(o *iamsdk.ListInstanceProfilesOutput) int { return len(o.InstanceProfiles) }), err
			}},
		}
		if oidc {
			counts = append(counts, leftover{"OpenID Connect providers", func() (int, error) {
				out, err := root.ListOpenIDConnectProviders(ctx, &iamsdk.ListOpenIDConnectProvidersInput{})
				return lenOf(out, func(o *iamsdk.ListOpenIDConnectProvidersOutput) int { return len(o.OpenIDConnectProviderList) }), err
			}})
		}
		if extras {
			counts = append(counts, []leftover{
				{"account aliases", func() (int, error) {
					out, err := root.ListAccountAliases(ctx, &iamsdk.ListAccountAliasesInput{})
					return lenOf(out, func(o *iamsdk.ListAccountAliasesOutput) int { return len(o.AccountAliases) }), err
				}},
				{"SAML providers", func() (int, error) {
					out, err := root.ListSAMLProviders(ctx, &iamsdk.ListSAMLProvidersInput{})
					return lenOf(out, func(o *iamsdk.ListSAMLProvidersOutput) int { return len(o.SAMLProviderList) }), err
				}},
				{"virtual MFA devices", func() (int, error) {
					out, err := root.ListVirtualMFADevices(ctx, &iamsdk.ListVirtualMFADevicesInput{})
					return lenOf(out, func(o *iamsdk.ListVirtualMFADevicesOutput) int { return len(o.VirtualMFADevices) }), err
				}},
				{"a password policy", func() (int, error) {
					_, err := root.GetAccountPasswordPolicy(ctx, &iamsdk.GetAccountPasswordPolicyInput{})
					var nse *types.NoSuchEntityException
					if errors.As(err, &nse) {
						return 0, nil
					}
					return 1, err
				}},
			}...)
		}
		for _, c := range counts {
			n, err := c.count()
			if err != nil {
				t.Errorf("listing %s: %v", c.kind, err)
			}
			if n > 0 {
				left = append(left, c.kind)
			}
		}
		if len(left) > 0 {
			t.Errorf("left after destroy: %s", strings.Join(left, ", "))
		}
	})
}

// leftover counts one kind of thing that destroy must have removed.
type leftover struct {
	kind  string
	count func() (int, error)
}

// lenOf is n(out), or 0 when the call that returned out failed.
func lenOf[T any](out *T, n func(*T) int) int {
	if out == nil {
		return 0
	}
	return n(out)
}
