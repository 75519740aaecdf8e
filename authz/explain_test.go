package authz

import (
	"reflect"
	"testing"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// TestReasonAndMessage pins the explanation texts of every decision and
// deciding policy type: they are AWS's wording and the decision API's
// contract.
func TestReasonAndMessage(t *testing.T) {
	user := &Principal{ARN: "arn:aws:iam::111122223333:user/alice"}
	for _, tc := range []struct {
		d        Decision
		by       PolicyType
		level    string
		resource string
		reason   string
		detail   string
		message  string
	}{
		{Allow, Identity, "", "arn:aws:s3:::b/k", "allowed by an identity-based policy", "", ""},
		{Allow, Resource, "", "arn:aws:s3:::b/k", "allowed by a resource-based policy", "", ""},
		{Allow, Session, "", "arn:aws:s3:::b/k", "allowed by a session policy", "", ""},
		{ExplicitDeny, SCP, "r-ab12", "arn:aws:s3:::b/k", "with an explicit deny in a service control policy", "",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k with an explicit deny in a service control policy"},
		{ExplicitDeny, Identity, "", "*", "with an explicit deny in an identity-based policy", "",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject with an explicit deny in an identity-based policy"},
		{ExplicitDeny, RCP, "", "", "with an explicit deny in a resource control policy", "",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject with an explicit deny in a resource control policy"},
		{ImplicitDeny, Identity, "", "arn:aws:s3:::b/k", "because no identity-based policy allows the s3:GetObject action", "",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the s3:GetObject action"},
		{ImplicitDeny, Boundary, "", "arn:aws:s3:::b/k", "because no permissions boundary allows the s3:GetObject action", "",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no permissions boundary allows the s3:GetObject action"},
		{ImplicitDeny, SCP, "ou-ab12-11111111", "arn:aws:s3:::b/k", "because no service control policy allows the s3:GetObject action",
			"no service control policy at OU ou-ab12-11111111 allows s3:GetObject",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no service control policy allows the s3:GetObject action"},
		{ImplicitDeny, RCP, "r-ab12", "arn:aws:s3:::b/k", "because no resource control policy allows the s3:GetObject action",
			"no resource control policy at root r-ab12 allows s3:GetObject",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no resource control policy allows the s3:GetObject action"},
		{ImplicitDeny, SCP, "111122223333", "arn:aws:s3:::b/k", "because no service control policy allows the s3:GetObject action",
			"no service control policy at account 111122223333 allows s3:GetObject",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no service control policy allows the s3:GetObject action"},
	} {
		r := &Request{Principal: user, Action: "s3:GetObject", Resource: tc.resource}
		ex := &Explanation{DecidedBy: tc.by, Level: tc.level, denied: tc.d == ExplicitDeny}
		ex.finish(tc.d, r)
		if ex.Reason != tc.reason || ex.Detail != tc.detail {
			t.Errorf("%v by %v: reason %q, detail %q; want %q, %q", tc.d, tc.by, ex.Reason, ex.Detail, tc.reason, tc.detail)
		}
		if tc.message != "" {
			if got := ex.Message(r); got != tc.message {
				t.Errorf("%v by %v: message\n%q, want\n%q", tc.d, tc.by, got, tc.message)
			}
		}
	}
}

// TestExplanationReused checks that an explanation evaluated into again,
// as the decision API does over a batch, says what a new one does.
func TestExplanationReused(t *testing.T) {
	c, err := policy.ParseAndCompile("p", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"*"},
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"s3:x-amz-acl":"private"}}},
		{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/locked/*"}]}`, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	pol := &Policies{Identity: policy.NewSet(c)}
	user := &Principal{ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"}
	var reused Explanation
	missing := 0
	for _, q := range [][2]string{{"s3:GetObject", "arn:aws:s3:::b/k"}, {"s3:PutObject", "arn:aws:s3:::b/k"},
		{"s3:DeleteObject", "arn:aws:s3:::b/locked/k"}, {"s3:PutObject", "arn:aws:s3:::b/j"}, {"s3:ListBucket", "arn:aws:s3:::b"},
		{"s3:DeleteObject", "arn:aws:s3:::b/k"}, {"s3:PutObject", "*"}} {
		r := &Request{Principal: user, Action: q[0], Resource: q[1], Context: Context{}}
		var fresh Explanation
		want := Evaluate(pol, r, &fresh)
		got := Evaluate(pol, r, &reused)
		if got != want || reused.Reason != fresh.Reason || reused.Detail != fresh.Detail || reused.DecidedBy != fresh.DecidedBy ||
			reused.Message(r) != fresh.Message(r) || !reflect.DeepEqual(reused.Statements, fresh.Statements) ||
			!reflect.DeepEqual(reused.MissingKeys, fresh.MissingKeys) {
			t.Errorf("%v: reused explanation %v %+v, new one %v %+v", q, got, reused, want, fresh)
		}
		missing += len(fresh.MissingKeys)
	}
	if missing == 0 {
		t.Error("no evaluation missed a context key")
	}
}
