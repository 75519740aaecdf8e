package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// sessionConfig returns an SDK configuration using temporary credentials.
func sessionConfig(ts *testserver.Server, c *ststypes.Credentials) aws.Config {
	cfg := ts.RootConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	return cfg
}

func TestAssumeRoleAndUseSession(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A user allowed to assume the role; the role trusts the user with an external id.
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ci")}))
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/deploy"}}`)}))
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("ci")})
	must(key, err)
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ci"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}}`)}))
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:ListUsers","iam:ListRoles"],"Resource":"*"}}`)}))

	ci := stssdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	who, err := ci.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	must(who, err)
	if *who.Arn != "arn:aws:iam::123456789012:user/ci" || *who.Account != testserver.Account {
		t.Fatalf("GetCallerIdentity: %s %s", *who.Arn, *who.Account)
	}
	if _, err := ci.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/deploy"),
		RoleSessionName: aws.String("build-1")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("AssumeRole without external id: %v", err)
	}
	out, err := ci.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/deploy"),
		RoleSessionName: aws.String("build-1"), ExternalId: aws.String("ext-1")})
	must(out, err)
	if !strings.HasPrefix(*out.Credentials.AccessKeyId, "ASIA") || *out.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/deploy/build-1" {
		t.Fatalf("AssumeRole: %+v", out.AssumedRoleUser)
	}
	sessCfg := sessionConfig(ts, out.Credentials)
	who, err = stssdk.NewFromConfig(sessCfg).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	must(who, err)
	if *who.Arn != "arn:aws:sts::123456789012:assumed-role/deploy/build-1" || !strings.HasSuffix(*who.UserId, ":build-1") {
		t.Fatalf("session identity: %s %s", *who.Arn, *who.UserId)
	}
	roleIAM := iamsdk.NewFromConfig(sessCfg)
	must(roleIAM.ListUsers(ctx, &iamsdk.ListUsersInput{}))
	if _, err := roleIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("x")}); apiCode(err) != "AccessDenied" ||
		!strings.Contains(err.Error(), "assumed-role/deploy/build-1 is not authorized to perform: iam:CreateUser") {
		t.Fatalf("CreateUser as role session: %v", err)
	}
	// A session policy narrows the session: ListRoles is no longer allowed.
	narrowed, err := ci.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/deploy"),
		RoleSessionName: aws.String("build-2"), ExternalId: aws.String("ext-1"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}`)})
	must(narrowed, err)
	if narrowed.PackedPolicySize == nil {
		t.Fatal("PackedPolicySize missing")
	}
	nIAM := iamsdk.NewFromConfig(sessionConfig(ts, narrowed.Credentials))
	must(nIAM.ListUsers(ctx, &iamsdk.ListUsersInput{}))
	if _, err := nIAM.ListRoles(ctx, &iamsdk.ListRolesInput{}); apiCode(err) != "AccessDenied" ||
		!strings.Contains(err.Error(), "no session policy allows") {
		t.Fatalf("ListRoles with a narrowing session policy: %v", err)
	}
	// Role chaining is capped at one hour.
	if _, err := stssdk.NewFromConfig(sessCfg).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/deploy"),
		RoleSessionName: aws.String("chain"), DurationSeconds: aws.Int32(7200)}); err == nil {
		t.Fatal("chained AssumeRole for two hours succeeded")
	}
	// A tampered token is refused.
	bad := *out.Credentials
	bad.SessionToken = aws.String(strings.Replace(*bad.SessionToken, "A", "B", 1))
	if _, err := stssdk.NewFromConfig(sessionConfig(ts, &bad)).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("tampered token: %v", err)
	}
}

func TestSessionAndFederationTokens(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	if _, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:List*","sts:GetFederationToken"],"Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	bob := stssdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	st, err := bob.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamsdk.NewFromConfig(sessionConfig(ts, st.Credentials)).ListUsers(ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers with a session token: %v", err)
	}
	fed, err := bob.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	if *fed.FederatedUser.Arn != "arn:aws:sts::123456789012:federated-user/carol" {
		t.Fatalf("federated user %s", *fed.FederatedUser.Arn)
	}
	// Without a session policy a federated user has no permissions.
	if _, err := iamsdk.NewFromConfig(sessionConfig(ts, fed.Credentials)).ListUsers(ctx, &iamsdk.ListUsersInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("federated user without session policy: %v", err)
	}
	fed2, err := bob.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("carol"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamsdk.NewFromConfig(sessionConfig(ts, fed2.Credentials)).ListUsers(ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("federated user with session policy: %v", err)
	}
}
