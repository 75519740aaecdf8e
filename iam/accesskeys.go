package iam

import (
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register(
		&Operation{Name: "CreateAccessKey", Resource: selfOrUserResource, Handle: createAccessKey},
		&Operation{Name: "ListAccessKeys", Resource: selfOrUserResource, Handle: listAccessKeys},
		&Operation{Name: "UpdateAccessKey", Resource: selfOrUserResource, Handle: updateAccessKey},
		&Operation{Name: "DeleteAccessKey", Resource: selfOrUserResource, Handle: deleteAccessKey},
		&Operation{Name: "GetAccessKeyLastUsed", Resource: accessKeyOwnerResource, Handle: getAccessKeyLastUsed},
	)
}

// keyParent groups a user's access keys: "account/lower(user)"; the root
// user's keys have the user part empty.
func keyParent(account, user string) string { return account + "/" + lower(user) }

// keyOwner is the user an access-key operation acts on: the UserName
// parameter, else the caller (an IAM user, or "" for the root user).
func keyOwner(c *Call) (string, error) {
	if name := c.Params.String("UserName"); name != "" {
		return name, nil
	}
	switch {
	case c.Caller != nil && c.Caller.Type == authz.User:
		return c.Caller.Username, nil
	case c.Caller != nil && c.Caller.Type == authz.Root:
		return "", nil
	}
	return "", awserr.New("ValidationError", "Must specify userName when calling with non-User credentials")
}

func (s *Service) userKeys(c *Call, tx store.Tx, user string) ([]*AccessKey, error) {
	parent := keyParent(c.Account, user)
	return list[AccessKey](c.Ctx, tx, store.ListOptions{Kind: kindAccessKey, Parent: &parent})
}

func accessKeyOwnerResource(s *Service, c *Call) string {
	if k, ok := s.snap.key(c.Params.String("AccessKeyId")); ok && k.UserName != "" {
		return s.userARN(k.Account, k.UserName)
	}
	return s.arn(c.Account, "user", "/", "*")
}

func createAccessKey(s *Service, c *Call) (any, error) {
	user, err := keyOwner(c)
	if err != nil {
		return nil, err
	}
	secret := newSecret()
	k := &AccessKey{AccessKeyId: newAccessKeyID(prefixAccessKey), Account: c.Account, UserName: user,
		Status: "Active", CreateDate: c.Now}
	k.SecretEncrypted = s.sealer.Seal(secret, k.AccessKeyId)
	err = s.update(c.Ctx, func(tx store.Tx) error {
		if user != "" {
			u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found.")
			if err != nil {
				return err
			}
			k.UserName = u.UserName // as stored, whatever the case of the parameter
		}
		keys, err := s.userKeys(c, tx, user)
		if err != nil {
			return err
		}
		if err := quota(len(keys), s.quotas.AccessKeysPerUser, "AccessKeysPerUser"); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindAccessKey, "", k.AccessKeyId, keyParent(c.Account, user), k, true)
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"AccessKeyId": k.AccessKeyId, "Status": k.Status, "SecretAccessKey": secret, "CreateDate": k.CreateDate}
	if k.UserName != "" {
		out["UserName"] = k.UserName
	}
	return map[string]any{"AccessKey": out}, nil
}

func listAccessKeys(s *Service, c *Call) (any, error) {
	user, err := keyOwner(c)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	err = s.store.View(c.Ctx, func(tx store.Tx) error {
		if user != "" {
			if _, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found."); err != nil {
				return err
			}
		}
		keys, err := s.userKeys(c, tx, user)
		for _, k := range keys {
			m := map[string]any{"AccessKeyId": k.AccessKeyId, "Status": k.Status, "CreateDate": k.CreateDate}
			if k.UserName != "" {
				m["UserName"] = k.UserName
			}
			out = append(out, m)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []map[string]any{}
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return m["AccessKeyId"].(string) })
	if err != nil {
		return nil, err
	}
	return listResult("AccessKeyMetadata", pg, trunc, marker), nil
}

// modifyKey reads, changes and writes an access key of the key owner.
func (s *Service) modifyKey(c *Call, fn func(tx store.Tx, k *AccessKey) (del bool, err error)) error {
	user, err := keyOwner(c)
	if err != nil {
		return err
	}
	id := c.Params.String("AccessKeyId")
	missing := "The Access Key with id " + id + " cannot be found."
	return s.update(c.Ctx, func(tx store.Tx) error {
		k, _, err := get[AccessKey](c.Ctx, tx, kindAccessKey, "", id, missing)
		if err != nil {
			return err
		}
		if k.Account != c.Account || lower(k.UserName) != lower(user) {
			return awserr.New("NoSuchEntity", missing)
		}
		del, err := fn(tx, k)
		if err != nil {
			return err
		}
		if del {
			return tx.Delete(c.Ctx, store.Key{Kind: kindAccessKey, ID: id}, 0)
		}
		return put(c.Ctx, tx, kindAccessKey, "", id, keyParent(c.Account, k.UserName), k, false)
	})
}

func updateAccessKey(s *Service, c *Call) (any, error) {
	status := c.Params.String("Status")
	return nil, s.modifyKey(c, func(_ store.Tx, k *AccessKey) (bool, error) {
		k.Status = status
		return false, nil
	})
}

func deleteAccessKey(s *Service, c *Call) (any, error) {
	return nil, s.modifyKey(c, func(store.Tx, *AccessKey) (bool, error) { return true, nil })
}

func getAccessKeyLastUsed(s *Service, c *Call) (any, error) {
	id := c.Params.String("AccessKeyId")
	k, ok := s.snap.key(id)
	if !ok || k.Account != c.Account {
		return nil, awserr.New("AccessDenied", "Access key ID "+id+" does not exist or does not belong to this account.")
	}
	lu := map[string]any{"ServiceName": "N/A", "Region": "N/A"}
	if last := s.keyLastUsed(c, id); last != nil {
		lu = map[string]any{"LastUsedDate": last.LastUsedDate, "ServiceName": last.ServiceName, "Region": last.Region}
	}
	out := map[string]any{"AccessKeyLastUsed": lu}
	if k.UserName != "" {
		out["UserName"] = k.UserName
	}
	return out, nil
}
