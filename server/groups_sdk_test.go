package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

func TestGroupsLifecycle(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account

	g := must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Devs"), Path: aws.String("/eng/")})).Group
	if *g.Arn != "arn:aws:iam::"+acct+":group/eng/Devs" || *g.GroupName != "Devs" || *g.Path != "/eng/" || len(*g.GroupId) != 21 || (*g.GroupId)[:4] != "AGPA" {
		t.Fatalf("CreateGroup: %+v", g)
	}
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))

	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"duplicate name, other case", must2(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")})),
			"EntityAlreadyExists", "Group with name devs already exists."},
		{"GetGroup missing", must2(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("none")})),
			"NoSuchEntity", "The group with name none cannot be found."},
		{"UpdateGroup missing", must2(root.UpdateGroup(ctx, &iamsdk.UpdateGroupInput{GroupName: aws.String("none"), NewGroupName: aws.String("x")})),
			"NoSuchEntity", "The group with name none cannot be found."},
		{"DeleteGroup missing", must2(root.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("none")})),
			"NoSuchEntity", "The group with name none cannot be found."},
		{"AddUserToGroup missing group", must2(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("none"), UserName: aws.String("alice")})),
			"NoSuchEntity", "The group with name none cannot be found."},
		{"AddUserToGroup missing user", must2(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("nobody")})),
			"NoSuchEntity", "The user with name nobody cannot be found."},
		{"RemoveUserFromGroup missing group", must2(root.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("none"), UserName: aws.String("alice")})),
			"NoSuchEntity", "The group with name none cannot be found."},
		{"RemoveUserFromGroup missing user", must2(root.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("nobody")})),
			"NoSuchEntity", "The user with name nobody cannot be found."},
		{"RemoveUserFromGroup not a member", must2(root.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})),
			"NoSuchEntity", ""},
		{"ListGroupsForUser missing user", must2(root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("nobody")})),
			"NoSuchEntity", "The user with name nobody cannot be found."},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.err, e.code, e.msg)
	}

	// Membership: adding twice is a no-op; names match case-insensitively.
	must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ALICE")}))
	must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("DEVS"), UserName: aws.String("alice")}))
	got := must(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")}))
	if *got.Group.GroupName != "Devs" || len(got.Users) != 1 || *got.Users[0].UserName != "alice" {
		t.Fatalf("GetGroup: %+v %+v", got.Group, got.Users)
	}
	if gs := must(root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alice")})).Groups; len(gs) != 1 || *gs[0].GroupName != "Devs" {
		t.Fatalf("ListGroupsForUser: %+v", gs)
	}

	// DeleteGroup refuses a group with members, then with policies.
	wantCode(t, "delete group with members", must2(root.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")})),
		"DeleteConflict", "Cannot delete entity, must remove users from group first.")
	must(root.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("Alice")}))
	must(root.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(coreAllow("iam:GetUser"))}))
	wantCode(t, "delete group with inline policy", must2(root.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")})),
		"DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(root.DeleteGroupPolicy(ctx, &iamsdk.DeleteGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("p")}))
	must(root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	wantCode(t, "delete group with attached policy", must2(root.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")})),
		"DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must(root.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	must(root.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")}))
	wantCode(t, "deleted group", must2(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("Devs")})),
		"NoSuchEntity", "The group with name Devs cannot be found.")
	if gs := must(root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alice")})).Groups; len(gs) != 0 {
		t.Fatalf("groups after delete: %+v", gs)
	}
}

func TestGroupsPerUserQuota(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	for i := range 11 {
		name := fmt.Sprintf("g%02d", i)
		must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String(name)}))
		err := must2(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String(name), UserName: aws.String("alice")}))
		if i < 10 && err != nil {
			t.Fatalf("group %d: %v", i, err)
		}
		if i == 10 {
			wantCode(t, "11th group", err, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
		}
	}
	// Re-adding to a group the user is in does not count against the quota.
	must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("g00"), UserName: aws.String("alice")}))
	if m := must(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("g10")})).Users; len(m) != 0 {
		t.Fatalf("refused membership recorded: %+v", m)
	}
}

func TestGroupListsPaginate(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	var groups, users, ops []string
	for i := range 5 {
		name, path := fmt.Sprintf("group%d", i), "/"
		if i >= 3 {
			path = "/ops/"
			ops = append(ops, name)
		}
		must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String(name), Path: aws.String(path)}))
		groups = append(groups, name)
	}
	for i := range 5 {
		name := fmt.Sprintf("user%d", i)
		must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}))
		must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("group0"), UserName: aws.String(name)}))
		users = append(users, name)
	}
	for _, g := range groups[1:] {
		must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String(g), UserName: aws.String("user0")}))
	}
	for _, max := range []int{1, 2, 5} {
		pages := corePages(t, "ListGroups", max, func(m *string) ([]string, bool, *string, error) {
			o, err := root.ListGroups(ctx, &iamsdk.ListGroupsInput{MaxItems: aws.Int32(int32(max)), Marker: m})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, g := range o.Groups {
				names = append(names, *g.GroupName)
			}
			return names, o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, fmt.Sprintf("ListGroups max %d", max), pages, max, groups)

		pages = corePages(t, "ListGroups /ops/", max, func(m *string) ([]string, bool, *string, error) {
			o, err := root.ListGroups(ctx, &iamsdk.ListGroupsInput{PathPrefix: aws.String("/ops/"), MaxItems: aws.Int32(int32(max)), Marker: m})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, g := range o.Groups {
				names = append(names, *g.GroupName)
			}
			return names, o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, fmt.Sprintf("ListGroups /ops/ max %d", max), pages, max, ops)

		pages = corePages(t, "GetGroup", max, func(m *string) ([]string, bool, *string, error) {
			o, err := root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("group0"), MaxItems: aws.Int32(int32(max)), Marker: m})
			if err != nil {
				return nil, false, nil, err
			}
			if *o.Group.GroupName != "group0" {
				t.Fatalf("GetGroup page: group %+v", o.Group)
			}
			var names []string
			for _, u := range o.Users {
				names = append(names, *u.UserName)
			}
			return names, o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, fmt.Sprintf("GetGroup max %d", max), pages, max, users)

		pages = corePages(t, "ListGroupsForUser", max, func(m *string) ([]string, bool, *string, error) {
			o, err := root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("user0"), MaxItems: aws.Int32(int32(max)), Marker: m})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, g := range o.Groups {
				names = append(names, *g.GroupName)
			}
			return names, o.IsTruncated, o.Marker, nil
		})
		coreWantPages(t, fmt.Sprintf("ListGroupsForUser max %d", max), pages, max, groups)
	}
}

func TestUpdateGroupRenameKeepsMembers(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	acct := testserver.Account
	must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}))
	must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("ops")}))
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
	must(root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	alice := coreKeyClient(t, ts, "alice")
	must(alice.ListRoles(ctx, &iamsdk.ListRolesInput{}))
	id := *must(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")})).Group.GroupId

	wantCode(t, "rename onto another group", must2(root.UpdateGroup(ctx, &iamsdk.UpdateGroupInput{GroupName: aws.String("devs"),
		NewGroupName: aws.String("OPS")})), "EntityAlreadyExists", "Group with name OPS already exists.")

	must(root.UpdateGroup(ctx, &iamsdk.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("builders"),
		NewPath: aws.String("/eng/")}))
	wantCode(t, "old name", must2(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")})),
		"NoSuchEntity", "The group with name devs cannot be found.")
	got := must(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("builders")}))
	if *got.Group.Arn != "arn:aws:iam::"+acct+":group/eng/builders" || *got.Group.GroupId != id || len(got.Users) != 1 || *got.Users[0].UserName != "alice" {
		t.Fatalf("renamed group: %+v %+v", got.Group, got.Users)
	}
	gs := must(root.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alice")})).Groups
	if len(gs) != 1 || *gs[0].GroupName != "builders" || *gs[0].Arn != *got.Group.Arn {
		t.Fatalf("user's groups after rename: %+v", gs)
	}
	if ap := must(root.ListAttachedGroupPolicies(ctx, &iamsdk.ListAttachedGroupPoliciesInput{GroupName: aws.String("builders")})).AttachedPolicies; len(ap) != 1 {
		t.Fatalf("attached after rename: %+v", ap)
	}
	// The member still gets the group's policy under its new name.
	must(alice.ListRoles(ctx, &iamsdk.ListRolesInput{}))
	must(root.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("builders"), UserName: aws.String("alice")}))
	wantCode(t, "after removal from group", must2(alice.ListRoles(ctx, &iamsdk.ListRolesInput{})), "AccessDenied", "")
}
