package orgs

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/protocol"
)

const (
	testManagement = "111111111111"
	testMember     = "222222222222"
	testOrg        = "o-abcdefghij"
	testRoot       = "r-ab12"
	testOU         = "ou-ab12-11111111"
	testSCP        = "p-scp11111"
	testRCP        = "p-rcp11111"

	arnPrefix  = "arn:aws:organizations::" + testManagement + ":"
	memberARN  = arnPrefix + "account/" + testOrg + "/" + testMember
	mgmtARN    = arnPrefix + "account/" + testOrg + "/" + testManagement
	rootARN    = arnPrefix + "root/" + testOrg + "/" + testRoot
	ouARN      = arnPrefix + "ou/" + testOrg + "/" + testOU
	scpARN     = arnPrefix + "policy/" + testOrg + "/service_control_policy/" + testSCP
	rcpARN     = arnPrefix + "policy/" + testOrg + "/resource_control_policy/" + testRCP
	fullAccess = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
)

// testService is a Service whose view holds one organization: the
// management account and a member in an OU tagged team=red, an SCP and an
// RCP.
func testService() *Service {
	st := &state{ID: testOrg, ManagementAccount: testManagement, RootID: testRoot,
		OUs: map[string]*ou{testOU: {ID: testOU, Name: "workloads", Parent: testRoot}},
		Accounts: map[string]*account{
			testManagement: {ID: testManagement, Parent: testRoot},
			testMember:     {ID: testMember, Parent: testOU},
		},
		Policies: map[string]*orgPolicy{
			testSCP: {ID: testSCP, Type: SCP},
			testRCP: {ID: testRCP, Type: RCP},
		},
		Tags: map[string][]Tag{testOU: {{Key: "team", Value: "red"}}, testMember: {{Key: "env", Value: "dev"}}},
	}
	s := &Service{partition: "aws"}
	ov := &orgView{st: st}
	s.view.Store(&view{byAccount: map[string]*orgView{testManagement: ov, testMember: ov}})
	return s
}

func TestAuthorizationCoversEveryOperation(t *testing.T) {
	for _, op := range Operations() {
		if _, ok := authRules[op]; !ok {
			t.Errorf("%s has no authorization rule", op)
		}
	}
	for op := range authRules {
		if _, ok := operations[op]; !ok {
			t.Errorf("authorization rule for %s, which is not implemented", op)
		}
	}
}

// resourceTags are the aws:ResourceTag/… keys of testService's tagged
// resources.
var resourceTags = map[string]map[string]string{
	memberARN: {"aws:resourcetag/env": "dev"},
	ouARN:     {"aws:resourcetag/team": "red"},
}

func TestAuthorization(t *testing.T) {
	tags := []any{map[string]any{"Key": "cost", "Value": "42"}, map[string]any{"Key": "owner", "Value": "ann"}}
	tests := []struct {
		op     string
		caller string // default: the management account
		params protocol.Params
		want   []string          // the checks' resources
		keys   map[string]string // request keys every check carries (lower case; values joined with ",")
	}{
		{op: "CreateOrganization", want: []string{"*"}},
		{op: "DescribeOrganization", want: []string{"*"}},
		{op: "DeleteOrganization", want: []string{"*"}},
		{op: "ListRoots", want: []string{"*"}},
		{op: "LeaveOrganization", caller: testMember, want: []string{"*"}},
		{op: "CreateAccount", params: protocol.Params{"Tags": tags}, want: []string{"*"},
			keys: map[string]string{"aws:requesttag/cost": "42", "aws:requesttag/owner": "ann", "aws:tagkeys": "cost,owner"}},
		{op: "DescribeCreateAccountStatus", params: protocol.Params{"CreateAccountRequestId": "car-1"}, want: []string{"*"}},
		{op: "ListCreateAccountStatus", want: []string{"*"}},
		{op: "DescribeAccount", params: protocol.Params{"AccountId": testMember}, want: []string{memberARN}},
		{op: "DescribeAccount", params: protocol.Params{"AccountId": testManagement}, want: []string{mgmtARN}},
		// An account that does not exist still has its ARN.
		{op: "DescribeAccount", params: protocol.Params{"AccountId": "333333333333"},
			want: []string{arnPrefix + "account/" + testOrg + "/333333333333"}},
		{op: "DescribeAccount", params: protocol.Params{"AccountId": testOU}, want: []string{"*"}},
		// Member accounts, which the operations refuse, are checked on "*".
		{op: "DescribeAccount", caller: testMember, params: protocol.Params{"AccountId": testMember}, want: []string{"*"}},
		{op: "DescribeAccount", caller: "999999999999", params: protocol.Params{"AccountId": testMember}, want: []string{"*"}},
		{op: "ListAccounts", want: []string{"*"}},
		{op: "ListAccountsForParent", params: protocol.Params{"ParentId": testRoot}, want: []string{rootARN}},
		{op: "RemoveAccountFromOrganization", params: protocol.Params{"AccountId": testMember}, want: []string{memberARN}},
		{op: "CloseAccount", params: protocol.Params{"AccountId": testMember}, want: []string{memberARN}},
		{op: "MoveAccount", params: protocol.Params{"AccountId": testMember, "SourceParentId": testOU, "DestinationParentId": testRoot},
			want: []string{memberARN, ouARN, rootARN}},
		{op: "CreateOrganizationalUnit", params: protocol.Params{"ParentId": testOU, "Name": "x", "Tags": tags[:1]},
			want: []string{ouARN}, keys: map[string]string{"aws:requesttag/cost": "42", "aws:tagkeys": "cost"}},
		{op: "UpdateOrganizationalUnit", params: protocol.Params{"OrganizationalUnitId": testOU}, want: []string{ouARN}},
		{op: "DeleteOrganizationalUnit", params: protocol.Params{"OrganizationalUnitId": testOU}, want: []string{ouARN}},
		{op: "DescribeOrganizationalUnit", params: protocol.Params{"OrganizationalUnitId": testOU}, want: []string{ouARN}},
		{op: "DescribeOrganizationalUnit", params: protocol.Params{"OrganizationalUnitId": "ou-ab12-99999999"},
			want: []string{arnPrefix + "ou/" + testOrg + "/ou-ab12-99999999"}},
		{op: "ListOrganizationalUnitsForParent", params: protocol.Params{"ParentId": testRoot}, want: []string{rootARN}},
		{op: "ListChildren", params: protocol.Params{"ParentId": testOU, "ChildType": "ACCOUNT"}, want: []string{ouARN}},
		{op: "ListParents", params: protocol.Params{"ChildId": testMember}, want: []string{memberARN}},
		{op: "ListParents", params: protocol.Params{"ChildId": testRoot}, want: []string{"*"}},
		{op: "EnablePolicyType", params: protocol.Params{"RootId": testRoot, "PolicyType": RCP}, want: []string{rootARN},
			keys: map[string]string{"organizations:policytype": RCP}},
		{op: "DisablePolicyType", params: protocol.Params{"RootId": testRoot, "PolicyType": SCP}, want: []string{rootARN},
			keys: map[string]string{"organizations:policytype": SCP}},
		{op: "CreatePolicy", params: protocol.Params{"Type": RCP, "Name": "n", "Content": "{}", "Tags": tags[1:]},
			want: []string{arnPrefix + "policy/" + testOrg + "/resource_control_policy/p-*"},
			keys: map[string]string{"organizations:policytype": RCP, "aws:requesttag/owner": "ann", "aws:tagkeys": "owner"}},
		{op: "CreatePolicy", caller: testMember, params: protocol.Params{"Type": SCP}, want: []string{"*"},
			keys: map[string]string{"organizations:policytype": SCP}},
		{op: "UpdatePolicy", params: protocol.Params{"PolicyId": testSCP}, want: []string{scpARN},
			keys: map[string]string{"organizations:policytype": SCP}},
		{op: "DeletePolicy", params: protocol.Params{"PolicyId": testRCP}, want: []string{rcpARN},
			keys: map[string]string{"organizations:policytype": RCP}},
		{op: "DescribePolicy", params: protocol.Params{"PolicyId": "p-FullAWSAccess"}, want: []string{fullAccess},
			keys: map[string]string{"organizations:policytype": SCP}},
		// A policy that does not exist has no type, hence no ARN.
		{op: "DescribePolicy", params: protocol.Params{"PolicyId": "p-missing1"}, want: []string{"*"}},
		{op: "ListPolicies", params: protocol.Params{"Filter": RCP}, want: []string{"*"},
			keys: map[string]string{"organizations:policytype": RCP}},
		{op: "AttachPolicy", params: protocol.Params{"PolicyId": testSCP, "TargetId": testOU}, want: []string{scpARN, ouARN},
			keys: map[string]string{"organizations:policytype": SCP}},
		{op: "AttachPolicy", params: protocol.Params{"PolicyId": testRCP, "TargetId": testMember}, want: []string{rcpARN, memberARN},
			keys: map[string]string{"organizations:policytype": RCP}},
		{op: "DetachPolicy", params: protocol.Params{"PolicyId": testSCP, "TargetId": testRoot}, want: []string{scpARN, rootARN},
			keys: map[string]string{"organizations:policytype": SCP}},
		{op: "ListPoliciesForTarget", params: protocol.Params{"TargetId": testMember, "Filter": SCP}, want: []string{memberARN},
			keys: map[string]string{"organizations:policytype": SCP}},
		{op: "ListTargetsForPolicy", params: protocol.Params{"PolicyId": testRCP}, want: []string{rcpARN},
			keys: map[string]string{"organizations:policytype": RCP}},
		{op: "TagResource", params: protocol.Params{"ResourceId": testSCP, "Tags": tags[:1]}, want: []string{scpARN},
			keys: map[string]string{"organizations:policytype": SCP, "aws:requesttag/cost": "42", "aws:tagkeys": "cost"}},
		{op: "UntagResource", params: protocol.Params{"ResourceId": testOU, "TagKeys": []any{"team", "x"}}, want: []string{ouARN},
			keys: map[string]string{"aws:tagkeys": "team,x"}},
		{op: "ListTagsForResource", params: protocol.Params{"ResourceId": testRoot}, want: []string{rootARN}},
		{op: "EnableAWSServiceAccess", params: protocol.Params{"ServicePrincipal": "config.amazonaws.com"}, want: []string{"*"},
			keys: map[string]string{"organizations:serviceprincipal": "config.amazonaws.com"}},
		{op: "DisableAWSServiceAccess", params: protocol.Params{"ServicePrincipal": "config.amazonaws.com"}, want: []string{"*"},
			keys: map[string]string{"organizations:serviceprincipal": "config.amazonaws.com"}},
		{op: "ListAWSServiceAccessForOrganization", want: []string{"*"}},
		{op: "ListDelegatedAdministrators", want: []string{"*"}},
	}
	s := testService()
	for _, tt := range tests {
		caller := tt.caller
		if caller == "" {
			caller = testManagement
		}
		c := &iam.Call{Ctx: context.Background(), Account: caller, Params: tt.params, Context: authz.Context{"aws:sourceip": {"10.0.0.1"}}}
		if c.Params == nil {
			c.Params = protocol.Params{}
		}
		checks := s.Authorization(tt.op, c)
		var got []string
		for _, chk := range checks {
			got = append(got, chk.Resource)
		}
		if !matchResources(got, tt.want) {
			t.Errorf("%s %v: resources %q, want %q", tt.op, tt.params, got, tt.want)
			continue
		}
		for i, chk := range checks {
			wantAcct := testManagement
			if chk.Resource == "*" {
				wantAcct = ""
			}
			if chk.Account != wantAcct {
				t.Errorf("%s: check %d account %q, want %q", tt.op, i, chk.Account, wantAcct)
			}
			want := map[string]string{"aws:sourceip": "10.0.0.1"}
			for k, v := range tt.keys {
				want[k] = v
			}
			for k, v := range resourceTags[chk.Resource] {
				want[k] = v
			}
			gotKeys := map[string]string{}
			for k, v := range chk.Context {
				gotKeys[k] = strings.Join(v, ",")
			}
			if !reflect.DeepEqual(gotKeys, want) {
				t.Errorf("%s %v: check %d context %v, want %v", tt.op, tt.params, i, gotKeys, want)
			}
		}
	}
}

// matchResources compares resources, a trailing "*" in want matching any
// rest (a new policy's random id).
func matchResources(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if p, ok := strings.CutSuffix(want[i], "*"); ok && want[i] != "*" {
			if !strings.HasPrefix(got[i], p) {
				return false
			}
		} else if got[i] != want[i] {
			return false
		}
	}
	return true
}

// TestCreatePolicyID checks that the policy CreatePolicy creates gets the id
// its authorization checked.
func TestCreatePolicyID(t *testing.T) {
	s := testService()
	c := &iam.Call{Ctx: context.Background(), Account: testManagement, Params: protocol.Params{"Type": SCP}, Context: authz.Context{}}
	checks := s.Authorization("CreatePolicy", c)
	id := newPolicyID(c)
	if !strings.HasSuffix(checks[0].Resource, "/service_control_policy/"+id) {
		t.Fatalf("checked %s, creates %s", checks[0].Resource, id)
	}
	if other := newPolicyID(&iam.Call{Ctx: context.Background()}); other == id || !strings.HasPrefix(other, "p-") {
		t.Fatalf("a call without an authorized id gets %q", other)
	}
}

// FuzzAuthorization checks that any ids give one check per resource the
// operation names (one on "*" when it names none), each on "*" or an
// organization ARN.
func FuzzAuthorization(f *testing.F) {
	f.Add(uint8(0), testMember, testOU, "team")
	f.Add(uint8(3), testSCP, "r-", "")
	f.Add(uint8(7), "p-FullAWSAccess", "123456789012", "k")
	ops := Operations()
	s := testService()
	f.Fuzz(func(t *testing.T, n uint8, id1, id2, tag string) {
		op := ops[int(n)%len(ops)]
		params := protocol.Params{"Tags": []any{map[string]any{"Key": tag, "Value": id1}}, "TagKeys": []any{tag}, "Type": id1, "Filter": id2}
		for _, p := range []string{"AccountId", "ParentId", "OrganizationalUnitId", "RootId", "PolicyId", "ChildId", "ResourceId", "SourceParentId"} {
			params[p] = id1
		}
		params["TargetId"], params["DestinationParentId"] = id2, id2
		c := &iam.Call{Ctx: context.Background(), Account: testManagement, Params: params, Context: authz.Context{}}
		checks := s.Authorization(op, c)
		want := max(len(authRules[op].resources), 1)
		if len(checks) != want {
			t.Fatalf("%s: %d checks, want %d", op, len(checks), want)
		}
		for _, chk := range checks {
			if chk.Resource != "*" && !strings.HasPrefix(chk.Resource, "arn:aws:organizations::") {
				t.Fatalf("%s: resource %q", op, chk.Resource)
			}
		}
	})
}
