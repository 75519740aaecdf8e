package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// coreAllow is an identity policy document that allows actions on every
// resource.
func coreAllow(actions ...string) string {
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17",
		"Statement": []map[string]any{{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
	return string(doc)
}

// coreKeyClient creates an access key for an existing user and returns an
// IAM client signing with it.
func coreKeyClient(t *testing.T, ts *testserver.Server, user string) *iamsdk.Client {
	t.Helper()
	key, err := ts.IAMClient().CreateAccessKey(context.Background(), &iamsdk.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	return iamsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
}

// coreDecoded fails unless a policy document returned by the SDK (which
// does not URL-decode IAM's percent-encoded documents) decodes to want.
func coreDecoded(t *testing.T, what string, got *string, want string) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no document", what)
	}
	dec, err := url.QueryUnescape(*got)
	if err != nil || dec != want {
		t.Fatalf("%s: document %q decodes to %q (%v), want %q", what, *got, dec, err, want)
	}
}

// corePages drives a Marker/MaxItems list operation to its end. fetch
// returns one page's item names, IsTruncated and Marker. It fails on a page
// longer than max, a truncated page without a marker, or too many pages, and
// returns every page.
func corePages(t *testing.T, what string, max int, fetch func(marker *string) ([]string, bool, *string, error)) [][]string {
	t.Helper()
	var pages [][]string
	var marker *string
	for {
		items, truncated, next, err := fetch(marker)
		if err != nil {
			t.Fatalf("%s: page %d: %v", what, len(pages)+1, err)
		}
		if len(items) > max {
			t.Fatalf("%s: page %d has %d items, MaxItems %d", what, len(pages)+1, len(items), max)
		}
		pages = append(pages, items)
		if !truncated {
			return pages
		}
		if next == nil || *next == "" || len(pages) > 100 {
			t.Fatalf("%s: truncated page %d without a usable marker", what, len(pages))
		}
		marker = next
	}
}

// coreFlatten joins pages into one list.
func coreFlatten(pages [][]string) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p...)
	}
	return out
}

// coreWantPages fails unless pages hold exactly want, in order, in
// ceil(len(want)/max) pages.
func coreWantPages(t *testing.T, what string, pages [][]string, max int, want []string) {
	t.Helper()
	if got := coreFlatten(pages); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: listed %v, want %v", what, got, want)
	}
	if n := (len(want) + max - 1) / max; len(pages) != n && !(n == 0 && len(pages) == 1) {
		t.Fatalf("%s: %d pages, want %d", what, len(pages), n)
	}
}

func TestUsersLifecycle(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account

	out, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if *u.Arn != "arn:aws:iam::"+acct+":user/eng/alice" || *u.Path != "/eng/" || !strings.HasPrefix(*u.UserId, "AIDA") ||
		u.CreateDate == nil || len(u.Tags) != 1 {
		t.Fatalf("CreateUser: %+v", u)
	}

	errs := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"duplicate name, other case", func() error {
			_, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ALICE")})
			return err
		}, "EntityAlreadyExists", "User with name ALICE already exists."},
		{"GetUser missing", func() error {
			_, err := root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"UpdateUser missing", func() error {
			_, err := root.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("nobody"), NewUserName: aws.String("x")})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"DeleteUser missing", func() error {
			_, err := root.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"TagUser missing", func() error {
			_, err := root.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("nobody"),
				Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"UntagUser missing", func() error {
			_, err := root.UntagUser(ctx, &iamsdk.UntagUserInput{UserName: aws.String("nobody"), TagKeys: []string{"k"}})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"ListUserTags missing", func() error {
			_, err := root.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"reserved tag prefix", func() error {
			_, err := root.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"),
				Tags: []types.Tag{{Key: aws.String("aws:team"), Value: aws.String("v")}}})
			return err
		}, "InvalidInput", ""},
		{"duplicate tag keys", func() error {
			_, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("dup"),
				Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("K"), Value: aws.String("2")}}})
			return err
		}, "InvalidInput", ""},
		{"path without slashes", func() error {
			_, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("pathless"), Path: aws.String("eng")})
			return err
		}, "ValidationError", ""},
		{"name over 64 characters", func() error {
			_, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(strings.Repeat("a", 65))})
			return err
		}, "ValidationError", ""},
		{"name with a slash", func() error {
			_, err := root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("a/b")})
			return err
		}, "ValidationError", ""},
		{"MaxItems 0", func() error {
			_, err := root.ListUsers(ctx, &iamsdk.ListUsersInput{MaxItems: aws.Int32(0)})
			return err
		}, "ValidationError", ""},
		{"PutUserPermissionsBoundary missing user", func() error {
			_, err := root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("nobody"),
				PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"PutUserPermissionsBoundary missing policy", func() error {
			_, err := root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"),
				PermissionsBoundary: aws.String("arn:aws:iam::" + acct + ":policy/none")})
			return err
		}, "NoSuchEntity", ""},
		{"DeleteUserPermissionsBoundary missing user", func() error {
			_, err := root.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.call(), e.code, e.msg)
	}
	if _, err := root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("dup")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("a rejected CreateUser left a user: %v", err)
	}

	// GetUser without a name, as root, describes the root user.
	if me := must(root.GetUser(ctx, &iamsdk.GetUserInput{})).User; *me.Arn != "arn:aws:iam::"+acct+":root" || *me.UserId != acct {
		t.Fatalf("GetUser as root: %+v", me)
	}

	// Names are case-insensitive for lookups; the stored spelling is returned.
	got, err := root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("Alice")})
	if err != nil || *got.User.UserName != "alice" || *got.User.Arn != *u.Arn || len(got.User.Tags) != 1 {
		t.Fatalf("GetUser Alice: %+v %v", got, err)
	}

	// Tags: add, replace (keys compare case-insensitively), remove, list in pages.
	tags := []types.Tag{}
	for i := range 5 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	must(root.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"), Tags: tags}))
	must(root.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"),
		Tags: []types.Tag{{Key: aws.String("TEAM"), Value: aws.String("red")}}}))
	must(root.UntagUser(ctx, &iamsdk.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"k4", "absent"}}))
	pages := corePages(t, "ListUserTags", 2, func(m *string) ([]string, bool, *string, error) {
		o, err := root.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("alice"), MaxItems: aws.Int32(2), Marker: m})
		if err != nil {
			return nil, false, nil, err
		}
		var names []string
		for _, tg := range o.Tags {
			names = append(names, *tg.Key+"="+*tg.Value)
		}
		return names, o.IsTruncated, o.Marker, nil
	})
	coreWantPages(t, "ListUserTags", pages, 2, []string{"TEAM=red", "k0=v", "k1=v", "k2=v", "k3=v"})
	many := make([]types.Tag, 0, 50)
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("x%d", i)), Value: aws.String("v")})
	}
	wantCode(t, "51 tags", must2(root.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"), Tags: many})),
		"LimitExceeded", "")

	// Permissions boundary: set, replace, count usage, remove.
	pol := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("bound"),
		PolicyDocument: aws.String(coreAllow("iam:*"))})).Policy
	must(root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"),
		PermissionsBoundary: pol.Arn}))
	must(root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"),
		PermissionsBoundary: pol.Arn}))
	got = must(root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")}))
	if b := got.User.PermissionsBoundary; b == nil || *b.PermissionsBoundaryArn != *pol.Arn || b.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("boundary: %+v", b)
	}
	if p := must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: pol.Arn})).Policy; *p.PermissionsBoundaryUsageCount != 1 || *p.AttachmentCount != 0 {
		t.Fatalf("usage after boundary: %d %d", *p.PermissionsBoundaryUsageCount, *p.AttachmentCount)
	}
	wantCode(t, "delete boundary policy in use", must2(root.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: pol.Arn})),
		"DeleteConflict", "Cannot delete a policy attached to entities.")
	must(root.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("alice")}))
	got = must(root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")}))
	if got.User.PermissionsBoundary != nil {
		t.Fatalf("boundary after delete: %+v", got.User.PermissionsBoundary)
	}
	if p := must(root.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: pol.Arn})).Policy; *p.PermissionsBoundaryUsageCount != 0 {
		t.Fatalf("usage after boundary removed: %d", *p.PermissionsBoundaryUsageCount)
	}
}

// must2 returns the error of a call whose result is not needed.
func must2[T any](_ T, err error) error { return err }

func TestListUsersPagesAndPathPrefix(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	var want, eng []string
	for i := range 7 {
		name, path := fmt.Sprintf("user%02d", i), "/"
		if i%2 == 0 {
			path = "/eng/"
			eng = append(eng, name)
		}
		must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)}))
		want = append(want, name)
	}
	cases := []struct {
		prefix string
		max    int
		want   []string
	}{
		{"", 3, want},
		{"", 1, want},
		{"", 100, want},
		{"/eng/", 2, eng},
		{"/none/", 2, nil},
	}
	for _, c := range cases {
		what := fmt.Sprintf("ListUsers prefix %q max %d", c.prefix, c.max)
		pages := corePages(t, what, c.max, func(m *string) ([]string, bool, *string, error) {
			in := &iamsdk.ListUsersInput{MaxItems: aws.Int32(int32(c.max)), Marker: m}
			if c.prefix != "" {
				in.PathPrefix = aws.String(c.prefix)
			}
			o, err := root.ListUsers(ctx, in)
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, u := range o.Users {
				if u.Tags != nil || u.PermissionsBoundary != nil {
					t.Fatalf("%s: listing returned tags or boundary", what)
				}
				names = append(names, *u.UserName)
			}
			return names, o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, what, pages, c.max, c.want)
	}
	wantCode(t, "bad marker", must2(root.ListUsers(ctx, &iamsdk.ListUsersInput{Marker: aws.String("!!not-a-marker!!")})),
		"InvalidInput", "")
}

func TestUpdateUserRenameKeepsReferences(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}))
	must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}))
	must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
	must(root.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(coreAllow("iam:GetUser", "iam:ListGroupsForUser"))}))
	alice := coreKeyClient(t, ts, "alice")
	before := must(alice.GetUser(ctx, &iamsdk.GetUserInput{})).User
	must(root.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Corr3ct-Horse-Battery")}))
	mfa := must(root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-mfa")})).VirtualMFADevice
	step := nowStep()
	must(root.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: mfa.SerialNumber,
		AuthenticationCode1: aws.String(code(t, mfa.Base32StringSeed, step-1)), AuthenticationCode2: aws.String(code(t, mfa.Base32StringSeed, step))}))
	must(root.UploadSSHPublicKey(ctx, &iamsdk.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(sshRSA(t))}))

	wantCode(t, "rename onto another user", must2(root.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("alice"),
		NewUserName: aws.String("BOB")})), "EntityAlreadyExists", "User with name BOB already exists.")
	if _, err := root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("failed rename lost the user: %v", err)
	}

	must(root.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("alicia"),
		NewPath: aws.String("/ops/")}))
	wantCode(t, "old name", must2(root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")})),
		"NoSuchEntity", "The user with name alice cannot be found.")
	u := must(root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alicia")})).User
	if *u.Arn != "arn:aws:iam::"+acct+":user/ops/alicia" || *u.Path != "/ops/" || *u.UserId != *before.UserId {
		t.Fatalf("renamed user: %+v", u)
	}
	keys := must(root.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("alicia")})).AccessKeyMetadata
	if len(keys) != 1 || *keys[0].UserName != "alicia" {
		t.Fatalf("keys after rename: %+v", keys)
	}
	groups := must(root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alicia")})).Groups
	if len(groups) != 1 || *groups[0].GroupName != "devs" {
		t.Fatalf("groups after rename: %+v", groups)
	}
	members := must(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")})).Users
	if len(members) != 1 || *members[0].UserName != "alicia" || *members[0].Arn != *u.Arn {
		t.Fatalf("group members after rename: %+v", members)
	}
	if lp := must(root.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alicia")})).LoginProfile; *lp.UserName != "alicia" {
		t.Fatalf("login profile after rename: %+v", lp)
	}
	if ds := must(root.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{UserName: aws.String("alicia")})).MFADevices; len(ds) != 1 ||
		*ds[0].UserName != "alicia" || *ds[0].SerialNumber != *mfa.SerialNumber {
		t.Fatalf("MFA devices after rename: %+v", ds)
	}
	if ks := must(root.ListSSHPublicKeys(ctx, &iamsdk.ListSSHPublicKeysInput{UserName: aws.String("alicia")})).SSHPublicKeys; len(ks) != 1 || *ks[0].UserName != "alicia" {
		t.Fatalf("SSH keys after rename: %+v", ks)
	}
	// The old key still signs, now as alicia, with the group's policy.
	me := must(alice.GetUser(ctx, &iamsdk.GetUserInput{})).User
	if *me.UserName != "alicia" || *me.Arn != *u.Arn {
		t.Fatalf("caller after rename: %+v", me)
	}
	must(alice.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alicia")}))

	// A change of case only, and a path change only.
	must(root.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("alicia"), NewUserName: aws.String("Alicia")}))
	must(root.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("alicia"), NewPath: aws.String("/")}))
	u = must(root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("ALICIA")})).User
	if *u.UserName != "Alicia" || *u.Arn != "arn:aws:iam::"+acct+":user/Alicia" {
		t.Fatalf("after case rename: %+v", u)
	}
	if k := must(root.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("alicia")})).AccessKeyMetadata; len(k) != 1 || *k[0].UserName != "Alicia" {
		t.Fatalf("keys after case rename: %+v", k)
	}
	if lp := must(root.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alicia")})).LoginProfile; *lp.UserName != "Alicia" {
		t.Fatalf("login profile after case rename: %+v", lp)
	}
	if m := must(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")})).Users; len(m) != 1 || *m[0].UserName != "Alicia" {
		t.Fatalf("group members after case rename: %+v", m)
	}
	// A user later created under the old name inherits nothing.
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	wantCode(t, "login profile of the new alice", must2(root.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")})), "NoSuchEntity", "")
	for what, n := range map[string]int{
		"keys":   len(must(root.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("alice")})).AccessKeyMetadata),
		"groups": len(must(root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alice")})).Groups),
		"MFA":    len(must(root.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{UserName: aws.String("alice")})).MFADevices),
		"SSH":    len(must(root.ListSSHPublicKeys(ctx, &iamsdk.ListSSHPublicKeysInput{UserName: aws.String("alice")})).SSHPublicKeys),
	} {
		if n != 0 {
			t.Fatalf("new alice has %d %s", n, what)
		}
	}
}

func TestDeleteUserConflicts(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})).AccessKey
	pol := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("p"),
		PolicyDocument: aws.String(coreAllow("iam:GetUser"))})).Policy

	var sshID *string
	mfa := must(root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-mfa")})).VirtualMFADevice
	steps := []struct {
		name  string
		setup func()
		undo  func()
		msg   string
	}{
		{"access key", func() {}, func() {
			must(root.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: key.AccessKeyId}))
		}, "Cannot delete entity, must delete access keys first."},
		{"login profile", func() {
			must(root.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Corr3ct-Horse-Battery")}))
		}, func() {
			must(root.DeleteLoginProfile(ctx, &iamsdk.DeleteLoginProfileInput{UserName: aws.String("alice")}))
		}, "Cannot delete entity, must delete login profile first."},
		{"MFA device", func() {
			step := nowStep()
			must(root.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: mfa.SerialNumber,
				AuthenticationCode1: aws.String(code(t, mfa.Base32StringSeed, step-1)), AuthenticationCode2: aws.String(code(t, mfa.Base32StringSeed, step))}))
		}, func() {
			must(root.DeactivateMFADevice(ctx, &iamsdk.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: mfa.SerialNumber}))
		}, "Cannot delete entity, must delete MFA device first."},
		{"SSH public key", func() {
			sshID = must(root.UploadSSHPublicKey(ctx, &iamsdk.UploadSSHPublicKeyInput{UserName: aws.String("alice"),
				SSHPublicKeyBody: aws.String(sshRSA(t))})).SSHPublicKey.SSHPublicKeyId
		}, func() {
			must(root.DeleteSSHPublicKey(ctx, &iamsdk.DeleteSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyId: sshID}))
		}, "Cannot delete entity, must delete SSH public keys first."},
		{"inline policy", func() {
			must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("inline"),
				PolicyDocument: aws.String(coreAllow("iam:GetUser"))}))
		}, func() {
			must(root.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("inline")}))
		}, "Cannot delete entity, must delete policies first."},
		{"attached policy", func() {
			must(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Arn}))
		}, func() {
			must(root.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Arn}))
		}, "Cannot delete entity, must detach all policies first."},
		{"group membership", func() {
			must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String("devs")}))
		}, func() {
			must(root.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{UserName: aws.String("alice"), GroupName: aws.String("devs")}))
		}, "Cannot delete entity, must remove users from group first."},
	}
	for _, s := range steps {
		s.setup()
		wantCode(t, "delete user with "+s.name, must2(root.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})),
			"DeleteConflict", s.msg)
		s.undo()
	}
	must(root.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("ALICE")}))
	wantCode(t, "deleted user", must2(root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")})),
		"NoSuchEntity", "The user with name alice cannot be found.")
	// The name is free again.
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	if g := must(root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alice")})).Groups; len(g) != 0 {
		t.Fatalf("recreated user inherited groups: %+v", g)
	}
}

// coreStep is one call a test caller makes and the error code (and message,
// when not "") it expects; "" for success.
type coreStep struct {
	name      string
	call      func(c *iamsdk.Client) error
	code, msg string
}

func TestAuthorizationThroughEngine(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account
	userARN := func(n string) string { return "arn:aws:iam::" + acct + ":user/" + n }
	boundary := *must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("read-boundary"),
		PolicyDocument: aws.String(coreAllow("iam:Get*", "iam:List*"))})).Policy.Arn
	for _, team := range []string{"blue", "red"} {
		must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(team),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}))
	}
	createUser := func(name string, tags map[string]string, boundary string) func(c *iamsdk.Client) error {
		return func(c *iamsdk.Client) error {
			in := &iamsdk.CreateUserInput{UserName: aws.String(name)}
			for k, v := range tags {
				in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			if boundary != "" {
				in.PermissionsBoundary = aws.String(boundary)
			}
			return must2(c.CreateUser(ctx, in))
		}
	}
	getUser := func(name string) func(c *iamsdk.Client) error {
		return func(c *iamsdk.Client) error {
			return must2(c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String(name)}))
		}
	}
	attach := func(user, policy string) func(c *iamsdk.Client) error {
		return func(c *iamsdk.Client) error {
			return must2(c.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: aws.String(policy)}))
		}
	}
	cond := func(actions, test, key, value string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":"*",` +
			`"Condition":{"` + test + `":{"` + key + `":"` + value + `"}}}]}`
	}
	denied := func(user, action, resource, reason string) string {
		return "User: " + userARN(user) + " is not authorized to perform: " + action + " on resource: " + resource + " " + reason
	}

	cases := []struct {
		name                string
		inline, groupPolicy string
		boundary            bool
		tags                bool // the caller is tagged team=green
		steps               []coreStep
	}{
		{name: "group grants", groupPolicy: coreAllow("iam:CreateUser", "iam:DeleteUser"), steps: []coreStep{
			{"CreateUser", createUser("by-group", nil, ""), "", ""},
			{"DeleteUser", func(c *iamsdk.Client) error {
				return must2(c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("by-group")}))
			}, "", ""},
			{"GetUser", getUser("blue"), "AccessDenied",
				denied("caller0", "iam:GetUser", userARN("blue"), "because no identity-based policy allows the iam:GetUser action")},
		}},
		{name: "permissions boundary", inline: coreAllow("iam:*"), boundary: true, steps: []coreStep{
			{"GetUser", getUser("blue"), "", ""},
			{"CreateUser", createUser("by-boundary", nil, ""), "AccessDenied",
				denied("caller1", "iam:CreateUser", userARN("by-boundary"), "because no permissions boundary allows the iam:CreateUser action")},
		}},
		{name: "explicit deny", inline: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},` +
			`{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"arn:aws:iam::*:user/blue"}]}`, steps: []coreStep{
			{"GetUser", getUser("blue"), "", ""},
			{"DeleteUser", func(c *iamsdk.Client) error {
				return must2(c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("blue")}))
			}, "AccessDenied", denied("caller2", "iam:DeleteUser", userARN("blue"), "with an explicit deny in an identity-based policy")},
		}},
		{name: "aws:RequestTag", inline: cond(`["iam:CreateUser","iam:TagUser"]`, "StringEquals", "aws:RequestTag/team", "blue"), steps: []coreStep{
			{"CreateUser tagged blue", createUser("tagged-blue", map[string]string{"team": "blue"}, ""), "", ""},
			{"CreateUser tagged red", createUser("tagged-red", map[string]string{"team": "red"}, ""), "AccessDenied", ""},
			{"CreateUser untagged", createUser("untagged", nil, ""), "AccessDenied", ""},
		}},
		{name: "iam:PolicyARN", inline: cond(`["iam:AttachUserPolicy","iam:DetachUserPolicy"]`, "ArnEquals", "iam:PolicyARN", readOnlyAccess), steps: []coreStep{
			{"attach ReadOnlyAccess", attach("red", readOnlyAccess), "", ""},
			{"attach AdministratorAccess", attach("red", "arn:aws:iam::aws:policy/AdministratorAccess"), "AccessDenied", ""},
			{"detach ReadOnlyAccess", func(c *iamsdk.Client) error {
				return must2(c.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("red"), PolicyArn: aws.String(readOnlyAccess)}))
			}, "", ""},
		}},
		{name: "iam:PermissionsBoundary", inline: cond(`["iam:CreateUser","iam:PutUserPermissionsBoundary"]`, "StringEquals", "iam:PermissionsBoundary", boundary), steps: []coreStep{
			{"CreateUser with the boundary", createUser("bounded", nil, boundary), "", ""},
			{"CreateUser without a boundary", createUser("unbounded", nil, ""), "AccessDenied", ""},
			{"CreateUser with another boundary", createUser("other-bound", nil, readOnlyAccess), "AccessDenied", ""},
			{"PutUserPermissionsBoundary another", func(c *iamsdk.Client) error {
				return must2(c.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"),
					PermissionsBoundary: aws.String(readOnlyAccess)}))
			}, "AccessDenied", ""},
		}},
		{name: "aws:ResourceTag", inline: cond(`"iam:GetUser"`, "StringEquals", "aws:ResourceTag/team", "blue"), steps: []coreStep{
			{"GetUser blue", getUser("blue"), "", ""},
			{"GetUser red", getUser("red"), "AccessDenied", ""},
			{"GetUser missing", getUser("nobody"), "AccessDenied", ""},
		}},
		{name: "aws:ResourceTag of oneself", inline: cond(`"iam:GetUser"`, "StringEquals", "aws:ResourceTag/team", "green"), tags: true, steps: []coreStep{
			{"GetUser without a name", func(c *iamsdk.Client) error { return must2(c.GetUser(ctx, &iamsdk.GetUserInput{})) }, "", ""},
			{"GetUser blue", getUser("blue"), "AccessDenied", ""},
		}},
	}
	for i, c := range cases {
		user := fmt.Sprintf("caller%d", i)
		in := &iamsdk.CreateUserInput{UserName: aws.String(user)}
		if c.tags {
			in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("green")}}
		}
		must(root.CreateUser(ctx, in))
		if c.inline != "" {
			must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("p"), PolicyDocument: aws.String(c.inline)}))
		}
		if c.groupPolicy != "" {
			must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String(user + "-group")}))
			must(root.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String(user + "-group"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(c.groupPolicy)}))
			must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String(user + "-group"), UserName: aws.String(user)}))
		}
		if c.boundary {
			must(root.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String(user), PermissionsBoundary: aws.String(boundary)}))
		}
		client := coreKeyClient(t, ts, user)
		for _, s := range c.steps {
			err := s.call(client)
			if s.code == "" {
				if err != nil {
					t.Fatalf("%s: %s: %v", c.name, s.name, err)
				}
				continue
			}
			wantCode(t, c.name+": "+s.name, err, s.code, s.msg)
		}
	}
}
