package iam

import (
	"errors"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register(
		&Operation{Name: "CreateGroup", Resource: newGroupResource, Handle: createGroup},
		&Operation{Name: "GetGroup", Resource: groupResource, Handle: getGroup},
		&Operation{Name: "ListGroups", Resource: accountResource("group"), Handle: listGroups},
		&Operation{Name: "UpdateGroup", Resource: groupResource, Handle: updateGroup},
		&Operation{Name: "DeleteGroup", Resource: groupResource, Handle: deleteGroup},
		&Operation{Name: "AddUserToGroup", Resource: groupResource, Handle: addUserToGroup},
		&Operation{Name: "RemoveUserFromGroup", Resource: groupResource, Handle: removeUserFromGroup},
		&Operation{Name: "ListGroupsForUser", Resource: userResource, Handle: listGroupsForUser},
	)
}

func groupMissing(name string) string { return "The group with name " + name + " cannot be found." }

func groupResource(s *Service, c *Call) string {
	name := c.Params.String("GroupName")
	if g, ok := s.snap.Group(c.Account, name); ok {
		return g.Arn
	}
	return s.arn(c.Account, "group", "/", name)
}

func newGroupResource(s *Service, c *Call) string {
	return s.arn(c.Account, "group", pathOrRoot(c.Params), c.Params.String("GroupName"))
}

// groupOutput is the Group structure IAM returns (without policies).
func groupOutput(g *Group) map[string]any {
	return map[string]any{"Path": g.Path, "GroupName": g.GroupName, "GroupId": g.GroupId, "Arn": g.Arn, "CreateDate": g.CreateDate}
}

func createGroup(s *Service, c *Call) (any, error) {
	name := c.Params.String("GroupName")
	g := &Group{Path: pathOrRoot(c.Params), GroupName: name, GroupId: newID(prefixGroup), CreateDate: c.Now}
	g.Arn = s.arn(c.Account, "group", g.Path, name)
	err := s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindGroup)
		if err != nil {
			return err
		}
		if err := quota(n, s.quotas.GroupsPerAccount, "GroupsPerAccount"); err != nil {
			return err
		}
		return exists(put(c.Ctx, tx, kindGroup, c.Account, lower(name), "", g, true), "Group with name "+name+" already exists.")
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Group": groupOutput(g)}, nil
}

// groupMembers returns the users in a group.
func (s *Service) groupMembers(c *Call, tx store.Tx, group string) ([]*User, error) {
	parent := lower(group)
	recs, err := list[map[string]string](c.Ctx, tx, store.ListOptions{Kind: kindMember, Account: c.Account, Parent: &parent})
	if err != nil {
		return nil, err
	}
	var users []*User
	for _, m := range recs {
		name := (*m)["UserName"]
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(name), "")
		if err != nil {
			continue
		}
		users = append(users, u)
	}
	return users, nil
}

func getGroup(s *Service, c *Call) (any, error) {
	name := c.Params.String("GroupName")
	var g *Group
	var users []*User
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		if g, _, err = get[Group](c.Ctx, tx, kindGroup, c.Account, lower(name), groupMissing(name)); err != nil {
			return err
		}
		users, err = s.groupMembers(c, tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if users == nil {
		users = []*User{}
	}
	pg, trunc, marker, err := page(c.Params, users, func(u *User) string { return lower(u.UserName) })
	if err != nil {
		return nil, err
	}
	out := listResult("Users", pg, trunc, marker)
	out["Group"] = groupOutput(g)
	return out, nil
}

func listGroups(s *Service, c *Call) (any, error) {
	var groups []*Group
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		groups, err = list[Group](c.Ctx, tx, store.ListOptions{Kind: kindGroup, Account: c.Account})
		return err
	})
	if err != nil {
		return nil, err
	}
	groups = pathPrefixFilter(c.Params, groups, func(g *Group) string { return g.Path })
	out := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		out = append(out, groupOutput(g))
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return lower(m["GroupName"].(string)) })
	if err != nil {
		return nil, err
	}
	return listResult("Groups", pg, trunc, marker), nil
}

func updateGroup(s *Service, c *Call) (any, error) {
	name := c.Params.String("GroupName")
	newName, newPath := c.Params.String("NewGroupName"), c.Params.String("NewPath")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		g, _, err := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(name), groupMissing(name))
		if err != nil {
			return err
		}
		if newPath != "" {
			g.Path = newPath
		}
		if newName == "" {
			newName = g.GroupName
		}
		g.GroupName = newName
		g.Arn = s.arn(c.Account, "group", g.Path, newName)
		if lower(newName) == lower(name) {
			return put(c.Ctx, tx, kindGroup, c.Account, lower(name), "", g, false)
		}
		members, err := s.groupMembers(c, tx, name)
		if err != nil {
			return err
		}
		if err := tx.Delete(c.Ctx, store.Key{Kind: kindGroup, Account: c.Account, ID: lower(name)}, 0); err != nil {
			return err
		}
		if err := exists(put(c.Ctx, tx, kindGroup, c.Account, lower(newName), "", g, true), "Group with name "+newName+" already exists."); err != nil {
			return err
		}
		for _, u := range members {
			if err := s.setMembership(c, tx, name, u, false); err != nil {
				return err
			}
			if err := s.setMembership(c, tx, newName, u, true); err != nil {
				return err
			}
		}
		return nil
	})
}

func deleteGroup(s *Service, c *Call) (any, error) {
	name := c.Params.String("GroupName")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		g, _, err := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(name), groupMissing(name))
		if err != nil {
			return err
		}
		members, err := s.groupMembers(c, tx, name)
		if err != nil {
			return err
		}
		switch {
		case len(members) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must remove users from group first.")
		case len(g.Inline) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must delete policies first.")
		case len(g.Attached) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindGroup, Account: c.Account, ID: lower(name)}, 0)
	})
}

// setMembership adds or removes a user's membership of a group: the member
// record and the user's own list of groups.
func (s *Service) setMembership(c *Call, tx store.Tx, group string, u *User, in bool) error {
	key := store.Key{Kind: kindMember, Account: c.Account, ID: lower(group) + "/" + lower(u.UserName)}
	var groups []string
	for _, g := range u.Groups {
		if lower(g) != lower(group) {
			groups = append(groups, g)
		}
	}
	if in {
		groups = append(groups, group)
		if err := put(c.Ctx, tx, kindMember, c.Account, key.ID, lower(group), map[string]string{"UserName": u.UserName}, true); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
	} else if err := tx.Delete(c.Ctx, key, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	u.Groups = groups
	return put(c.Ctx, tx, kindUser, c.Account, lower(u.UserName), "", u, false)
}

func addUserToGroup(s *Service, c *Call) (any, error) {
	group, user := c.Params.String("GroupName"), c.Params.String("UserName")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		g, _, err := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(group), groupMissing(group))
		if err != nil {
			return err
		}
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found.")
		if err != nil {
			return err
		}
		for _, have := range u.Groups {
			if lower(have) == lower(group) {
				return nil
			}
		}
		if err := quota(len(u.Groups), s.quotas.GroupsPerUser, "GroupsPerUser"); err != nil {
			return err
		}
		return s.setMembership(c, tx, g.GroupName, u, true)
	})
}

func removeUserFromGroup(s *Service, c *Call) (any, error) {
	group, user := c.Params.String("GroupName"), c.Params.String("UserName")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		if _, _, err := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(group), groupMissing(group)); err != nil {
			return err
		}
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found.")
		if err != nil {
			return err
		}
		for _, have := range u.Groups {
			if lower(have) == lower(group) {
				return s.setMembership(c, tx, have, u, false)
			}
		}
		return awserr.New("NoSuchEntity", "The user with name "+user+" cannot be found in group "+group+".")
	})
}

func listGroupsForUser(s *Service, c *Call) (any, error) {
	user := c.Params.String("UserName")
	var out []map[string]any
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found.")
		if err != nil {
			return err
		}
		for _, name := range u.Groups {
			if g, _, err := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(name), ""); err == nil {
				out = append(out, groupOutput(g))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []map[string]any{}
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return lower(m["GroupName"].(string)) })
	if err != nil {
		return nil, err
	}
	return listResult("Groups", pg, trunc, marker), nil
}
