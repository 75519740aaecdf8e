package postgres

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/internal/pgtest"
	"github.com/gatehouse-iam/gatehouse/protocol"
)

// TestIAMQuotasAcrossNodes runs two IAM services (two nodes, each with its
// own connection pool) over one PostgreSQL schema and races writes that a
// quota or a uniqueness rule limits, half through each node: serializable
// transactions must let exactly as many through as the rule allows.
func TestIAMQuotasAcrossNodes(t *testing.T) {
	const account = "111122223333"
	ctx := t.Context()
	url, schema := pgtest.NewSchema(t)
	sealer, err := iam.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	var nodes [2]*iam.Service
	for i := range nodes {
		st, err := Open(ctx, url, Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if nodes[i], err = iam.New(ctx, iam.Config{Store: st, Sealer: sealer}); err != nil {
			t.Fatal(err)
		}
		if err := nodes[i].Bootstrap(ctx, account, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	call := func(node *iam.Service, op string, p protocol.Params) (any, error) {
		o, ok := node.Operation(op)
		if !ok {
			t.Fatalf("no operation %s", op)
		}
		return o.Handle(node, &iam.Call{Ctx: ctx, Account: account, Caller: &authz.Principal{Type: authz.Root},
			Params: p, Now: time.Now().UTC(), Context: authz.Context{}})
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	if _, err := call(nodes[0], "CreateUser", protocol.Params{"UserName": "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := call(nodes[1], "CreatePolicy", protocol.Params{"PolicyName": "shared", "PolicyDocument": doc}); err != nil {
		t.Fatal(err)
	}
	policyARN := "arn:aws:iam::" + account + ":policy/shared"
	tests := []struct {
		name    string
		op      string
		params  func(i int) protocol.Params
		wins    int    // successful calls allowed
		loserIs string // the error code of every other call
	}{
		{"two access keys per user", "CreateAccessKey",
			func(int) protocol.Params { return protocol.Params{"UserName": "bob"} }, 2, "LimitExceeded"},
		{"five versions per policy", "CreatePolicyVersion",
			func(int) protocol.Params { return protocol.Params{"PolicyArn": policyARN, "PolicyDocument": doc} }, 4, "LimitExceeded"},
		{"user names ignore case", "CreateUser",
			func(i int) protocol.Params {
				return protocol.Params{"UserName": []string{"carol", "Carol", "CAROL", "cArOl"}[i%4]}
			}, 1, "EntityAlreadyExists"},
		{"policy names ignore case", "CreatePolicy",
			func(i int) protocol.Params {
				return protocol.Params{"PolicyName": []string{"deploy", "Deploy", "DEPLOY"}[i%3], "PolicyDocument": doc}
			}, 1, "EntityAlreadyExists"},
	}
	const racers = 12
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := make([]error, racers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range racers {
				wg.Go(func() {
					<-start
					_, errs[i] = call(nodes[i%2], tc.op, tc.params(i))
				})
			}
			close(start)
			wg.Wait()
			wins := 0
			for i, err := range errs {
				switch e := awserr.As(err); {
				case err == nil:
					wins++
				case e == nil || e.Code != tc.loserIs:
					t.Errorf("racer %d on node %d: %v, want success or %s", i, i%2, err, tc.loserIs)
				}
			}
			if wins != tc.wins {
				t.Errorf("%d of %d racers succeeded, want exactly %d", wins, racers, tc.wins)
			}
		})
	}
}
