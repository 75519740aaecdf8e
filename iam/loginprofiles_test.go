package iam

import (
	"context"
	"encoding/base32"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// TestSignInAcrossUserChanges checks that DeleteUser refuses a user with a
// password or an MFA device, that both follow UpdateUser renames, and that
// a new user of a deleted user's name inherits neither.
func TestSignInAcrossUserChanges(t *testing.T) {
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
	newCall := func(p protocol.Params) *Call {
		return &Call{Ctx: ctx, Account: account, Caller: &authz.Principal{Type: authz.Root}, Params: p, Now: time.Now().UTC(), Context: authz.Context{}}
	}
	call := func(op string, p protocol.Params) (any, error) { return operations[op].Handle(s, newCall(p)) }
	must := func(op string, p protocol.Params) any {
		t.Helper()
		out, err := call(op, p)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return out
	}
	conflict := func(name string) string {
		t.Helper()
		_, err := call("DeleteUser", protocol.Params{"UserName": name})
		if e := awserr.As(err); e != nil && e.Code == "DeleteConflict" {
			return e.Message
		}
		if err != nil {
			t.Fatal(err)
		}
		return ""
	}

	must("CreateUser", protocol.Params{"UserName": "ann"})
	must("CreateLoginProfile", protocol.Params{"UserName": "ann", "Password": "Passw0rd!"})
	if msg := conflict("ann"); msg != "Cannot delete entity, must delete login profile first." {
		t.Fatalf("conflict with a password: %q", msg)
	}
	dev := must("CreateVirtualMFADevice", protocol.Params{"VirtualMFADeviceName": "ann"}).(map[string]any)["VirtualMFADevice"].(map[string]any)
	serial := dev["SerialNumber"].(string)
	key, _ := base32.StdEncoding.DecodeString(string(dev["Base32StringSeed"].([]byte)))
	step := totpStepAt(time.Now())
	must("EnableMFADevice", protocol.Params{"UserName": "ann", "SerialNumber": serial,
		"AuthenticationCode1": totp(key, step-1), "AuthenticationCode2": totp(key, step)})
	must("DeleteLoginProfile", protocol.Params{"UserName": "ann"})
	if msg := conflict("ann"); msg != "Cannot delete entity, must delete MFA device first." {
		t.Fatalf("conflict with an MFA device: %q", msg)
	}
	must("CreateLoginProfile", protocol.Params{"UserName": "ann", "Password": "Passw0rd!"})

	// Rename ann to bea: the password and the device follow.
	must("UpdateUser", protocol.Params{"UserName": "ann", "NewUserName": "bea"})
	if !s.CheckPassword(ctx, account, "bea", "Passw0rd!") || s.CheckPassword(ctx, account, "ann", "Passw0rd!") {
		t.Fatal("password did not follow the rename")
	}
	if out := must("ListMFADevices", protocol.Params{"UserName": "bea"}).(map[string]any)["MFADevices"].([]map[string]any); len(out) != 1 {
		t.Fatalf("devices after rename: %v", out)
	}
	if user, err := s.VerifyMFA(ctx, account, serial, totp(key, step+1), time.Now()); err != nil || user != "bea" {
		t.Fatalf("VerifyMFA after rename: %q %v", user, err)
	}

	// Delete bea behind DeleteUser's back (as a store restored from an
	// older backup might) and create a namesake: it inherits nothing.
	if err := s.update(ctx, func(tx store.Tx) error {
		return tx.Delete(ctx, store.Key{Kind: kindUser, Account: account, ID: "bea"}, 0)
	}); err != nil {
		t.Fatal(err)
	}
	must("CreateUser", protocol.Params{"UserName": "bea"})
	if s.CheckPassword(ctx, account, "bea", "Passw0rd!") {
		t.Fatal("a new user inherited a deleted user's password")
	}
	if _, err := call("GetLoginProfile", protocol.Params{"UserName": "bea"}); awserr.As(err) == nil || awserr.As(err).Code != "NoSuchEntity" {
		t.Fatalf("GetLoginProfile of the namesake: %v", err)
	}
	if _, err := s.VerifyMFA(ctx, account, serial, totp(key, step+2), time.Now()); err == nil {
		t.Fatal("a deleted user's device still verifies")
	}
	must("CreateLoginProfile", protocol.Params{"UserName": "bea", "Password": "Other-Passw0rd"})
	if !s.CheckPassword(ctx, account, "bea", "Other-Passw0rd") {
		t.Fatal("namesake's own password")
	}
	unassigned := must("ListVirtualMFADevices", protocol.Params{"AssignmentStatus": "Unassigned"}).(map[string]any)["VirtualMFADevices"].([]map[string]any)
	if len(unassigned) != 1 {
		t.Fatalf("orphaned device is not unassigned: %v", unassigned)
	}
	must("DeleteVirtualMFADevice", protocol.Params{"SerialNumber": serial})
}

// BenchmarkHashPassword measures what one password costs to set or check
// (PBKDF2-HMAC-SHA256, 600,000 iterations).
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := hashPassword("Passw0rd!"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTOTP measures one code computation; verifying a code computes
// up to three, enabling a device up to 42.
func BenchmarkTOTP(b *testing.B) {
	key := []byte("12345678901234567890")
	for i := int64(0); b.Loop(); i++ {
		totp(key, i)
	}
}

func TestDeleteUserWithoutSignIn(t *testing.T) {
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
	c := func(p protocol.Params) *Call {
		return &Call{Ctx: ctx, Account: "111122223333", Caller: &authz.Principal{Type: authz.Root}, Params: p, Now: time.Now().UTC(), Context: authz.Context{}}
	}
	for _, op := range []struct {
		name string
		p    protocol.Params
	}{
		{"CreateUser", protocol.Params{"UserName": "cid"}},
		{"CreateLoginProfile", protocol.Params{"UserName": "cid", "Password": "Passw0rd!"}},
		{"DeleteLoginProfile", protocol.Params{"UserName": "cid"}},
		{"DeleteUser", protocol.Params{"UserName": "cid"}},
	} {
		if _, err := operations[op.name].Handle(s, c(op.p)); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
	}
}
