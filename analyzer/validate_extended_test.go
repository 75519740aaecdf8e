package analyzer

import (
	"strings"
	"testing"
)

func TestExtendedChecks(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		typ       PolicyType
		rt        string
		want      string // "CODE path", or "" for no Gatehouse finding
	}{
		{"public bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			ResourcePolicy, "AWS::S3::Bucket", "GATEHOUSE_PUBLIC_ACCESS Statement[0].Principal"},
		{"public with AWS star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"sqs:SendMessage","Resource":"*"}]}`,
			ResourcePolicy, "", "GATEHOUSE_PUBLIC_ACCESS Statement[0].Principal"},
		{"public with condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
			ResourcePolicy, "", ""},
		{"public deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`,
			ResourcePolicy, "", ""},
		{"broad trust", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`,
			ResourcePolicy, TrustPolicyResourceType, "GATEHOUSE_BROAD_TRUST Statement[0].Principal"},
		{"trust to an account", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`,
			ResourcePolicy, TrustPolicyResourceType, ""},
		{"iam wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`,
			IdentityPolicy, "", "GATEHOUSE_WILDCARD_PERMISSIONS_MANAGEMENT Statement[0].Action"},
		{"s3 put wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Put*Object","Resource":"*"}]}`,
			IdentityPolicy, "", "GATEHOUSE_WILDCARD_WRITE Statement[0].Action"},
		{"read wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`,
			IdentityPolicy, "", ""},
		{"write wildcard on one bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Put*","Resource":"arn:aws:s3:::b/*"}]}`,
			IdentityPolicy, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range Validate(tc.doc, tc.typ, Options{ResourceType: tc.rt, Extended: true}) {
				if strings.HasPrefix(f.IssueCode, "GATEHOUSE_") {
					got = append(got, f.IssueCode+" "+pathString(f.Locations[0].Path))
					if f.LearnMoreLink == "" || IssueTitle(f.IssueCode) == f.IssueCode {
						t.Errorf("%s lacks a link or title", f.IssueCode)
					}
				}
			}
			if (tc.want == "" && len(got) != 0) || (tc.want != "" && (len(got) != 1 || got[0] != tc.want)) {
				t.Errorf("Gatehouse findings %v, want %q", got, tc.want)
			}
			for _, f := range Validate(tc.doc, tc.typ, Options{ResourceType: tc.rt}) {
				if strings.HasPrefix(f.IssueCode, "GATEHOUSE_") {
					t.Errorf("%s reported without Extended", f.IssueCode)
				}
			}
		})
	}
}
