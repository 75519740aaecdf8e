package iam

import (
	"testing"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/protocol"
)

// TestCredentialPrincipalFollowsChanges checks that an access key's
// principal is shared between lookups and rebuilt after its user, or the
// key, changes.
func TestCredentialPrincipalFollowsChanges(t *testing.T) {
	s, must := newTestService(t)
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
