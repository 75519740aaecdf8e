package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

func TestAccessKeysLifecycle(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}))
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(coreAllow("iam:GetUser"))}))

	// Two keys per user; the user name is matched case-insensitively and
	// reported as stored.
	var keys []*types.AccessKey
	for _, as := range []string{"alice", "ALICE"} {
		k := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(as)})).AccessKey
		if !strings.HasPrefix(*k.AccessKeyId, "AKIA") || len(*k.AccessKeyId) != 20 || len(*k.SecretAccessKey) != 40 ||
			k.Status != types.StatusTypeActive || *k.UserName != "alice" || k.CreateDate == nil {
			t.Fatalf("CreateAccessKey(%s): %+v", as, k)
		}
		keys = append(keys, k)
	}
	bobKey := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey
	id0, id1 := *keys[0].AccessKeyId, *keys[1].AccessKeyId

	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"third key", must2(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})),
			"LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2"},
		{"CreateAccessKey missing user", must2(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("nobody")})),
			"NoSuchEntity", "The user with name nobody cannot be found."},
		{"ListAccessKeys missing user", must2(root.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("nobody")})),
			"NoSuchEntity", "The user with name nobody cannot be found."},
		{"UpdateAccessKey unknown key", must2(root.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA"), Status: types.StatusTypeInactive})),
			"NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found."},
		{"UpdateAccessKey of another user", must2(root.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: bobKey.AccessKeyId, Status: types.StatusTypeInactive})),
			"NoSuchEntity", "The Access Key with id " + *bobKey.AccessKeyId + " cannot be found."},
		{"DeleteAccessKey of another user", must2(root.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("bob"),
			AccessKeyId: aws.String(id0)})), "NoSuchEntity", "The Access Key with id " + id0 + " cannot be found."},
		{"GetAccessKeyLastUsed unknown key", must2(root.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{
			AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})), "AccessDenied", ""},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.err, e.code, e.msg)
	}

	pages := corePages(t, "ListAccessKeys", 1, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("Alice"), MaxItems: aws.Int32(1), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		var ids []string
		for _, k := range o.AccessKeyMetadata {
			if *k.UserName != "alice" || k.Status != types.StatusTypeActive {
				t.Fatalf("ListAccessKeys: %+v", k)
			}
			ids = append(ids, *k.AccessKeyId)
		}
		return ids, o.IsTruncated, o.Marker, nil
	})
	if got := coreFlatten(pages); len(got) != 2 || len(pages) != 2 || !(got[0] == id0 && got[1] == id1 || got[0] == id1 && got[1] == id0) {
		t.Fatalf("ListAccessKeys pages: %v", pages)
	}

	// An inactive key no longer signs; reactivated, it does again.
	alice := iamsdk.NewFromConfig(ts.Config(id0, *keys[0].SecretAccessKey))
	must(alice.GetUser(ctx, &iamsdk.GetUserInput{}))
	must(root.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(id0), Status: types.StatusTypeInactive}))
	wantCode(t, "inactive key", must2(alice.GetUser(ctx, &iamsdk.GetUserInput{})), "InvalidClientTokenId", "")
	if ks := must(root.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("alice")})).AccessKeyMetadata; len(ks) != 2 {
		t.Fatalf("keys: %+v", ks)
	} else {
		for _, k := range ks {
			if want := map[bool]types.StatusType{true: types.StatusTypeInactive, false: types.StatusTypeActive}[*k.AccessKeyId == id0]; k.Status != want {
				t.Fatalf("status of %s: %s", *k.AccessKeyId, k.Status)
			}
		}
	}
	must(root.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(id0), Status: types.StatusTypeActive}))
	must(alice.GetUser(ctx, &iamsdk.GetUserInput{}))

	// GetAccessKeyLastUsed names the owner; an unused key has N/A, a used
	// one (recorded through the audit trail, asynchronously) its last use.
	lu := must(root.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id1)}))
	if *lu.UserName != "alice" || lu.AccessKeyLastUsed == nil || *lu.AccessKeyLastUsed.ServiceName != "N/A" || *lu.AccessKeyLastUsed.Region != "N/A" ||
		lu.AccessKeyLastUsed.LastUsedDate != nil {
		t.Fatalf("GetAccessKeyLastUsed of an unused key: %+v %+v", lu, lu.AccessKeyLastUsed)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		used := must(root.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id0)})).AccessKeyLastUsed
		if used.LastUsedDate != nil {
			if *used.ServiceName != "iam" || *used.Region != testserver.DefaultRegion || time.Since(*used.LastUsedDate) > time.Minute {
				t.Fatalf("GetAccessKeyLastUsed of a used key: %+v", used)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("last use of %s never recorded: %+v", id0, used)
		}
	}

	// A deleted key no longer signs, and frees its place in the quota.
	must(root.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(id0)}))
	wantCode(t, "deleted key", must2(alice.GetUser(ctx, &iamsdk.GetUserInput{})), "InvalidClientTokenId", "")
	wantCode(t, "delete twice", must2(root.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(id0)})),
		"NoSuchEntity", "The Access Key with id "+id0+" cannot be found.")
	must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))
}

func TestAccessKeysSelfService(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account
	for _, u := range []string{"alice", "bob"} {
		must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(u)}))
	}
	// AWS's documented self-service policy: manage one's own keys only.
	self := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey","iam:DeleteAccessKey","iam:GetAccessKeyLastUsed"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"), PolicyDocument: aws.String(self)}))
	alice := coreKeyClient(t, ts, "alice")

	k := must(alice.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{})).AccessKey
	if *k.UserName != "alice" {
		t.Fatalf("self-created key: %+v", k)
	}
	if ks := must(alice.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{})).AccessKeyMetadata; len(ks) != 2 {
		t.Fatalf("own keys: %+v", ks)
	}
	must(alice.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{AccessKeyId: k.AccessKeyId, Status: types.StatusTypeInactive}))
	if lu := must(alice.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})); *lu.UserName != "alice" {
		t.Fatalf("GetAccessKeyLastUsed: %+v", lu)
	}
	wantCode(t, "third key of alice", must2(alice.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{})),
		"LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	must(alice.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{AccessKeyId: k.AccessKeyId}))

	bobKey := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey
	wantCode(t, "create a key for bob", must2(alice.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})),
		"AccessDenied", "User: arn:aws:iam::"+acct+":user/alice is not authorized to perform: iam:CreateAccessKey on resource: arn:aws:iam::"+acct+
			":user/bob because no identity-based policy allows the iam:CreateAccessKey action")
	wantCode(t, "list bob's keys", must2(alice.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("bob")})), "AccessDenied", "")
	wantCode(t, "last use of bob's key", must2(alice.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: bobKey.AccessKeyId})),
		"AccessDenied", "")
	// Naming bob's key as one's own finds nothing.
	wantCode(t, "delete bob's key as own", must2(alice.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{AccessKeyId: bobKey.AccessKeyId})),
		"NoSuchEntity", "The Access Key with id "+*bobKey.AccessKeyId+" cannot be found.")

	// Root's own keys: no UserName.
	rk := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{})).AccessKey
	if rk.UserName != nil {
		t.Fatalf("root key has a user: %+v", rk)
	}
	must(root.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{AccessKeyId: rk.AccessKeyId}))
}

func TestAccessKeyQuotaUnderConcurrency(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			errs <- must2(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))
		}()
	}
	ok := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case apiCode(err) != "LimitExceeded":
			t.Errorf("concurrent CreateAccessKey: %v", err)
		}
	}
	keys := must(root.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("alice")})).AccessKeyMetadata
	if ok != 2 || len(keys) != 2 {
		t.Fatalf("%d creations succeeded, %d keys stored; want 2", ok, len(keys))
	}
}
