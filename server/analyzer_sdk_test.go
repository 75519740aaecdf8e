package server_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aasdk "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	ctsdk "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// pathText renders an Access Analyzer location path as Statement[0].Action[1].
func pathText(p []aatypes.PathElement) string {
	s := ""
	for _, e := range p {
		switch v := e.(type) {
		case *aatypes.PathElementMemberIndex:
			s += "[" + strconv.Itoa(int(v.Value)) + "]"
		case *aatypes.PathElementMemberValue:
			s += "." + v.Value
		case *aatypes.PathElementMemberKey:
			s += ".<" + v.Value + ">"
		}
	}
	if len(s) > 0 && s[0] == '.' {
		s = s[1:]
	}
	return s
}

func TestValidatePolicySDK(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	client := aasdk.NewFromConfig(ts.RootConfig())
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObjekt\", \"iam:PassRole\"], \"Resource\": \"*\"}\n  ]\n}"
	out, err := client.ValidatePolicy(ctx, &aasdk.ValidatePolicyInput{PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		code, path string
		typ        aatypes.ValidatePolicyFindingType
	}{
		{"INVALID_ACTION", "Statement[0].Action[0]", aatypes.ValidatePolicyFindingTypeError},
		{"PASS_ROLE_WITH_STAR_IN_RESOURCE", "Statement[0].Resource", aatypes.ValidatePolicyFindingTypeSecurityWarning},
	}
	if len(out.Findings) != len(want) || out.NextToken != nil {
		t.Fatalf("findings = %+v", out.Findings)
	}
	for i, w := range want {
		f := out.Findings[i]
		if *f.IssueCode != w.code || f.FindingType != w.typ || pathText(f.Locations[0].Path) != w.path || *f.LearnMoreLink == "" || *f.FindingDetails == "" {
			t.Errorf("finding %d = %s %s %s", i, *f.IssueCode, f.FindingType, pathText(f.Locations[0].Path))
		}
	}
	span := out.Findings[0].Locations[0].Span
	if got := doc[*span.Start.Offset:*span.End.Offset]; got != `"s3:GetObjekt"` || *span.Start.Line != 4 || *span.Start.Column != 35 {
		t.Errorf("span %+v %+v covers %q", *span.Start, *span.End, got)
	}

	// Pagination: one finding per page.
	page, err := client.ValidatePolicy(ctx, &aasdk.ValidatePolicyInput{PolicyDocument: aws.String(doc),
		PolicyType: aatypes.PolicyTypeIdentityPolicy, MaxResults: aws.Int32(1)})
	if err != nil || len(page.Findings) != 1 || page.NextToken == nil {
		t.Fatalf("first page: %+v %v", page, err)
	}
	page, err = client.ValidatePolicy(ctx, &aasdk.ValidatePolicyInput{PolicyDocument: aws.String(doc),
		PolicyType: aatypes.PolicyTypeIdentityPolicy, MaxResults: aws.Int32(1), NextToken: page.NextToken})
	if err != nil || len(page.Findings) != 1 || page.NextToken != nil || *page.Findings[0].IssueCode != "PASS_ROLE_WITH_STAR_IN_RESOURCE" {
		t.Fatalf("second page: %+v %v", page, err)
	}

	// A role trust policy is a resource policy with the trust resource type.
	trust, err := client.ValidatePolicy(ctx, &aasdk.ValidatePolicyInput{
		PolicyDocument:             aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}]}`),
		PolicyType:                 aatypes.PolicyTypeResourcePolicy,
		ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeRoleTrust})
	if err != nil || len(trust.Findings) != 1 || *trust.Findings[0].IssueCode != "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE" {
		t.Fatalf("trust policy: %+v %v", trust, err)
	}

	if _, err := client.ValidatePolicy(ctx, &aasdk.ValidatePolicyInput{PolicyDocument: aws.String(doc),
		PolicyType: aatypes.PolicyTypeIdentityPolicy, NextToken: aws.String("bogus")}); apiCode(err) != "ValidationException" {
		t.Errorf("bad token: %v", err)
	}
	if _, err := client.ValidatePolicy(ctx, &aasdk.ValidatePolicyInput{PolicyDocument: aws.String(doc),
		PolicyType: "GROUP_POLICY"}); apiCode(err) != "ValidationException" {
		t.Errorf("bad policy type: %v", err)
	}

	// Each call is recorded for CloudTrail under Access Analyzer's event source.
	events, err := ctsdk.NewFromConfig(ts.RootConfig()).LookupEvents(ctx, &ctsdk.LookupEventsInput{})
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, e := range events.Events {
		var rec map[string]any
		if err := json.Unmarshal([]byte(*e.CloudTrailEvent), &rec); err != nil {
			t.Fatal(err)
		}
		if *e.EventName == "ValidatePolicy" && rec["eventSource"] == "access-analyzer.amazonaws.com" {
			recorded++
		}
	}
	if recorded != 6 {
		t.Errorf("%d ValidatePolicy events recorded, want 6", recorded)
	}
}

func TestValidatePolicyAuthorization(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	if _, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ci")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("ci")})
	if err != nil {
		t.Fatal(err)
	}
	ci := aasdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	in := &aasdk.ValidatePolicyInput{PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}`),
		PolicyType: aatypes.PolicyTypeIdentityPolicy}
	if _, err := ci.ValidatePolicy(ctx, in); apiCode(err) != "AccessDeniedException" {
		t.Fatalf("without permission: %v", err)
	}
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("validate"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"access-analyzer:ValidatePolicy","Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}
	out, err := ci.ValidatePolicy(ctx, in)
	if err != nil || len(out.Findings) != 0 {
		t.Fatalf("with permission: %+v %v", out, err)
	}
}
