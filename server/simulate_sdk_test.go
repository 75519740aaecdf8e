package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// TestSimulatePrincipalPolicy is the seed documents' check: can this role
// publish to our queue?
func TestSimulatePrincipalPolicy(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	c := ts.IAMClient()
	if _, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("order-service-task"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}`)}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[
  {"Sid":"Publish","Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:eu-west-1:123456789012:orders.fifo"},
  {"Sid":"NoPurge","Effect":"Deny","Action":"sqs:PurgeQueue","Resource":"*"},
  {"Sid":"FromVPC","Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	if _, err := c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("order-service-task"), PolicyName: aws.String("queue"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/order-service-task"),
		ActionNames:     []string{"sqs:SendMessage", "sqs:PurgeQueue", "sqs:ReceiveMessage", "sqs:DeleteQueue"},
		ResourceArns:    []string{"arn:aws:sqs:eu-west-1:123456789012:orders.fifo"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.PolicyEvaluationDecisionType{
		"sqs:SendMessage": "allowed", "sqs:PurgeQueue": "explicitDeny", "sqs:ReceiveMessage": "implicitDeny", "sqs:DeleteQueue": "implicitDeny",
	}
	for _, r := range out.EvaluationResults {
		if r.EvalDecision != want[*r.EvalActionName] {
			t.Errorf("%s: %s, want %s", *r.EvalActionName, r.EvalDecision, want[*r.EvalActionName])
		}
		switch *r.EvalActionName {
		case "sqs:SendMessage":
			if len(r.MatchedStatements) != 1 || *r.MatchedStatements[0].SourcePolicyId != "queue" || r.MatchedStatements[0].SourcePolicyType != "role" ||
				r.MatchedStatements[0].StartPosition.Line != 2 {
				t.Errorf("SendMessage matched %+v", r.MatchedStatements)
			}
		case "sqs:ReceiveMessage":
			if len(r.MissingContextValues) != 1 || r.MissingContextValues[0] != "aws:SourceIp" {
				t.Errorf("ReceiveMessage missing context %v", r.MissingContextValues)
			}
		}
	}
	// With the context key the condition can be decided.
	out, err = c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/order-service-task"),
		ActionNames:     []string{"sqs:ReceiveMessage"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: types.ContextKeyTypeEnumIp,
			ContextKeyValues: []string{"10.1.2.3"}}},
	})
	if err != nil || out.EvaluationResults[0].EvalDecision != "allowed" {
		t.Fatalf("ReceiveMessage from 10.1.2.3: %v %+v", err, out)
	}
	keys, err := c.GetContextKeysForPrincipalPolicy(ctx, &iamsdk.GetContextKeysForPrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/order-service-task")})
	if err != nil || len(keys.ContextKeyNames) != 1 || keys.ContextKeyNames[0] != "aws:SourceIp" {
		t.Fatalf("context keys: %v %v", err, keys)
	}
}

func TestSimulateCustomPolicy(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	c := ts.IAMClient()
	identity := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	boundary := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`
	out, err := c.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{identity},
		PermissionsBoundaryPolicyInputList: []string{boundary},
		ActionNames:                        []string{"s3:GetObject", "s3:PutObject"},
		ResourceArns:                       []string{"arn:aws:s3:::bucket/key"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]types.PolicyEvaluationDecisionType{}
	for _, r := range out.EvaluationResults {
		got[*r.EvalActionName] = r.EvalDecision
		if r.PermissionsBoundaryDecisionDetail == nil {
			t.Errorf("%s: no boundary detail", *r.EvalActionName)
		}
	}
	if got["s3:GetObject"] != "allowed" || got["s3:PutObject"] != "implicitDeny" {
		t.Fatalf("decisions %v", got)
	}
	if _, err := c.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":`},
		ActionNames: []string{"s3:GetObject"}}); apiCode(err) != "InvalidInput" {
		t.Fatalf("malformed input policy: %v", err)
	}
}

// TestServiceLinkedRoleIsProtected: only the service may change its role.
func TestServiceLinkedRoleIsProtected(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	c := ts.IAMClient()
	out, err := c.CreateServiceLinkedRole(ctx, &iamsdk.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	name := out.Role.RoleName
	if _, err := c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: name}); apiCode(err) != "UnmodifiableEntity" {
		t.Fatalf("DeleteRole: %v", err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); apiCode(err) != "UnmodifiableEntity" {
		t.Fatalf("AttachRolePolicy: %v", err)
	}
	if _, err := c.UpdateRoleDescription(ctx, &iamsdk.UpdateRoleDescriptionInput{RoleName: name, Description: aws.String("scaling")}); err != nil {
		t.Fatalf("UpdateRoleDescription: %v", err)
	}
	// AWS managed policies are readable by every account.
	if _, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatalf("GetPolicy of an AWS managed policy: %v", err)
	}
}
