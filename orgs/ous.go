package orgs

import (
	"sort"
	"strings"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register("CreateOrganizationalUnit", createOU)
	register("UpdateOrganizationalUnit", updateOU)
	register("DeleteOrganizationalUnit", deleteOU)
	register("DescribeOrganizationalUnit", describeOU)
	register("ListOrganizationalUnitsForParent", listOUsForParent)
	register("ListChildren", listChildren)
	register("ListParents", listParents)
}

// maxOUDepth is how deep OUs nest under the root (AWS: five levels).
const maxOUDepth = 5

func ouNotFound() error {
	return awserr.New("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.")
}

func createOU(s *Service, c *iam.Call) (any, error) {
	parent, name := c.Params.String("ParentId"), c.Params.String("Name")
	var out map[string]any
	err := s.modify(c, func(_ store.Tx, st *state) error {
		if _, ok := st.OUs[parent]; !ok && parent != st.RootID {
			return parentNotFound()
		}
		for _, o := range st.OUs {
			if o.Parent == parent && o.Name == name {
				return awserr.New("DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
			}
		}
		if len(st.path(parent)) > maxOUDepth {
			return constraint("OU_DEPTH_LIMIT_EXCEEDED", "You attempted to create an OU tree that is too many levels deep.")
		}
		o := &ou{ID: "ou-" + strings.TrimPrefix(st.RootID, "r-") + "-" + randomID(8, lowerAlnum), Name: name, Parent: parent}
		st.OUs[o.ID] = o
		attachDefaults(st, o.ID)
		for _, t := range c.Params.Structs("Tags") {
			st.Tags[o.ID] = append(st.Tags[o.ID], Tag{Key: t.String("Key"), Value: t.String("Value")})
		}
		out = s.ouOutput(st, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"OrganizationalUnit": out}, nil
}

func updateOU(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("OrganizationalUnitId")
	var out map[string]any
	err := s.modify(c, func(_ store.Tx, st *state) error {
		o, ok := st.OUs[id]
		if !ok {
			return ouNotFound()
		}
		if name := c.Params.String("Name"); name != "" {
			for _, other := range st.OUs {
				if other.Parent == o.Parent && other.Name == name && other.ID != id {
					return awserr.New("DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
				}
			}
			o.Name = name
		}
		out = s.ouOutput(st, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"OrganizationalUnit": out}, nil
}

func deleteOU(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("OrganizationalUnitId")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		if _, ok := st.OUs[id]; !ok {
			return ouNotFound()
		}
		for _, o := range st.OUs {
			if o.Parent == id {
				return awserr.New("OrganizationalUnitNotEmptyException", "The specified OU is not empty. Move all accounts to another root or OU and remove all child OUs, then try the operation again.")
			}
		}
		for _, a := range st.Accounts {
			if a.Parent == id {
				return awserr.New("OrganizationalUnitNotEmptyException", "The specified OU is not empty. Move all accounts to another root or OU and remove all child OUs, then try the operation again.")
			}
		}
		delete(st.OUs, id)
		detachAll(st, id)
		return nil
	})
}

func describeOU(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("OrganizationalUnitId")
	var out any
	err := s.read(c, func(st *state) error {
		o, ok := st.OUs[id]
		if !ok {
			return ouNotFound()
		}
		out = map[string]any{"OrganizationalUnit": s.ouOutput(st, o)}
		return nil
	})
	return out, err
}

func (s *Service) childOUs(st *state, parent string) []map[string]any {
	var ids []string
	for id, o := range st.OUs {
		if o.Parent == parent {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := []map[string]any{}
	for _, id := range ids {
		out = append(out, s.ouOutput(st, st.OUs[id]))
	}
	return out
}

func listOUsForParent(s *Service, c *iam.Call) (any, error) {
	parent := c.Params.String("ParentId")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		if _, ok := st.OUs[parent]; !ok && parent != st.RootID {
			return parentNotFound()
		}
		list = s.childOUs(st, parent)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "OrganizationalUnits", list)
}

func listChildren(s *Service, c *iam.Call) (any, error) {
	parent, typ := c.Params.String("ParentId"), c.Params.String("ChildType")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		if _, ok := st.OUs[parent]; !ok && parent != st.RootID {
			return parentNotFound()
		}
		var items []map[string]any
		if typ == "ACCOUNT" {
			items = s.sortedAccounts(st, parent)
		} else {
			items = s.childOUs(st, parent)
		}
		list = []map[string]any{}
		for _, it := range items {
			list = append(list, map[string]any{"Id": it["Id"], "Type": typ})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Children", list)
}

func listParents(s *Service, c *iam.Call) (any, error) {
	child := c.Params.String("ChildId")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		if _, ok := st.OUs[child]; !ok {
			if _, ok := st.Accounts[child]; !ok {
				return awserr.New("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
			}
		}
		p := st.parentOf(child)
		typ := "ORGANIZATIONAL_UNIT"
		if p == st.RootID {
			typ = "ROOT"
		}
		list = []map[string]any{{"Id": p, "Type": typ}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Parents", list)
}
