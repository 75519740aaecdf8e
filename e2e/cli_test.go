package e2e_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// orderServicePolicy is the file the first seed document writes with
// `cat > /tmp/order-service-s3-policy.json <<'EOF'`.
const orderServicePolicy = `{
"Version": "2012-10-17",
"Statement": [{
"Effect": "Allow",
"Action": ["s3:GetObject", "s3:PutObject"],
"Resource": "arn:aws:s3:::my-app-artifacts/orders/*",
"Condition": { "Bool": { "aws:SecureTransport": "true" } }
}]
}
`

// orderServiceTrust is the trust policy the first seed document passes
// inline to `aws iam create-role`, with its line breaks.
const orderServiceTrust = `{
"Version": "2012-10-17",
"Statement": [{
"Effect": "Allow",
"Principal": { "Service": "ecs-tasks.amazonaws.com" },
"Action": "sts:AssumeRole"
}]
}`

// seedCommand is one `aws iam …` command shown in the seed documents
// (/work/shared/seeds), with its placeholders filled in.
type seedCommand struct {
	name string // what the command does, and where the seed shows it
	op   string // the IAM operation it calls
	// issue, when not 0, is the issue that builds op; while op is not
	// implemented the command must fail with InvalidAction and is
	// reported as pending instead of failing the test.
	issue int
	args  []string
	// wantCode and wantMessage, when set, are the error AWS itself
	// returns for the command as written.
	wantCode, wantMessage string
	check                 func(t *testing.T, out map[string]any)
}

// TestCLISeedCommands runs every `aws iam` command of the seed documents,
// in the order they appear, against one server.
func TestCLISeedCommands(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cli := newAWSCLI(t, srv.URL, rootKeyID, rootSecret)
	policyFile := writeFile(t, cli.dir, "order-service-s3-policy.json", orderServicePolicy)
	const policyARN = "arn:aws:iam::" + account + ":policy/OrderServiceS3Access"
	const roleARN = "arn:aws:iam::" + account + ":role/order-service-task"

	commands := []seedCommand{{
		name: "create-policy (least-privilege S3 read, seed 000)",
		op:   "CreatePolicy",
		args: []string{"iam", "create-policy", "--policy-name", "OrderServiceS3Access",
			"--policy-document", "file://" + policyFile},
		check: func(t *testing.T, out map[string]any) {
			want := map[string]any{"Arn": policyARN, "PolicyName": "OrderServiceS3Access", "DefaultVersionId": "v1",
				"Path": "/", "AttachmentCount": 0.0, "IsAttachable": true}
			expectFields(t, field(out, "Policy"), want)
		},
	}, {
		// The seed attaches the policy to order-service-ecs-task, a role it
		// never creates (it creates order-service-task): AWS says so.
		name: "attach-role-policy to a role the seed never creates (seed 000)",
		op:   "AttachRolePolicy",
		args: []string{"iam", "attach-role-policy", "--role-name", "order-service-ecs-task",
			"--policy-arn", policyARN},
		wantCode:    "NoSuchEntity",
		wantMessage: "The role with name order-service-ecs-task cannot be found.",
	}, {
		name: "create-role ECS task role (seed 000)",
		op:   "CreateRole",
		args: []string{"iam", "create-role", "--role-name", "order-service-task",
			"--assume-role-policy-document", orderServiceTrust},
		check: func(t *testing.T, out map[string]any) {
			expectFields(t, field(out, "Role"), map[string]any{"Arn": roleARN, "RoleName": "order-service-task", "Path": "/"})
			expectJSON(t, field(out, "Role", "AssumeRolePolicyDocument"), orderServiceTrust)
		},
	}, {
		name:  "simulate-principal-policy sqs:SendMessage (seed 000)",
		op:    "SimulatePrincipalPolicy",
		issue: 6,
		args: []string{"iam", "simulate-principal-policy", "--policy-source-arn", roleARN,
			"--action-names", "sqs:SendMessage", "--resource-arns", "arn:aws:sqs:eu-west-1:" + account + ":orders.fifo"},
		check: func(t *testing.T, out map[string]any) {
			expectFields(t, field(out, "EvaluationResults", 0), map[string]any{"EvalActionName": "sqs:SendMessage",
				"EvalResourceName": "arn:aws:sqs:eu-west-1:" + account + ":orders.fifo", "EvalDecision": "implicitDeny"})
		},
	}, {
		name:  "generate-service-last-accessed-details (seed 000)",
		op:    "GenerateServiceLastAccessedDetails",
		issue: 9,
		args:  []string{"iam", "generate-service-last-accessed-details", "--arn", roleARN},
		check: func(t *testing.T, out map[string]any) {
			if id, _ := field(out, "JobId").(string); id == "" {
				t.Errorf("no JobId in %v", out)
			}
		},
	}, {
		name:  "create-open-id-connect-provider for GitHub Actions (seed 000)",
		op:    "CreateOpenIDConnectProvider",
		issue: 3,
		args: []string{"iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com",
			"--client-id-list", "sts.amazonaws.com", "--thumbprint-list", "6938fd4d98bab03faadb97b34396831e3780aea1"},
		check: func(t *testing.T, out map[string]any) {
			expectFields(t, out, map[string]any{
				"OpenIDConnectProviderArn": "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"})
		},
	}}
	for _, c := range commands {
		start := time.Now()
		r := cli.run(t, c.args...)
		code, msg := r.apiError()
		switch {
		case c.issue != 0 && !implemented(c.op):
			if code != "InvalidAction" {
				t.Errorf("%s: %s is not implemented, want InvalidAction; got exit %d\n%s", c.name, c.op, r.code, r.stderr)
			}
			t.Logf("pending (issue %d): %s — %s is not implemented yet", c.issue, c.name, c.op)
		case c.wantCode != "":
			if code != c.wantCode || msg != c.wantMessage {
				t.Errorf("%s: got exit %d, error (%s) %q; want (%s) %q\n%s", c.name, r.code, code, msg, c.wantCode, c.wantMessage, r.stderr)
			}
		case r.code != 0:
			t.Errorf("%s: exit %d\n%s", c.name, r.code, r.stderr)
		default:
			if c.check != nil {
				c.check(t, r.json(t))
			}
		}
		t.Logf("%-70s %v", c.name, time.Since(start).Round(time.Millisecond))
	}

	// What the seed commands left behind, read back.
	out := cli.ok(t, "iam", "get-policy-version", "--policy-arn", policyARN, "--version-id", "v1")
	expectJSON(t, field(out, "PolicyVersion", "Document"), orderServicePolicy)
	cli.ok(t, "iam", "attach-role-policy", "--role-name", "order-service-task", "--policy-arn", policyARN)
	out = cli.ok(t, "iam", "list-attached-role-policies", "--role-name", "order-service-task")
	expectFields(t, field(out, "AttachedPolicies", 0), map[string]any{"PolicyName": "OrderServiceS3Access", "PolicyArn": policyARN})
	out = cli.ok(t, "iam", "get-policy", "--policy-arn", policyARN)
	expectFields(t, field(out, "Policy"), map[string]any{"AttachmentCount": 1.0})
	out = cli.ok(t, "iam", "get-role", "--role-name", "order-service-task")
	expectJSON(t, field(out, "Role", "AssumeRolePolicyDocument"), orderServiceTrust)
	if implemented("CreateOpenIDConnectProvider", "GetOpenIDConnectProvider") {
		out = cli.ok(t, "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn",
			"arn:aws:iam::"+account+":oidc-provider/token.actions.githubusercontent.com")
		expectFields(t, out, map[string]any{"Url": "token.actions.githubusercontent.com",
			"ClientIDList": []any{"sts.amazonaws.com"}, "ThumbprintList": []any{"6938fd4d98bab03faadb97b34396831e3780aea1"}})
	}
}

// TestCLIAccessDenied runs the CLI as a user whose group policy allows
// iam:Get* and iam:List* and whose inline policy denies the admin roles,
// and checks AWS's AccessDenied texts word for word.
func TestCLIAccessDenied(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	root := newAWSCLI(t, srv.URL, rootKeyID, rootSecret)
	const readOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`
	const denyAdmin = `{"Version":"2012-10-17","Statement":[{"Sid":"NoAdminRoles","Effect":"Deny",` +
		`"Action":["iam:GetRole","iam:DeleteRole"],"Resource":"arn:aws:iam::` + account + `:role/admin-*"}]}`
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	ctx := context.Background()
	admin := iamsdk.NewFromConfig(sdkConfig(srv.URL, rootKeyID, rootSecret))
	ok := setupOK(t)
	pol, err := admin.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("ReadOnlyIAM"), PolicyDocument: aws.String(readOnly)})
	ok(pol, err)
	readOnlyARN := aws.ToString(pol.Policy.Arn)
	ok(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("x")}))
	ok(admin.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("readers")}))
	ok(admin.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String(readOnlyARN)}))
	ok(admin.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("x")}))
	ok(admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("x"), PolicyName: aws.String("deny-admin-roles"),
		PolicyDocument: aws.String(denyAdmin)}))
	for _, name := range []string{"app-task", "admin-break-glass"} {
		ok(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}))
	}
	key, err := admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("x")})
	ok(key, err)
	keyID, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	x := root.as(keyID, secret, "")

	const userX = "User: arn:aws:iam::" + account + ":user/x is not authorized to perform: "
	implicit := func(action, resource string) string {
		return userX + action + " on resource: " + resource + " because no identity-based policy allows the " + action + " action"
	}
	explicit := func(action, resource string) string {
		return userX + action + " on resource: " + resource + " with an explicit deny in an identity-based policy"
	}
	for _, tc := range []struct {
		args    []string
		want    map[string]any // fields of the output, when the call is allowed
		denied  string         // the AccessDenied message, when it is not
		outPath []any
	}{
		{args: []string{"iam", "get-user"}, outPath: []any{"User"}, want: map[string]any{"UserName": "x", "Arn": "arn:aws:iam::" + account + ":user/x"}},
		{args: []string{"iam", "list-groups-for-user", "--user-name", "x"}, outPath: []any{"Groups", 0}, want: map[string]any{"GroupName": "readers"}},
		{args: []string{"iam", "get-role", "--role-name", "app-task"}, outPath: []any{"Role"}, want: map[string]any{"RoleName": "app-task"}},
		{args: []string{"iam", "list-attached-group-policies", "--group-name", "readers"}, outPath: []any{"AttachedPolicies", 0}, want: map[string]any{"PolicyName": "ReadOnlyIAM"}},
		{args: []string{"iam", "create-user", "--user-name", "y"},
			denied: implicit("iam:CreateUser", "arn:aws:iam::"+account+":user/y")},
		{args: []string{"iam", "create-access-key", "--user-name", "x"},
			denied: implicit("iam:CreateAccessKey", "arn:aws:iam::"+account+":user/x")},
		{args: []string{"iam", "attach-user-policy", "--user-name", "x", "--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess"},
			denied: implicit("iam:AttachUserPolicy", "arn:aws:iam::"+account+":user/x")},
		{args: []string{"iam", "get-role", "--role-name", "admin-break-glass"},
			denied: explicit("iam:GetRole", "arn:aws:iam::"+account+":role/admin-break-glass")},
		{args: []string{"iam", "delete-role", "--role-name", "admin-break-glass"},
			denied: explicit("iam:DeleteRole", "arn:aws:iam::"+account+":role/admin-break-glass")},
	} {
		r := x.run(t, tc.args...)
		code, msg := r.apiError()
		if tc.denied != "" {
			if code != "AccessDenied" || msg != tc.denied {
				t.Errorf("aws %s: got exit %d, error (%s) %q\nwant (AccessDenied) %q", strings.Join(tc.args, " "), r.code, code, msg, tc.denied)
			}
			continue
		}
		if r.code != 0 {
			t.Errorf("aws %s: exit %d\n%s", strings.Join(tc.args, " "), r.code, r.stderr)
			continue
		}
		expectFields(t, field(r.json(t), tc.outPath...), tc.want)
	}

	// Permissions change with the next request: without the group's
	// policy nothing allows ListUsers.
	ok(admin.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String(readOnlyARN)}))
	r := x.run(t, "iam", "list-users")
	if code, msg := r.apiError(); code != "AccessDenied" || !strings.HasPrefix(msg, userX+"iam:ListUsers") ||
		!strings.HasSuffix(msg, "because no identity-based policy allows the iam:ListUsers action") {
		t.Errorf("list-users after detaching the group policy: exit %d, (%s) %q", r.code, code, msg)
	}

	// A wrong secret and a deactivated key are refused before authorization.
	r = root.as(keyID, "wrong"+secret, "").run(t, "iam", "get-user")
	if code, _ := r.apiError(); code != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: exit %d\n%s", r.code, r.stderr)
	}
	ok(admin.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("x"), AccessKeyId: aws.String(keyID),
		Status: types.StatusTypeInactive}))
	r = x.run(t, "iam", "get-user")
	if code, msg := r.apiError(); code != "InvalidClientTokenId" || msg != "The security token included in the request is invalid." {
		t.Errorf("inactive key: exit %d, (%s) %q", r.code, code, msg)
	}
}

// setupOK returns a function that takes an SDK call's results and fails
// the test when the call failed.
func setupOK(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("set-up: %v", err)
		}
	}
}

// expectFields reports every field of want that v lacks or holds with
// another value (numbers decode as float64).
func expectFields(t *testing.T, v any, want map[string]any) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("got %v, want an object with %v", v, want)
		return
	}
	for k, w := range want {
		if !reflect.DeepEqual(m[k], w) {
			t.Errorf("%s = %#v, want %#v (in %v)", k, m[k], w, m)
		}
	}
}

// expectJSON reports whether a decoded policy document differs from the
// JSON text it was created from.
func expectJSON(t *testing.T, got any, text string) {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(text), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("document = %v, want %v", got, want)
	}
}

// TestCLIAssumeRole follows the seed's advice ("use aws sts assume-role …
// and time-bounded break-glass roles"): a user assumes a role that trusts
// it, and the CLI then works with the session's credentials, limited to
// the role's permissions.
func TestCLIAssumeRole(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	root := newAWSCLI(t, srv.URL, rootKeyID, rootSecret)
	const roleARN = "arn:aws:iam::" + account + ":role/break-glass-admin"
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:user/x"},"Action":"sts:AssumeRole"}]}`
	ctx := context.Background()
	admin := iamsdk.NewFromConfig(sdkConfig(srv.URL, rootKeyID, rootSecret))
	ok := setupOK(t)
	ok(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("x")}))
	ok(admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("x"), PolicyName: aws.String("assume-break-glass"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::` + account + `:role/*"}]}`)}))
	ok(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("break-glass-admin"), AssumeRolePolicyDocument: aws.String(trust)}))
	ok(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("break-glass-admin"), PolicyName: aws.String("list-roles"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)}))
	ok(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app-task"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	key, err := admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("x")})
	ok(key, err)
	x := root.as(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")

	expectFields(t, x.ok(t, "sts", "get-caller-identity"), map[string]any{"Account": account, "Arn": "arn:aws:iam::" + account + ":user/x"})
	out := x.ok(t, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "incident-42", "--duration-seconds", "900")
	creds := field(out, "Credentials")
	keyID, _ := field(creds, "AccessKeyId").(string)
	secret, _ := field(creds, "SecretAccessKey").(string)
	token, _ := field(creds, "SessionToken").(string)
	if !strings.HasPrefix(keyID, "ASIA") || secret == "" || token == "" {
		t.Fatalf("assume-role credentials: %v", creds)
	}
	const sessionARN = "arn:aws:sts::" + account + ":assumed-role/break-glass-admin/incident-42"
	expectFields(t, field(out, "AssumedRoleUser"), map[string]any{"Arn": sessionARN})
	if exp, err := time.Parse(time.RFC3339, field(creds, "Expiration").(string)); err != nil || time.Until(exp) > 15*time.Minute || time.Until(exp) < 10*time.Minute {
		t.Errorf("Expiration = %v (%v), want in 15 minutes", field(creds, "Expiration"), err)
	}

	session := root.as(keyID, secret, token)
	expectFields(t, session.ok(t, "sts", "get-caller-identity"), map[string]any{"Account": account, "Arn": sessionARN})
	if roles, _ := field(session.ok(t, "iam", "list-roles"), "Roles").([]any); len(roles) != 2 {
		t.Errorf("list-roles as the session: %d roles, want 2", len(roles))
	}
	r := session.run(t, "iam", "create-user", "--user-name", "y")
	want := "User: " + sessionARN + " is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::" + account +
		":user/y because no identity-based policy allows the iam:CreateUser action"
	if code, msg := r.apiError(); code != "AccessDenied" || msg != want {
		t.Errorf("create-user as the session: exit %d, (%s) %q\nwant (AccessDenied) %q", r.code, code, msg, want)
	}

	// A role whose trust policy names only a service cannot be assumed by x.
	r = x.run(t, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/app-task", "--role-session-name", "probe")
	want = "User: arn:aws:iam::" + account + ":user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + account + ":role/app-task"
	if code, msg := r.apiError(); code != "AccessDenied" || !strings.HasPrefix(msg, want) {
		t.Errorf("assume-role app-task: exit %d, (%s) %q\nwant (AccessDenied) %q…\n%s", r.code, code, msg, want, r.stderr)
	}
}
