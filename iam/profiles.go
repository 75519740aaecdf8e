package iam

import (
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// InstanceProfile is an IAM instance profile: a container for one role.
type InstanceProfile struct {
	Path                string
	InstanceProfileName string
	InstanceProfileId   string
	Arn                 string
	CreateDate          time.Time
	Roles               []string `json:",omitempty"` // role names
	Tags                []Tag    `json:",omitempty"`
}

func init() {
	register(
		&Operation{Name: "CreateInstanceProfile", Resource: newProfileResource, Handle: createProfile},
		&Operation{Name: "GetInstanceProfile", Resource: profileResource, Handle: getProfile},
		&Operation{Name: "DeleteInstanceProfile", Resource: profileResource, Handle: deleteProfile},
		&Operation{Name: "ListInstanceProfiles", Resource: accountResource("instance-profile"), Handle: listProfiles},
		&Operation{Name: "AddRoleToInstanceProfile", Resource: profileResource, Handle: addRoleToProfile},
		&Operation{Name: "RemoveRoleFromInstanceProfile", Resource: profileResource, Handle: removeRoleFromProfile},
		&Operation{Name: "ListInstanceProfilesForRole", Resource: roleResource, Handle: listProfilesForRole},
		&Operation{Name: "TagInstanceProfile", Resource: tagResource(profileResource), Handle: tagProfile},
		&Operation{Name: "UntagInstanceProfile", Resource: untagResource(profileResource), Handle: untagProfile},
		&Operation{Name: "ListInstanceProfileTags", Resource: profileResource, Handle: listProfileTags},
	)
}

func profileMissing(name string) string {
	return "Instance Profile " + name + " cannot be found."
}

// profileResource is the ARN of the named instance profile, its path
// included, and adds its tags as aws:ResourceTag/…; for a missing profile,
// the ARN at "/".
func profileResource(s *Service, c *Call) string {
	name := c.Params.String("InstanceProfileName")
	var p *InstanceProfile
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		p, _, err = get[InstanceProfile](c.Ctx, tx, kindProfile, c.Account, lower(name), "")
		return err
	})
	if err != nil {
		return s.arn(c.Account, "instance-profile", "/", name)
	}
	resourceTagKeys(c, p.Tags)
	return p.Arn
}

func newProfileResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	return s.arn(c.Account, "instance-profile", pathOrRoot(c.Params), c.Params.String("InstanceProfileName"))
}

// profileOutput renders an instance profile with its roles.
func (s *Service) profileOutput(c *Call, tx store.Tx, p *InstanceProfile) map[string]any {
	roles := []map[string]any{}
	for _, name := range p.Roles {
		if r, _, err := get[Role](c.Ctx, tx, kindRole, c.Account, lower(name), ""); err == nil {
			roles = append(roles, roleOutput(r, false))
		}
	}
	out := map[string]any{"Path": p.Path, "InstanceProfileName": p.InstanceProfileName, "InstanceProfileId": p.InstanceProfileId,
		"Arn": p.Arn, "CreateDate": p.CreateDate, "Roles": roles}
	if len(p.Tags) > 0 {
		out["Tags"] = p.Tags
	}
	return out
}

func createProfile(s *Service, c *Call) (any, error) {
	name := c.Params.String("InstanceProfileName")
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	p := &InstanceProfile{Path: pathOrRoot(c.Params), InstanceProfileName: name, InstanceProfileId: newID(prefixProfile),
		CreateDate: c.Now, Tags: tags}
	p.Arn = s.arn(c.Account, "instance-profile", p.Path, name)
	var out map[string]any
	err = s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindProfile)
		if err != nil {
			return err
		}
		if err := quota(n, s.quotas.InstanceProfilesPerAcct, "InstanceProfilesPerAccount"); err != nil {
			return err
		}
		if err := exists(put(c.Ctx, tx, kindProfile, c.Account, lower(name), "", p, true), "Instance Profile "+name+" already exists."); err != nil {
			return err
		}
		out = s.profileOutput(c, tx, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"InstanceProfile": out}, nil
}

func getProfile(s *Service, c *Call) (any, error) {
	name := c.Params.String("InstanceProfileName")
	var out map[string]any
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		p, _, err := get[InstanceProfile](c.Ctx, tx, kindProfile, c.Account, lower(name), profileMissing(name))
		if err != nil {
			return err
		}
		out = s.profileOutput(c, tx, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"InstanceProfile": out}, nil
}

func deleteProfile(s *Service, c *Call) (any, error) {
	name := c.Params.String("InstanceProfileName")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		p, _, err := get[InstanceProfile](c.Ctx, tx, kindProfile, c.Account, lower(name), profileMissing(name))
		if err != nil {
			return err
		}
		if len(p.Roles) > 0 {
			return awserr.New("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindProfile, Account: c.Account, ID: lower(name)}, 0)
	})
}

// listProfiles lists the instance profiles keep selects, with their tags
// when withTags is set (ListInstanceProfiles leaves them out).
func (s *Service) listProfiles(c *Call, keep func(*InstanceProfile) bool, withTags bool) (any, error) {
	var out []map[string]any
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		ps, err := list[InstanceProfile](c.Ctx, tx, store.ListOptions{Kind: kindProfile, Account: c.Account})
		if err != nil {
			return err
		}
		for _, p := range pathPrefixFilter(c.Params, ps, func(p *InstanceProfile) string { return p.Path }) {
			if keep(p) {
				po := s.profileOutput(c, tx, p)
				if !withTags {
					delete(po, "Tags")
				}
				out = append(out, po)
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
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return lower(m["InstanceProfileName"].(string)) })
	if err != nil {
		return nil, err
	}
	return listResult("InstanceProfiles", pg, trunc, marker), nil
}

func listProfiles(s *Service, c *Call) (any, error) {
	return s.listProfiles(c, func(*InstanceProfile) bool { return true }, false)
}

func listProfilesForRole(s *Service, c *Call) (any, error) {
	role := c.Params.String("RoleName")
	if _, err := s.readRole(c, role); err != nil {
		return nil, err
	}
	return s.listProfiles(c, func(p *InstanceProfile) bool { return hasName(p.Roles, role) }, true)
}

func hasName(names []string, name string) bool {
	for _, n := range names {
		if lower(n) == lower(name) {
			return true
		}
	}
	return false
}

// profilesWithRole counts the instance profiles that hold a role.
func (s *Service) profilesWithRole(c *Call, tx store.Tx, role string) (int, error) {
	ps, err := list[InstanceProfile](c.Ctx, tx, store.ListOptions{Kind: kindProfile, Account: c.Account})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		if hasName(p.Roles, role) {
			n++
		}
	}
	return n, nil
}

// modifyProfile reads, changes and writes an instance profile.
func (s *Service) modifyProfile(c *Call, fn func(tx store.Tx, p *InstanceProfile) error) error {
	name := c.Params.String("InstanceProfileName")
	return s.update(c.Ctx, func(tx store.Tx) error {
		p, _, err := get[InstanceProfile](c.Ctx, tx, kindProfile, c.Account, lower(name), profileMissing(name))
		if err != nil {
			return err
		}
		if err := fn(tx, p); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindProfile, c.Account, lower(name), "", p, false)
	})
}

func addRoleToProfile(s *Service, c *Call) (any, error) {
	role := c.Params.String("RoleName")
	return nil, s.modifyProfile(c, func(tx store.Tx, p *InstanceProfile) error {
		r, _, err := get[Role](c.Ctx, tx, kindRole, c.Account, lower(role), roleMissing(role))
		if err != nil {
			return err
		}
		if len(p.Roles) >= s.quotas.RolesPerInstanceProfile {
			return awserr.New("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		p.Roles = append(p.Roles, r.RoleName)
		return nil
	})
}

func removeRoleFromProfile(s *Service, c *Call) (any, error) {
	role := c.Params.String("RoleName")
	return nil, s.modifyProfile(c, func(_ store.Tx, p *InstanceProfile) error {
		for i, n := range p.Roles {
			if lower(n) == lower(role) {
				p.Roles = append(p.Roles[:i], p.Roles[i+1:]...)
				return nil
			}
		}
		return awserr.New("NoSuchEntity", "The role with name "+role+" cannot be found.")
	})
}

func tagProfile(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyProfile(c, func(_ store.Tx, p *InstanceProfile) error {
		p.Tags, err = s.mergeTags(p.Tags, tags)
		return err
	})
}

func untagProfile(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifyProfile(c, func(_ store.Tx, p *InstanceProfile) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

func listProfileTags(s *Service, c *Call) (any, error) {
	name := c.Params.String("InstanceProfileName")
	var tags []Tag
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		p, _, err := get[InstanceProfile](c.Ctx, tx, kindProfile, c.Account, lower(name), profileMissing(name))
		if err == nil {
			tags = append([]Tag{}, p.Tags...)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	pg, trunc, marker, err := page(c.Params, tags, func(t Tag) string { return t.Key })
	if err != nil {
		return nil, err
	}
	return listResult("Tags", pg, trunc, marker), nil
}
