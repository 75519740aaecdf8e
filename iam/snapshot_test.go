package iam

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// TestCredentialPrincipalFollowsChanges checks that an access key's
// principal is shared between lookups and rebuilt after its user, or the
// key, changes.
func TestCredentialPrincipalFollowsChanges(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sealer, _ := NewSealer(make([]byte, 32))
	s, err := New(ctx, Config{Store: st, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	const account = "111122223333"
	must := func(op string, p protocol.Params) any {
		t.Helper()
		c := &Call{Ctx: ctx, Account: account, Caller: &authz.Principal{Type: authz.Root}, Params: p, Now: time.Now().UTC(), Context: authz.Context{}}
		out, err := operations[op].Handle(s, c)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return out
	}
	must("CreateUser", protocol.Params{"UserName": "dan"})
	keyID := must("CreateAccessKey", protocol.Params{"UserName": "dan"}).(map[string]any)["AccessKey"].(map[string]any)["AccessKeyId"].(string)
	lookup := func() (*authz.Principal, bool) {
		t.Helper()
		c, ok := s.Snapshot().Credential(keyID)
		if !ok {
			t.Fatal("access key not found")
		}
		return c.Principal, c.Active
	}

	first, active := lookup()
	if again, _ := lookup(); again != first || !active || first.Username != "dan" || len(first.Tags) != 0 {
		t.Fatalf("lookups: %+v then %+v (active %v)", first, again, active)
	}
	must("TagUser", protocol.Params{"UserName": "dan", "Tags": []any{map[string]any{"Key": "team", "Value": "blue"}}})
	tagged, _ := lookup()
	if tagged == first || tagged.Tags["team"] != "blue" {
		t.Fatalf("after TagUser: %+v", tagged)
	}
	must("UpdateUser", protocol.Params{"UserName": "dan", "NewUserName": "daniel"})
	if renamed, _ := lookup(); renamed.Username != "daniel" {
		t.Fatalf("after UpdateUser: %+v", renamed)
	}
	must("UpdateAccessKey", protocol.Params{"UserName": "daniel", "AccessKeyId": keyID, "Status": "Inactive"})
	if _, active := lookup(); active {
		t.Fatal("deactivated key still active")
	}
	must("DeleteAccessKey", protocol.Params{"UserName": "daniel", "AccessKeyId": keyID})
	if _, ok := s.Snapshot().Credential(keyID); ok {
		t.Fatal("deleted key still found")
	}
}
