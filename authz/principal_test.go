package authz

import (
	"maps"
	"slices"
	"testing"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// TestPrincipalKeys checks the global condition keys derived from each kind
// of principal, and that a prepared principal and an unprepared one derive
// the same.
func TestPrincipalKeys(t *testing.T) {
	tests := []struct {
		name   string
		p      Principal
		keys   map[string]string
		caller policy.Caller
	}{
		{
			name: "user",
			p: Principal{Type: User, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/dev/alice",
				ID: "AIDAEXAMPLE", Tags: map[string]string{"Team": "blue", "cost-center": ""}},
			keys: map[string]string{"aws:username": "alice", "aws:userid": "AIDAEXAMPLE",
				"aws:principalarn": "arn:aws:iam::111122223333:user/dev/alice", "aws:principaltype": "User",
				"aws:principalaccount": "111122223333", "aws:principalisawsservice": "false",
				"aws:principaltag/team": "blue", "aws:principaltag/cost-center": ""},
			caller: policy.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/dev/alice"},
		},
		{
			name: "role session with tags",
			p: Principal{Type: AssumedRole, Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/ops/build-42",
				RoleARN: "arn:aws:iam::111122223333:role/ops", SessionName: "build-42", ID: "AROAEXAMPLE",
				Tags: map[string]string{"Project": "Apollo", "ENV": "prod", "Ünïcode": "x"}},
			keys: map[string]string{"aws:userid": "AROAEXAMPLE:build-42",
				"aws:principalarn": "arn:aws:iam::111122223333:role/ops", "aws:principaltype": "AssumedRole",
				"aws:principalaccount": "111122223333", "aws:principalisawsservice": "false",
				"aws:principaltag/project": "Apollo", "aws:principaltag/env": "prod", "aws:principaltag/ünïcode": "x"},
			caller: policy.Caller{Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/ops/build-42",
				RoleARN: "arn:aws:iam::111122223333:role/ops"},
		},
		{
			name: "role session with role and session tags",
			p: Principal{Type: AssumedRole, Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/ops/s",
				RoleARN: "arn:aws:iam::111122223333:role/ops", SessionName: "s", ID: "AROAEXAMPLE",
				Tags:        map[string]string{"Team": "red", "env": "dev", "owner": "ops"},
				SessionTags: map[string]string{"team": "blue", "env": "prod"}},
			keys: map[string]string{"aws:userid": "AROAEXAMPLE:s",
				"aws:principalarn": "arn:aws:iam::111122223333:role/ops", "aws:principaltype": "AssumedRole",
				"aws:principalaccount": "111122223333", "aws:principalisawsservice": "false",
				"aws:principaltag/team": "blue", "aws:principaltag/env": "prod", "aws:principaltag/owner": "ops"},
			caller: policy.Caller{Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/ops/s",
				RoleARN: "arn:aws:iam::111122223333:role/ops"},
		},
		{
			name: "user with more keys than fit inline",
			p: Principal{Type: User, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/carol",
				Tags: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "with-a-rather-long-tag-key-name": "5"}},
			keys: map[string]string{"aws:username": "carol",
				"aws:principalarn": "arn:aws:iam::111122223333:user/carol", "aws:principaltype": "User",
				"aws:principalaccount": "111122223333", "aws:principalisawsservice": "false",
				"aws:principaltag/a": "1", "aws:principaltag/b": "2", "aws:principaltag/c": "3", "aws:principaltag/d": "4",
				"aws:principaltag/with-a-rather-long-tag-key-name": "5"},
			caller: policy.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/carol"},
		},
		{
			name: "role session without id",
			p: Principal{Type: AssumedRole, Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/ops/s",
				RoleARN: "arn:aws:iam::111122223333:role/ops", SessionName: "s"},
			keys: map[string]string{"aws:principalarn": "arn:aws:iam::111122223333:role/ops", "aws:principaltype": "AssumedRole",
				"aws:principalaccount": "111122223333", "aws:principalisawsservice": "false"},
			caller: policy.Caller{Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/ops/s",
				RoleARN: "arn:aws:iam::111122223333:role/ops"},
		},
		{
			name: "federated user named by its ARN",
			p:    Principal{Type: FederatedUser, Account: "111122223333", ARN: "arn:aws:sts::111122223333:federated-user/bob"},
			keys: map[string]string{"aws:userid": "111122223333:bob",
				"aws:principalarn": "arn:aws:sts::111122223333:federated-user/bob", "aws:principaltype": "FederatedUser",
				"aws:principalaccount": "111122223333", "aws:principalisawsservice": "false"},
			caller: policy.Caller{Account: "111122223333", ARN: "arn:aws:sts::111122223333:federated-user/bob"},
		},
		{
			name: "root",
			p:    Principal{Type: Root, Account: "111122223333"},
			keys: map[string]string{"aws:userid": "111122223333", "aws:principalarn": "arn:aws:iam::111122223333:root",
				"aws:principaltype": "Account", "aws:principalaccount": "111122223333", "aws:principalisawsservice": "false"},
			caller: policy.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"},
		},
		{
			name:   "service",
			p:      Principal{Type: Service, Service: "cloudtrail.amazonaws.com"},
			keys:   map[string]string{"aws:principalservicename": "cloudtrail.amazonaws.com", "aws:principalisawsservice": "true"},
			caller: policy.Caller{Service: "cloudtrail.amazonaws.com"},
		},
		{
			name:   "identity provider",
			p:      Principal{Type: IdentityProvider, Provider: "accounts.google.com"},
			keys:   map[string]string{"aws:federatedprovider": "accounts.google.com", "aws:principalisawsservice": "false"},
			caller: policy.Caller{Federated: "accounts.google.com"},
		},
		{
			name: "anonymous",
			p:    Principal{Type: Anonymous},
			keys: map[string]string{"aws:userid": "anonymous", "aws:principalaccount": "anonymous",
				"aws:principaltype": "Anonymous", "aws:principalisawsservice": "false"},
			caller: policy.Caller{Anonymous: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unprepared := tt.p
			prepared := tt.p
			prepared.Prepare()
			for _, k := range []*principalKeys{unprepared.keys(), prepared.keys()} {
				got := map[string]string{}
				for key, v := range derivedMap(k) {
					if len(v) != 1 || cap(v) != 1 {
						t.Errorf("%s = %q (cap %d), want one value that cannot be appended to in place", key, v, cap(v))
						continue
					}
					got[key] = v[0]
				}
				if !maps.Equal(got, tt.keys) {
					t.Errorf("keys:\n got %v\nwant %v", got, tt.keys)
				}
				if k.caller != tt.caller {
					t.Errorf("caller = %+v, want %+v", k.caller, tt.caller)
				}
			}
			if unprepared.prepared.ready {
				t.Error("keys() prepared the principal")
			}
			for key := range tt.keys {
				if !isDerivedKey(key) {
					t.Errorf("%s is derived but isDerivedKey does not know it: evaluations would never see it", key)
				}
			}
		})
	}
}

// TestPrepareDerivesAgain checks that preparing a principal again derives
// from its current fields.
func TestPrepareDerivesAgain(t *testing.T) {
	p := (&Principal{Type: User, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice",
		Tags: map[string]string{"a": "1"}}).Prepare()
	p.Tags = map[string]string{"b": "2"}
	p.Prepare()
	got := slices.Sorted(maps.Keys(derivedMap(p.keys())))
	want := []string{"aws:principalaccount", "aws:principalarn", "aws:principalisawsservice",
		"aws:principaltag/b", "aws:principaltype", "aws:username"}
	if !slices.Equal(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
}

// derivedMap returns the principal's derived condition keys, deriving them.
func derivedMap(k *principalKeys) map[string][]string {
	k.lookup("aws:principalisawsservice")
	return k.keys.Load().(*derivedKeys).m
}

// TestDerivedOnFirstUse checks that a prepared principal derives its
// condition keys only when an evaluation reads one, once, and that
// evaluations of conditions on other keys leave them underived.
func TestDerivedOnFirstUse(t *testing.T) {
	p := (&Principal{Type: User, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", ID: "AIDAEXAMPLE",
		Tags: map[string]string{"team": "blue"}}).Prepare()
	pol := func(doc string) *Policies {
		c, err := policy.ParseAndCompile("p", doc, policy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		return &Policies{Identity: policy.NewSet(c)}
	}
	ctx := Context{}
	ctx.Set("aws:SourceIp", "10.0.0.1")
	req := &Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx}
	plain := pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
		"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
	if d := Evaluate(plain, req, nil); d != Allow {
		t.Fatalf("decision %v, want Allow", d)
	}
	if p.prepared.keys.Load() != nil {
		t.Error("keys derived for a policy that reads none of them")
	}
	tagged := pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
		"Condition":{"StringEquals":{"aws:PrincipalTag/Team":"blue","aws:username":"alice"}}}]}`)
	for range 2 {
		if d := Evaluate(tagged, req, nil); d != Allow {
			t.Fatalf("decision %v, want Allow", d)
		}
	}
	first := p.prepared.keys.Load()
	if first == nil {
		t.Fatal("keys not kept after first use")
	}
	if Evaluate(tagged, req, nil); p.prepared.keys.Load() != first {
		t.Error("keys derived again")
	}
}
