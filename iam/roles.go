package iam

import (
	"fmt"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register(
		&Operation{Name: "CreateRole", Resource: newRoleResource, Handle: createRole},
		&Operation{Name: "GetRole", Resource: roleResource, Handle: getRole},
		&Operation{Name: "ListRoles", Resource: accountResource("role"), Handle: listRoles},
		&Operation{Name: "UpdateRole", Resource: roleResource, Handle: updateRole},
		&Operation{Name: "UpdateRoleDescription", Resource: roleResource, Handle: updateRoleDescription},
		&Operation{Name: "UpdateAssumeRolePolicy", Resource: roleResource, Handle: updateAssumeRolePolicy},
		&Operation{Name: "DeleteRole", Resource: roleResource, Handle: deleteRole},
		&Operation{Name: "TagRole", Resource: tagResource(roleResource), Handle: tagRole},
		&Operation{Name: "UntagRole", Resource: untagResource(roleResource), Handle: untagRole},
		&Operation{Name: "ListRoleTags", Resource: roleResource, Handle: listRoleTags},
		&Operation{Name: "PutRolePermissionsBoundary", Resource: boundaryResource(roleResource), Handle: putRoleBoundary},
		&Operation{Name: "DeleteRolePermissionsBoundary", Resource: roleResource, Handle: deleteRoleBoundary},
	)
}

func roleMissing(name string) string { return "The role with name " + name + " cannot be found." }

func roleResource(s *Service, c *Call) string {
	name := c.Params.String("RoleName")
	if r, ok := s.snap.Role(c.Account, name); ok {
		resourceTagKeys(c, r.Tags)
		return r.Arn
	}
	return s.arn(c.Account, "role", "/", name)
}

func newRoleResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	if b := c.Params.String("PermissionsBoundary"); b != "" {
		c.Context.Set("iam:PermissionsBoundary", b)
	}
	return s.arn(c.Account, "role", pathOrRoot(c.Params), c.Params.String("RoleName"))
}

// roleOutput is the Role structure IAM returns: the trust policy URL-encoded;
// with full set (GetRole, CreateRole) also the boundary, tags and
// RoleLastUsed, which listings leave out.
func roleOutput(r *Role, full bool) map[string]any {
	out := map[string]any{
		"Path": r.Path, "RoleName": r.RoleName, "RoleId": r.RoleId, "Arn": r.Arn, "CreateDate": r.CreateDate,
		"AssumeRolePolicyDocument": r.AssumeRolePolicyDocument, "MaxSessionDuration": r.MaxSessionDuration,
	}
	if r.Description != "" {
		out["Description"] = r.Description
	}
	if !full {
		return out
	}
	if r.PermissionsBoundary != nil {
		out["PermissionsBoundary"] = r.PermissionsBoundary
	}
	if len(r.Tags) > 0 {
		out["Tags"] = r.Tags
	}
	lu := map[string]any{}
	if r.LastUsed != nil {
		if r.LastUsed.LastUsedDate != nil {
			lu["LastUsedDate"] = *r.LastUsed.LastUsedDate
		}
		if r.LastUsed.Region != "" {
			lu["Region"] = r.LastUsed.Region
		}
	}
	out["RoleLastUsed"] = lu
	return out
}

// checkTrustPolicy validates a role trust policy and its size.
func (s *Service) checkTrustPolicy(doc string) error {
	if err := checkDocument(doc, policy.Trust); err != nil {
		return err
	}
	if n := policySize(doc); n > s.quotas.TrustPolicySize {
		return awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for ACLSizePerRole: %d", s.quotas.TrustPolicySize))
	}
	return nil
}

func maxSessionDuration(c *Call, def int64) (int64, error) {
	v, ok := c.Params.Int("MaxSessionDuration")
	if !ok {
		return def, nil
	}
	if v < 3600 || v > 43200 {
		return 0, awserr.New("ValidationError", fmt.Sprintf("The requested MaxSessionDuration (%d) must be between 3600 and 43200 seconds.", v))
	}
	return v, nil
}

func createRole(s *Service, c *Call) (any, error) {
	name, doc := c.Params.String("RoleName"), c.Params.String("AssumeRolePolicyDocument")
	if err := s.checkTrustPolicy(doc); err != nil {
		return nil, err
	}
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	msd, err := maxSessionDuration(c, 3600)
	if err != nil {
		return nil, err
	}
	r := &Role{Path: pathOrRoot(c.Params), RoleName: name, RoleId: newID(prefixRole), CreateDate: c.Now,
		AssumeRolePolicyDocument: doc, Description: c.Params.String("Description"), MaxSessionDuration: msd, Tags: tags}
	r.Arn = s.arn(c.Account, "role", r.Path, name)
	if b := c.Params.String("PermissionsBoundary"); b != "" {
		if err := s.checkBoundary(c.Account, b); err != nil {
			return nil, err
		}
		r.PermissionsBoundary = &Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: b}
	}
	err = s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindRole)
		if err != nil {
			return err
		}
		if err := quota(n, s.quotas.RolesPerAccount, "RolesPerAccount"); err != nil {
			return err
		}
		if r.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, r.PermissionsBoundary.PermissionsBoundaryArn, +1); err != nil {
				return err
			}
		}
		return exists(put(c.Ctx, tx, kindRole, c.Account, lower(name), "", r, true), "Role with name "+name+" already exists.")
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Role": roleOutput(r, true)}, nil
}

func (s *Service) readRole(c *Call, name string) (*Role, error) {
	var r *Role
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		r, _, err = get[Role](c.Ctx, tx, kindRole, c.Account, lower(name), roleMissing(name))
		return err
	})
	return r, err
}

func getRole(s *Service, c *Call) (any, error) {
	r, err := s.readRole(c, c.Params.String("RoleName"))
	if err != nil {
		return nil, err
	}
	r.LastUsed = s.roleLastUsed(c, r.Arn)
	return map[string]any{"Role": roleOutput(r, true)}, nil
}

func listRoles(s *Service, c *Call) (any, error) {
	var roles []*Role
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		roles, err = list[Role](c.Ctx, tx, store.ListOptions{Kind: kindRole, Account: c.Account})
		return err
	})
	if err != nil {
		return nil, err
	}
	roles = pathPrefixFilter(c.Params, roles, func(r *Role) string { return r.Path })
	out := make([]map[string]any, 0, len(roles))
	for _, r := range roles {
		out = append(out, roleOutput(r, false))
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return lower(m["RoleName"].(string)) })
	if err != nil {
		return nil, err
	}
	return listResult("Roles", pg, trunc, marker), nil
}

// modifyRole reads, changes and writes a role in one transaction.
func (s *Service) modifyRole(c *Call, fn func(tx store.Tx, r *Role) error) error {
	return modifyHolder[Role](s, c, roleHolder, fn)
}

func updateRole(s *Service, c *Call) (any, error) {
	msd, err := maxSessionDuration(c, 0)
	if err != nil {
		return nil, err
	}
	return map[string]any{}, s.modifyRole(c, func(_ store.Tx, r *Role) error {
		if err := protected(r); err != nil {
			return err
		}
		if c.Params.Has("Description") {
			r.Description = c.Params.String("Description")
		}
		if msd != 0 {
			r.MaxSessionDuration = msd
		}
		return nil
	})
}

func updateRoleDescription(s *Service, c *Call) (any, error) {
	var out *Role
	err := s.modifyRole(c, func(_ store.Tx, r *Role) error {
		r.Description = c.Params.String("Description")
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Role": roleOutput(out, false)}, nil
}

func updateAssumeRolePolicy(s *Service, c *Call) (any, error) {
	doc := c.Params.String("PolicyDocument")
	if err := s.checkTrustPolicy(doc); err != nil {
		return nil, err
	}
	return nil, s.modifyRole(c, func(_ store.Tx, r *Role) error {
		if err := protected(r); err != nil {
			return err
		}
		r.AssumeRolePolicyDocument = doc
		return nil
	})
}

func deleteRole(s *Service, c *Call) (any, error) {
	name := c.Params.String("RoleName")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		r, _, err := get[Role](c.Ctx, tx, kindRole, c.Account, lower(name), roleMissing(name))
		if err != nil {
			return err
		}
		if err := protected(r); err != nil {
			return err
		}
		switch {
		case len(r.Inline) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must delete policies first.")
		case len(r.Attached) > 0:
			return awserr.New("DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		if n, err := s.profilesWithRole(c, tx, r.RoleName); err != nil {
			return err
		} else if n > 0 {
			return awserr.New("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
		}
		if r.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, r.PermissionsBoundary.PermissionsBoundaryArn, -1); err != nil {
				return err
			}
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindRole, Account: c.Account, ID: lower(name)}, 0)
	})
}

func tagRole(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyRole(c, func(_ store.Tx, r *Role) error {
		r.Tags, err = s.mergeTags(r.Tags, tags)
		return err
	})
}

func untagRole(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifyRole(c, func(_ store.Tx, r *Role) error {
		r.Tags = removeTags(r.Tags, keys)
		return nil
	})
}

func listRoleTags(s *Service, c *Call) (any, error) {
	r, err := s.readRole(c, c.Params.String("RoleName"))
	if err != nil {
		return nil, err
	}
	tags := append([]Tag{}, r.Tags...)
	pg, trunc, marker, err := page(c.Params, tags, func(t Tag) string { return t.Key })
	if err != nil {
		return nil, err
	}
	return listResult("Tags", pg, trunc, marker), nil
}

func putRoleBoundary(s *Service, c *Call) (any, error) {
	b := c.Params.String("PermissionsBoundary")
	if err := s.checkBoundary(c.Account, b); err != nil {
		return nil, err
	}
	return nil, s.modifyRole(c, func(tx store.Tx, r *Role) error {
		if err := protected(r); err != nil {
			return err
		}
		if r.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, r.PermissionsBoundary.PermissionsBoundaryArn, -1); err != nil {
				return err
			}
		}
		r.PermissionsBoundary = &Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: b}
		return s.countBoundaryUse(c, tx, b, +1)
	})
}

func deleteRoleBoundary(s *Service, c *Call) (any, error) {
	return nil, s.modifyRole(c, func(tx store.Tx, r *Role) error {
		if err := protected(r); err != nil {
			return err
		}
		if r.PermissionsBoundary != nil {
			if err := s.countBoundaryUse(c, tx, r.PermissionsBoundary.PermissionsBoundaryArn, -1); err != nil {
				return err
			}
		}
		r.PermissionsBoundary = nil
		return nil
	})
}
