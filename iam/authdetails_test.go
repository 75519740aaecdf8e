package iam

import "testing"

func TestGrantsService(t *testing.T) {
	doc := func(stmt string) string { return `{"Version":"2012-10-17","Statement":[` + stmt + `]}` }
	for _, tc := range []struct {
		doc, ns string
		want    bool
	}{
		{doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`), "s3", true},
		{doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), "s3", true},
		{doc(`{"Effect":"Allow","Action":"S3:Get*","Resource":"*"}`), "s3", true},
		{doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), "ec2", false},
		{doc(`{"Effect":"Allow","Action":"s?s:*","Resource":"*"}`), "sqs", true},
		{doc(`{"Effect":"Allow","Action":"e?2:*","Resource":"*"}`), "ec2", true},
		{doc(`{"Effect":"Deny","Action":"*","Resource":"*"}`), "s3", false},
		{doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), "s3", true},
		{doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), "iam", false},
		{doc(`{"Effect":"Allow","NotAction":"iam:Create*","Resource":"*"}`), "iam", true},
		{"not json", "s3", false},
	} {
		if got := grantsService(tc.doc, tc.ns); got != tc.want {
			t.Errorf("grantsService(%s, %s) = %v, want %v", tc.doc, tc.ns, got, tc.want)
		}
	}
}
