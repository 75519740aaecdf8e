package iam

import (
	"errors"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register(
		&Operation{Name: "CreateUser", Resource: newUserResource, Handle: createUser},
		&Operation{Name: "GetUser", Resource: selfOrUserResource, Handle: getUser},
		&Operation{Name: "ListUsers", Resource: accountResource("user"), Handle: listUsers},
		&Operation{Name: "UpdateUser", Resource: userResource, Handle: updateUser},
		&Operation{Name: "DeleteUser", Resource: userResource, Handle: deleteUser},
		&Operation{Name: "TagUser", Resource: tagUserResource, Handle: tagUser},
		&Operation{Name: "UntagUser", Resource: untagUserResource, Handle: untagUser},
		&Operation{Name: "ListUserTags", Resource: userResource, Handle: listUserTags},
		&Operation{Name: "PutUserPermissionsBoundary", Resource: boundaryResource(userResource), Handle: putUserBoundary},
		&Operation{Name: "DeleteUserPermissionsBoundary", Resource: userResource, Handle: deleteUserBoundary},
	)
}

func noSuchUser(name string) error {
	return awserr.New("NoSuchEntity", "The user with name "+name+" cannot be found.")
}

// userARN is the ARN of an existing user, or of a user of that name at "/".
func (s *Service) userARN(account, name string) string {
	if u, ok := s.snap.User(account, name); ok {
		return u.Arn
	}
	return s.arn(account, "user", "/", name)
}

func userResource(s *Service, c *Call) string {
	name := c.Params.String("UserName")
	if u, ok := s.snap.User(c.Account, name); ok {
		resourceTagKeys(c, u.Tags)
	}
	return s.userARN(c.Account, name)
}

func newUserResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	if b := c.Params.String("PermissionsBoundary"); b != "" {
		c.Context.Set("iam:PermissionsBoundary", b)
	}
	return s.arn(c.Account, "user", pathOrRoot(c.Params), c.Params.String("UserName"))
}

// selfOrUserResource: GetUser without a name acts on the caller (whose
// tags, for an IAM user, are the aws:ResourceTag/… keys).
func selfOrUserResource(s *Service, c *Call) string {
	if c.Params.String("UserName") == "" && c.Caller != nil {
		if c.Caller.Type == authz.User {
			if u, ok := s.snap.User(c.Account, c.Caller.Username); ok {
				resourceTagKeys(c, u.Tags)
			}
		}
		return c.Caller.ARN
	}
	return userResource(s, c)
}

// accountResource is the resource of list operations: every entity of a
// type in the account ("arn:aws:iam::ACCOUNT:user/*").
func accountResource(typ string) func(*Service, *Call) string {
	return func(s *Service, c *Call) string { return s.arn(c.Account, typ, "/", "*") }
}

func tagUserResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	return userResource(s, c)
}

func untagUserResource(s *Service, c *Call) string {
	if keys := c.Params.Strings("TagKeys"); len(keys) > 0 {
		c.Context.Set("aws:TagKeys", keys...)
	}
	return userResource(s, c)
}

func boundaryResource(inner func(*Service, *Call) string) func(*Service, *Call) string {
	return func(s *Service, c *Call) string {
		if b := c.Params.String("PermissionsBoundary"); b != "" {
			c.Context.Set("iam:PermissionsBoundary", b)
		}
		return inner(s, c)
	}
}

func createUser(s *Service, c *Call) (any, error) {
	name := c.Params.String("UserName")
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	u := &User{Path: pathOrRoot(c.Params), UserName: name, UserId: newID(prefixUser), CreateDate: c.Now, Tags: tags}
	u.Arn = s.arn(c.Account, "user", u.Path, name)
	if b := c.Params.String("PermissionsBoundary"); b != "" {
		if err := s.checkBoundary(c.Account, b); err != nil {
			return nil, err
		}
		u.PermissionsBoundary = &Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: b}
	}
	err = s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindUser)
		if err != nil {
			return err
		}
		if err := quota(n, s.quotas.UsersPerAccount, "UsersPerAccount"); err != nil {
			return err
		}
		if u.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, u.PermissionsBoundary.PermissionsBoundaryArn, +1); err != nil {
				return err
			}
		}
		return exists(put(c.Ctx, tx, kindUser, c.Account, lower(name), "", u, true), "User with name "+name+" already exists.")
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"User": u}, nil
}

func getUser(s *Service, c *Call) (any, error) {
	name := c.Params.String("UserName")
	if name == "" {
		switch {
		case c.Caller == nil:
			return nil, awserr.New("ValidationError", "Must specify userName when calling with non-User credentials")
		case c.Caller.Type == authz.Root:
			return map[string]any{"User": map[string]any{
				"UserId": c.Account, "Arn": c.Caller.ARN, "CreateDate": s.accountCreated(c.Account),
			}}, nil
		case c.Caller.Type != authz.User:
			return nil, awserr.New("ValidationError", "Must specify userName when calling with non-User credentials")
		}
		name = c.Caller.Username
	}
	u, err := s.readUser(c, name)
	if err != nil {
		return nil, err
	}
	return userResult{User: u}, nil
}

// userResult is GetUser's output for an IAM user. Holding a single pointer,
// it is stored in the handler's `any` result without an allocation, unlike
// a map.
type userResult struct {
	User *User
}

// readUser returns a user from the snapshot, which holds every write this
// node made (read-your-writes) and follows the store's change feed. The
// user is shared: callers must not modify it.
func (s *Service) readUser(c *Call, name string) (*User, error) {
	u, ok := s.snap.User(c.Account, name)
	if !ok {
		return nil, noSuchUser(name)
	}
	return u, nil
}

func listUsers(s *Service, c *Call) (any, error) {
	users := pathPrefixFilter(c.Params, s.snap.Users(c.Account), func(u *User) string { return u.Path })
	pg, trunc, marker, err := page(c.Params, users, func(u *User) string { return lower(u.UserName) })
	if err != nil {
		return nil, err
	}
	// Listing returns a subset of each user: no tags, no boundary.
	out := make([]User, len(pg))
	for i, u := range pg {
		out[i] = User{Path: u.Path, UserName: u.UserName, UserId: u.UserId, Arn: u.Arn, CreateDate: u.CreateDate, PasswordLastUsed: u.PasswordLastUsed}
	}
	return listResult("Users", out, trunc, marker), nil
}

func updateUser(s *Service, c *Call) (any, error) {
	name := c.Params.String("UserName")
	newName, newPath := c.Params.String("NewUserName"), c.Params.String("NewPath")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(name), "The user with name "+name+" cannot be found.")
		if err != nil {
			return err
		}
		if newPath != "" {
			u.Path = newPath
		}
		renamed := newName != "" && newName != u.UserName
		if newName != "" {
			u.UserName = newName
		}
		u.Arn = s.arn(c.Account, "user", u.Path, u.UserName)
		if !renamed {
			return put(c.Ctx, tx, kindUser, c.Account, lower(u.UserName), "", u, false)
		}
		if lower(newName) == lower(name) {
			// A change of case only: the records keep their ids, the
			// references take the new spelling.
			if err := put(c.Ctx, tx, kindUser, c.Account, lower(u.UserName), "", u, false); err != nil {
				return err
			}
			return s.renameUserReferences(c, tx, name, newName)
		}
		if err := tx.Delete(c.Ctx, store.Key{Kind: kindUser, Account: c.Account, ID: lower(name)}, 0); err != nil {
			return err
		}
		if err := exists(put(c.Ctx, tx, kindUser, c.Account, lower(newName), "", u, true), "User with name "+newName+" already exists."); err != nil {
			return err
		}
		return s.renameUserReferences(c, tx, name, newName)
	})
}

// renameUserReferences moves a renamed user's access keys, group
// memberships, login profile and MFA devices to the new name. (Signing
// certificates, SSH public keys and service-specific credentials belong to
// the UserId and need no change.)
func (s *Service) renameUserReferences(c *Call, tx store.Tx, oldName, newName string) error {
	keys, err := s.userKeys(c, tx, oldName)
	if err != nil {
		return err
	}
	for _, k := range keys {
		k.UserName = newName
		if err := put(c.Ctx, tx, kindAccessKey, "", k.AccessKeyId, keyParent(c.Account, newName), k, false); err != nil {
			return err
		}
	}
	u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(newName), "")
	if err != nil {
		return err
	}
	for _, g := range u.Groups {
		old := store.Key{Kind: kindMember, Account: c.Account, ID: lower(g) + "/" + lower(oldName)}
		if err := tx.Delete(c.Ctx, old, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := put(c.Ctx, tx, kindMember, c.Account, lower(g)+"/"+lower(newName), lower(g), map[string]string{"UserName": newName}, true); err != nil {
			return err
		}
	}
	if err := s.renameLoginProfile(c, tx, u, oldName); err != nil {
		return err
	}
	devices, err := userDevices(c, tx, &User{UserName: oldName, UserId: u.UserId})
	if err != nil {
		return err
	}
	for _, d := range devices {
		d.UserName = u.UserName
		if err := put(c.Ctx, tx, kindMFADevice, c.Account, lower(d.Name), "", d, false); err != nil {
			return err
		}
	}
	return nil
}

// renameLoginProfile moves the login profile of a renamed user u, kept
// under its old name, to its new name, in place of any left there by a
// deleted user of that name.
func (s *Service) renameLoginProfile(c *Call, tx store.Tx, u *User, oldName string) error {
	lp, _, err := get[LoginProfile](c.Ctx, tx, kindLoginProfile, c.Account, lower(oldName), "")
	if awserr.As(err) != nil || (err == nil && lp.UserId != u.UserId) {
		return nil // none
	}
	if err != nil {
		return err
	}
	if err := tx.Delete(c.Ctx, store.Key{Kind: kindLoginProfile, Account: c.Account, ID: lower(oldName)}, 0); err != nil {
		return err
	}
	stale := store.Key{Kind: kindLoginProfile, Account: c.Account, ID: lower(u.UserName)}
	if err := tx.Delete(c.Ctx, stale, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	lp.UserName = u.UserName
	return put(c.Ctx, tx, kindLoginProfile, c.Account, lower(u.UserName), "", lp, true)
}

func deleteUser(s *Service, c *Call) (any, error) {
	name := c.Params.String("UserName")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(name), "The user with name "+name+" cannot be found.")
		if err != nil {
			return err
		}
		if err := s.userCredentialsInUse(c, tx, u); err != nil {
			return err
		}
		switch {
		case len(u.Inline) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must delete policies first.")
		case len(u.Attached) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must detach all policies first.")
		case len(u.Groups) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must remove users from group first.")
		}
		if u.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, u.PermissionsBoundary.PermissionsBoundaryArn, -1); err != nil {
				return err
			}
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindUser, Account: c.Account, ID: lower(name)}, 0)
	})
}

// userCredentialsInUse returns the DeleteConflict DeleteUser reports while
// a user still has credentials AWS makes callers delete first: access keys,
// a login profile, MFA devices, signing certificates, SSH public keys or
// service-specific credentials.
func (s *Service) userCredentialsInUse(c *Call, tx store.Tx, u *User) error {
	keys, err := s.userKeys(c, tx, u.UserName)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return awserr.New("DeleteConflict", "Cannot delete entity, must delete access keys first.")
	}
	_, login, err := userLogin(c.Ctx, tx, c.Account, u.UserName)
	if err != nil {
		return err
	}
	if login != nil {
		return awserr.New("DeleteConflict", "Cannot delete entity, must delete login profile first.")
	}
	devices, err := userDevices(c, tx, u)
	if err != nil {
		return err
	}
	if len(devices) > 0 {
		return awserr.New("DeleteConflict", "Cannot delete entity, must delete MFA device first.")
	}
	return s.userCredentialsConflict(c, tx, u)
}

// modifyUser reads, changes and writes a user in one transaction.
func (s *Service) modifyUser(c *Call, fn func(tx store.Tx, u *User) error) error {
	name := c.Params.String("UserName")
	return s.update(c.Ctx, func(tx store.Tx) error {
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(name), "The user with name "+name+" cannot be found.")
		if err != nil {
			return err
		}
		if err := fn(tx, u); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindUser, c.Account, lower(name), "", u, false)
	})
}

func tagUser(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyUser(c, func(_ store.Tx, u *User) error {
		u.Tags, err = s.mergeTags(u.Tags, tags)
		return err
	})
}

func untagUser(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifyUser(c, func(_ store.Tx, u *User) error {
		u.Tags = removeTags(u.Tags, keys)
		return nil
	})
}

func listUserTags(s *Service, c *Call) (any, error) {
	u, err := s.readUser(c, c.Params.String("UserName"))
	if err != nil {
		return nil, err
	}
	tags := u.Tags
	if tags == nil {
		tags = []Tag{}
	}
	pg, trunc, marker, err := page(c.Params, tags, func(t Tag) string { return t.Key })
	if err != nil {
		return nil, err
	}
	return listResult("Tags", pg, trunc, marker), nil
}

func putUserBoundary(s *Service, c *Call) (any, error) {
	b := c.Params.String("PermissionsBoundary")
	if err := s.checkBoundary(c.Account, b); err != nil {
		return nil, err
	}
	return nil, s.modifyUser(c, func(tx store.Tx, u *User) error {
		if u.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, u.PermissionsBoundary.PermissionsBoundaryArn, -1); err != nil {
				return err
			}
		}
		u.PermissionsBoundary = &Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: b}
		return s.countBoundaryUse(c, tx, b, +1)
	})
}

func deleteUserBoundary(s *Service, c *Call) (any, error) {
	return nil, s.modifyUser(c, func(tx store.Tx, u *User) error {
		if u.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, u.PermissionsBoundary.PermissionsBoundaryArn, -1); err != nil {
				return err
			}
		}
		u.PermissionsBoundary = nil
		return nil
	})
}
