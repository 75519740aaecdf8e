package server_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// apiCode returns the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestUserWithLimitedPolicy(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	if _, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ALICE")}); apiCode(err) != "EntityAlreadyExists" {
		t.Fatalf("duplicate user: %v", err)
	}
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	alice := iamsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	me, err := alice.GetUser(ctx, &iamsdk.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *me.User.UserName != "alice" || len(me.User.Tags) != 1 {
		t.Fatalf("GetUser: %+v", me.User)
	}
	_, err = alice.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("mallory")})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("CreateUser as alice: %v", err)
	}
	_, err = root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("bad"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`)})
	if apiCode(err) != "MalformedPolicyDocument" {
		t.Fatalf("malformed policy: %v", err)
	}
	if _, err := root.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")}); apiCode(err) != "DeleteConflict" {
		t.Fatalf("delete user with keys: %v", err)
	}
}
