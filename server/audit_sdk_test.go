package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctsdk "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// TestAuditRecords drives calls through the SDK and reads them back with
// CloudTrail's LookupEvents, field by field.
func TestAuditRecords(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	c := ts.IAMClient()
	if _, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("nobody")}); err == nil {
		t.Fatal("GetUser of a missing user succeeded")
	}
	alice := iamsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	if _, err := alice.ListRoles(ctx, &iamsdk.ListRolesInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("alice ListRoles: %v", err)
	}
	trail := ctsdk.NewFromConfig(ts.RootConfig())
	out, err := trail.LookupEvents(ctx, &ctsdk.LookupEventsInput{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, e := range out.Events {
		var rec map[string]any
		if err := json.Unmarshal([]byte(*e.CloudTrailEvent), &rec); err != nil {
			t.Fatal(err)
		}
		byName[*e.EventName] = rec
	}
	for _, name := range []string{"CreateUser", "CreateAccessKey", "GetUser", "ListRoles"} {
		if byName[name] == nil {
			t.Fatalf("no %s event among %d", name, len(out.Events))
		}
	}
	cu := byName["CreateUser"]
	ui := cu["userIdentity"].(map[string]any)
	if cu["eventSource"] != "iam.amazonaws.com" || cu["eventVersion"] != "1.09" || ui["type"] != "Root" ||
		ui["accessKeyId"] != testserver.RootKeyID || cu["recipientAccountId"] != testserver.Account || cu["readOnly"] != false {
		t.Errorf("CreateUser record: %v", cu)
	}
	if p := cu["requestParameters"].(map[string]any); p["userName"] != "alice" || p["path"] != "/eng/" {
		t.Errorf("CreateUser requestParameters: %v", p)
	}
	if u := cu["responseElements"].(map[string]any)["user"].(map[string]any); u["userName"] != "alice" || !strings.HasPrefix(u["userId"].(string), "AIDA") {
		t.Errorf("CreateUser responseElements: %v", u)
	}
	ak := byName["CreateAccessKey"]["responseElements"].(map[string]any)["accessKey"].(map[string]any)
	if ak["secretAccessKey"] != "HIDDEN_DUE_TO_SECURITY_REASONS" || ak["accessKeyId"] != *key.AccessKey.AccessKeyId {
		t.Errorf("CreateAccessKey secret not redacted: %v", ak)
	}
	gu := byName["GetUser"]
	if gu["errorCode"] != "NoSuchEntity" || gu["readOnly"] != true || gu["responseElements"] != nil {
		t.Errorf("GetUser failure record: %v", gu)
	}
	lr := byName["ListRoles"]
	if lr["errorCode"] != "AccessDenied" || lr["userIdentity"].(map[string]any)["userName"] != "alice" ||
		!strings.Contains(lr["errorMessage"].(string), "is not authorized to perform: iam:ListRoles") {
		t.Errorf("ListRoles denial record: %v", lr)
	}
	// Lookup by attribute.
	only, err := trail.LookupEvents(ctx, &ctsdk.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("alice")}}})
	if err != nil || len(only.Events) != 1 || *only.Events[0].EventName != "ListRoles" {
		t.Fatalf("lookup by user: %v %+v", err, only)
	}
}
