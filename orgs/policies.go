package orgs

import (
	"sort"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register("EnablePolicyType", enablePolicyTypeOp)
	register("DisablePolicyType", disablePolicyType)
	register("CreatePolicy", createPolicy)
	register("UpdatePolicy", updatePolicy)
	register("DeletePolicy", deletePolicy)
	register("DescribePolicy", describePolicy)
	register("ListPolicies", listPolicies)
	register("AttachPolicy", attachPolicy)
	register("DetachPolicy", detachPolicy)
	register("ListPoliciesForTarget", listPoliciesForTarget)
	register("ListTargetsForPolicy", listTargetsForPolicy)
	register("TagResource", tagResource)
	register("UntagResource", untagResource)
	register("ListTagsForResource", listTagsForResource)
	register("EnableAWSServiceAccess", enableServiceAccess)
	register("DisableAWSServiceAccess", disableServiceAccess)
	register("ListAWSServiceAccessForOrganization", listServiceAccess)
	register("ListDelegatedAdministrators", func(s *Service, c *iam.Call) (any, error) {
		if err := s.read(c, func(*state) error { return nil }); err != nil {
			return nil, err
		}
		return listOutput(c, "DelegatedAdministrators", []map[string]any{})
	})
}

func rootNotFound() error {
	return awserr.New("RootNotFoundException", "We can't find a root with the RootId that you specified.")
}

func policyNotFound() error {
	return awserr.New("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
}

func targetNotFound() error {
	return awserr.New("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
}

func enablePolicyTypeOp(s *Service, c *iam.Call) (any, error) {
	root, typ := c.Params.String("RootId"), c.Params.String("PolicyType")
	var out map[string]any
	err := s.modify(c, func(_ store.Tx, st *state) error {
		if root != st.RootID {
			return rootNotFound()
		}
		if typ != SCP && typ != RCP {
			return invalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid value for the PolicyType parameter.")
		}
		if st.FeatureSet != "ALL" {
			return constraint("ORGANIZATION_NOT_IN_ALL_FEATURES_MODE", "This operation requires an organization with all features enabled.")
		}
		if st.enabled(typ) {
			return awserr.New("PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled.")
		}
		enablePolicyType(st, typ)
		out = s.rootOutput(st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Root": out}, nil
}

func disablePolicyType(s *Service, c *iam.Call) (any, error) {
	root, typ := c.Params.String("RootId"), c.Params.String("PolicyType")
	var out map[string]any
	err := s.modify(c, func(_ store.Tx, st *state) error {
		if root != st.RootID {
			return rootNotFound()
		}
		if !st.enabled(typ) {
			return awserr.New("PolicyTypeNotEnabledException", "This operation can be performed only for enabled policy types.")
		}
		kept := st.RootPolicyTypes[:0]
		for _, t := range st.RootPolicyTypes {
			if t.Type != typ {
				kept = append(kept, t)
			}
		}
		st.RootPolicyTypes = kept
		// Attachments of the type go with it.
		for target, ids := range st.Attachments {
			var keep []string
			for _, id := range ids {
				if p, ok := st.policy(id); ok && p.Type != typ {
					keep = append(keep, id)
				}
			}
			st.Attachments[target] = keep
		}
		out = s.rootOutput(st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Root": out}, nil
}

func (s *Service) policyOutput(st *state, p *orgPolicy) map[string]any {
	return map[string]any{"PolicySummary": s.policySummary(st, p), "Content": p.Content}
}

func createPolicy(s *Service, c *iam.Call) (any, error) {
	typ, name, content := c.Params.String("Type"), c.Params.String("Name"), c.Params.String("Content")
	if err := checkPolicy(typ, content); err != nil {
		return nil, err
	}
	var out map[string]any
	err := s.modify(c, func(_ store.Tx, st *state) error {
		for _, p := range st.Policies {
			if p.Name == name && p.Type == typ {
				return awserr.New("DuplicatePolicyException", "A policy with the same name already exists.")
			}
		}
		if len(st.Policies) >= 1000 {
			return constraint("POLICY_NUMBER_LIMIT_EXCEEDED", "You have reached the maximum number of policies.")
		}
		p := &orgPolicy{ID: newPolicyID(c), Name: name, Description: c.Params.String("Description"),
			Type: typ, Content: content}
		st.Policies[p.ID] = p
		for _, t := range c.Params.Structs("Tags") {
			st.Tags[p.ID] = append(st.Tags[p.ID], Tag{Key: t.String("Key"), Value: t.String("Value")})
		}
		out = s.policyOutput(st, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": out}, nil
}

// customerPolicy finds a policy the customer may change.
func customerPolicy(st *state, id string) (*orgPolicy, error) {
	if _, aws := awsPolicies[id]; aws {
		return nil, awserr.New("PolicyChangesInProgressException", "AWS managed policies can't be changed.")
	}
	p, ok := st.Policies[id]
	if !ok {
		return nil, policyNotFound()
	}
	return p, nil
}

func updatePolicy(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("PolicyId")
	var out map[string]any
	err := s.modify(c, func(_ store.Tx, st *state) error {
		p, err := customerPolicy(st, id)
		if err != nil {
			return err
		}
		if c.Params.Has("Content") {
			if err := checkPolicy(p.Type, c.Params.String("Content")); err != nil {
				return err
			}
			p.Content = c.Params.String("Content")
		}
		if c.Params.Has("Name") {
			p.Name = c.Params.String("Name")
		}
		if c.Params.Has("Description") {
			p.Description = c.Params.String("Description")
		}
		out = s.policyOutput(st, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": out}, nil
}

func deletePolicy(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("PolicyId")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		if _, err := customerPolicy(st, id); err != nil {
			return err
		}
		for _, ids := range st.Attachments {
			if contains(ids, id) {
				return awserr.New("PolicyInUseException", "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
			}
		}
		delete(st.Policies, id)
		delete(st.Tags, id)
		return nil
	})
}

func describePolicy(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("PolicyId")
	var out any
	err := s.read(c, func(st *state) error {
		p, ok := st.policy(id)
		if !ok {
			return policyNotFound()
		}
		out = map[string]any{"Policy": s.policyOutput(st, p)}
		return nil
	})
	return out, err
}

// sortedPolicies lists the policies of a type (AWS managed first).
func (s *Service) sortedPolicies(st *state, typ string, keep func(*orgPolicy) bool) []map[string]any {
	var list []*orgPolicy
	for _, p := range awsPolicies {
		if p.Type == typ && keep(p) {
			list = append(list, p)
		}
	}
	for _, p := range st.Policies {
		if p.Type == typ && keep(p) {
			list = append(list, p)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	out := []map[string]any{}
	for _, p := range list {
		out = append(out, s.policySummary(st, p))
	}
	return out
}

func listPolicies(s *Service, c *iam.Call) (any, error) {
	typ := c.Params.String("Filter")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		list = s.sortedPolicies(st, typ, func(*orgPolicy) bool { return true })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Policies", list)
}

func attachPolicy(s *Service, c *iam.Call) (any, error) {
	id, target := c.Params.String("PolicyId"), c.Params.String("TargetId")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		p, ok := st.policy(id)
		if !ok {
			return policyNotFound()
		}
		if !st.exists(target) {
			return targetNotFound()
		}
		if !st.enabled(p.Type) {
			return awserr.New("PolicyTypeNotEnabledException", "This operation can be performed only for enabled policy types.")
		}
		if contains(st.Attachments[target], id) {
			return awserr.New("DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.")
		}
		n := 0
		for _, pid := range st.Attachments[target] {
			if q, ok := st.policy(pid); ok && q.Type == p.Type {
				n++
			}
		}
		if n >= 5 {
			return constraint("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", "You attempted to exceed the number of policies of a certain type that can be attached to an entity.")
		}
		attach(st, id, target)
		return nil
	})
}

func detachPolicy(s *Service, c *iam.Call) (any, error) {
	id, target := c.Params.String("PolicyId"), c.Params.String("TargetId")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		if _, ok := st.policy(id); !ok {
			return policyNotFound()
		}
		if !st.exists(target) {
			return targetNotFound()
		}
		if id == rcpFullAccessID {
			return constraint("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", "RCPFullAWSAccess can't be detached.")
		}
		ids := st.Attachments[target]
		for i, pid := range ids {
			if pid == id {
				st.Attachments[target] = append(ids[:i:i], ids[i+1:]...)
				return nil
			}
		}
		return awserr.New("PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.")
	})
}

func listPoliciesForTarget(s *Service, c *iam.Call) (any, error) {
	target, typ := c.Params.String("TargetId"), c.Params.String("Filter")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		if !st.exists(target) {
			return targetNotFound()
		}
		list = s.sortedPolicies(st, typ, func(p *orgPolicy) bool { return contains(st.Attachments[target], p.ID) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Policies", list)
}

func (s *Service) targetSummary(st *state, id string) map[string]any {
	switch {
	case id == st.RootID:
		return map[string]any{"TargetId": id, "Arn": s.rootARN(st), "Name": "Root", "Type": "ROOT"}
	case st.OUs[id] != nil:
		return map[string]any{"TargetId": id, "Arn": s.ouARN(st, id), "Name": st.OUs[id].Name, "Type": "ORGANIZATIONAL_UNIT"}
	}
	a := st.Accounts[id]
	return map[string]any{"TargetId": id, "Arn": s.accountARN(st, id), "Name": a.Name, "Type": "ACCOUNT"}
}

func listTargetsForPolicy(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("PolicyId")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		if _, ok := st.policy(id); !ok {
			return policyNotFound()
		}
		var targets []string
		for target, ids := range st.Attachments {
			if contains(ids, id) && st.exists(target) {
				targets = append(targets, target)
			}
		}
		sort.Strings(targets)
		list = []map[string]any{}
		for _, t := range targets {
			list = append(list, s.targetSummary(st, t))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Targets", list)
}

// taggable reports whether an id names a taggable resource.
func taggable(st *state, id string) bool {
	_, policy := st.Policies[id]
	return st.exists(id) || policy
}

func tagResource(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("ResourceId")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		if !taggable(st, id) {
			return targetNotFound()
		}
		for _, t := range c.Params.Structs("Tags") {
			k, v := t.String("Key"), t.String("Value")
			replaced := false
			for i := range st.Tags[id] {
				if st.Tags[id][i].Key == k {
					st.Tags[id][i].Value, replaced = v, true
				}
			}
			if !replaced {
				st.Tags[id] = append(st.Tags[id], Tag{Key: k, Value: v})
			}
		}
		if len(st.Tags[id]) > 50 {
			return constraint("MAX_TAG_LIMIT_EXCEEDED", "You have exceeded the maximum number of tags allowed on this resource.")
		}
		return nil
	})
}

func untagResource(s *Service, c *iam.Call) (any, error) {
	id, keys := c.Params.String("ResourceId"), c.Params.Strings("TagKeys")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		if !taggable(st, id) {
			return targetNotFound()
		}
		var kept []Tag
		for _, t := range st.Tags[id] {
			if !contains(keys, t.Key) {
				kept = append(kept, t)
			}
		}
		st.Tags[id] = kept
		return nil
	})
}

func listTagsForResource(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("ResourceId")
	var tags []Tag
	err := s.read(c, func(st *state) error {
		if !taggable(st, id) {
			return targetNotFound()
		}
		tags = append([]Tag{}, st.Tags[id]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Tags", tags)
}

func enableServiceAccess(s *Service, c *iam.Call) (any, error) {
	p := c.Params.String("ServicePrincipal")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		if !contains(st.ServicePrincipals, p) {
			st.ServicePrincipals = append(st.ServicePrincipals, p)
		}
		return nil
	})
}

func disableServiceAccess(s *Service, c *iam.Call) (any, error) {
	p := c.Params.String("ServicePrincipal")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		var kept []string
		for _, v := range st.ServicePrincipals {
			if v != p {
				kept = append(kept, v)
			}
		}
		st.ServicePrincipals = kept
		return nil
	})
}

func listServiceAccess(s *Service, c *iam.Call) (any, error) {
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		list = []map[string]any{}
		for _, p := range st.ServicePrincipals {
			list = append(list, map[string]any{"ServicePrincipal": p, "DateEnabled": c.Now})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "EnabledServicePrincipals", list)
}
