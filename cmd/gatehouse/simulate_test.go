package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// TestSimulatePrincipal asks a running server about a role, as a CI job
// would with the AWS SDK's environment configuration.
func TestSimulatePrincipal(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	c := ts.IAMClient()
	if _, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("deploy"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", testserver.RootKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testserver.RootSecret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", ts.URL)
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	exp := t.TempDir() + "/expect.txt"
	os.WriteFile(exp, []byte("iam:CreateUser * denied\ns3:GetObject arn:aws:s3:::artifacts/x allowed\n"), 0o600)
	var stdout, stderr bytes.Buffer
	code := run([]string{"simulate", "--principal", "arn:aws:iam::123456789012:role/deploy", "--expect", exp}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
	}
}
