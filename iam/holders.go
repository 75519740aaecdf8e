package iam

import (
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

// A policy holder is an entity that has inline policies and attached managed
// policies: a user, a group or a role.
type policyHolder interface {
	policies() (*[]InlinePolicy, *[]AttachedPolicy)
	holderName() string // the name as stored
}

func (u *User) policies() (*[]InlinePolicy, *[]AttachedPolicy)  { return &u.Inline, &u.Attached }
func (g *Group) policies() (*[]InlinePolicy, *[]AttachedPolicy) { return &g.Inline, &g.Attached }
func (r *Role) policies() (*[]InlinePolicy, *[]AttachedPolicy)  { return &r.Inline, &r.Attached }

func (u *User) holderName() string  { return u.UserName }
func (g *Group) holderName() string { return g.GroupName }
func (r *Role) holderName() string  { return r.RoleName }

// holderKind describes one kind of policy holder for the shared handlers.
type holderKind struct {
	noun        string // "user", "group", "role"
	title       string // "User", "Group", "Role"
	kind        string // record kind
	param       string // "UserName", …
	inlineQuota func(q *Quotas) int
	attachQuota func(q *Quotas) int
	quotaName   string // PoliciesPerUser, …
	resource    func(*Service, *Call) string
}

func (h *holderKind) missing(name string) string {
	return "The " + h.noun + " with name " + name + " cannot be found."
}

// modify reads, changes and writes a holder in one transaction.
func modifyHolder[T any, PT interface {
	*T
	policyHolder
}](s *Service, c *Call, h *holderKind, fn func(tx store.Tx, v PT) error) error {
	name := c.Params.String(h.param)
	return s.update(c.Ctx, func(tx store.Tx) error {
		v, _, err := get[T](c.Ctx, tx, h.kind, c.Account, lower(name), h.missing(name))
		if err != nil {
			return err
		}
		if err := fn(tx, PT(v)); err != nil {
			return err
		}
		return put(c.Ctx, tx, h.kind, c.Account, lower(name), "", v, false)
	})
}

func readHolder[T any, PT interface {
	*T
	policyHolder
}](s *Service, c *Call, h *holderKind) (PT, error) {
	name := c.Params.String(h.param)
	var v *T
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		v, _, err = get[T](c.Ctx, tx, h.kind, c.Account, lower(name), h.missing(name))
		return err
	})
	return PT(v), err
}

// holderOperations registers the inline and attached policy operations of a
// holder kind: Put/Get/Delete/List<Kind>Policy, Attach/Detach<Kind>Policy and
// ListAttached<Kind>Policies.
func holderOperations[T any, PT interface {
	*T
	policyHolder
}](h *holderKind) {
	policyARNResource := func(s *Service, c *Call) string {
		c.Context.Set("iam:PolicyARN", c.Params.String("PolicyArn"))
		return h.resource(s, c)
	}
	register(
		&Operation{Name: "Put" + h.title + "Policy", Resource: h.resource, Handle: func(s *Service, c *Call) (any, error) {
			name, doc := c.Params.String("PolicyName"), c.Params.String("PolicyDocument")
			if err := checkDocument(doc, policy.Identity); err != nil {
				return nil, err
			}
			return nil, modifyHolder[T, PT](s, c, h, func(_ store.Tx, v PT) error {
				if err := protected(v); err != nil {
					return err
				}
				inline, _ := v.policies()
				replaced := false
				size := policySize(doc)
				for i := range *inline {
					if lower((*inline)[i].Name) == lower(name) {
						(*inline)[i] = InlinePolicy{Name: name, Document: doc}
						replaced = true
					} else {
						size += policySize((*inline)[i].Document)
					}
				}
				if limit := h.inlineQuota(&s.quotas); size > limit {
					return inlineSizeError(limit, h.noun, v.holderName())
				}
				if !replaced {
					*inline = append(*inline, InlinePolicy{Name: name, Document: doc})
				}
				return nil
			})
		}},
		&Operation{Name: "Get" + h.title + "Policy", Resource: h.resource, Handle: func(s *Service, c *Call) (any, error) {
			v, err := readHolder[T, PT](s, c, h)
			if err != nil {
				return nil, err
			}
			name := c.Params.String("PolicyName")
			inline, _ := v.policies()
			for _, ip := range *inline {
				if lower(ip.Name) == lower(name) {
					return map[string]any{h.param: v.holderName(), "PolicyName": ip.Name,
						"PolicyDocument": ip.Document}, nil
				}
			}
			return nil, awserr.New("NoSuchEntity", "The "+h.noun+" policy with name "+name+" cannot be found.")
		}},
		&Operation{Name: "Delete" + h.title + "Policy", Resource: h.resource, Handle: func(s *Service, c *Call) (any, error) {
			name := c.Params.String("PolicyName")
			return nil, modifyHolder[T, PT](s, c, h, func(_ store.Tx, v PT) error {
				if err := protected(v); err != nil {
					return err
				}
				inline, _ := v.policies()
				for i, ip := range *inline {
					if lower(ip.Name) == lower(name) {
						*inline = append((*inline)[:i], (*inline)[i+1:]...)
						return nil
					}
				}
				return awserr.New("NoSuchEntity", "The "+h.noun+" policy with name "+name+" cannot be found.")
			})
		}},
		&Operation{Name: "List" + h.title + "Policies", Resource: h.resource, Handle: func(s *Service, c *Call) (any, error) {
			v, err := readHolder[T, PT](s, c, h)
			if err != nil {
				return nil, err
			}
			inline, _ := v.policies()
			names := []string{}
			for _, ip := range *inline {
				names = append(names, ip.Name)
			}
			pg, trunc, marker, err := page(c.Params, names, func(n string) string { return n })
			if err != nil {
				return nil, err
			}
			return listResult("PolicyNames", pg, trunc, marker), nil
		}},
		&Operation{Name: "Attach" + h.title + "Policy", Resource: policyARNResource, Handle: func(s *Service, c *Call) (any, error) {
			arn := c.Params.String("PolicyArn")
			return nil, modifyHolder[T, PT](s, c, h, func(tx store.Tx, v PT) error {
				if err := protected(v); err != nil {
					return err
				}
				name, err := s.attachable(c, tx, arn)
				if err != nil {
					return err
				}
				_, attached := v.policies()
				for _, ap := range *attached {
					if ap.PolicyArn == arn {
						return nil
					}
				}
				if err := quota(len(*attached), h.attachQuota(&s.quotas), h.quotaName); err != nil {
					return err
				}
				*attached = append(*attached, AttachedPolicy{PolicyName: name, PolicyArn: arn})
				return s.countAttachment(c, tx, arn, +1)
			})
		}},
		&Operation{Name: "Detach" + h.title + "Policy", Resource: policyARNResource, Handle: func(s *Service, c *Call) (any, error) {
			arn := c.Params.String("PolicyArn")
			return nil, modifyHolder[T, PT](s, c, h, func(tx store.Tx, v PT) error {
				if err := protected(v); err != nil {
					return err
				}
				_, attached := v.policies()
				for i, ap := range *attached {
					if ap.PolicyArn == arn {
						*attached = append((*attached)[:i], (*attached)[i+1:]...)
						return s.countAttachment(c, tx, arn, -1)
					}
				}
				return awserr.New("NoSuchEntity", "Policy "+arn+" was not found.")
			})
		}},
		&Operation{Name: "ListAttached" + h.title + "Policies", Resource: h.resource, Handle: func(s *Service, c *Call) (any, error) {
			v, err := readHolder[T, PT](s, c, h)
			if err != nil {
				return nil, err
			}
			_, attached := v.policies()
			list := append([]AttachedPolicy{}, *attached...)
			if prefix := c.Params.String("PathPrefix"); prefix != "" {
				kept := list[:0]
				for _, ap := range list {
					if hasPolicyPath(ap.PolicyArn, prefix) {
						kept = append(kept, ap)
					}
				}
				list = kept
			}
			pg, trunc, marker, err := page(c.Params, list, func(a AttachedPolicy) string { return a.PolicyArn })
			if err != nil {
				return nil, err
			}
			return listResult("AttachedPolicies", pg, trunc, marker), nil
		}},
	)
}

var (
	userHolder = &holderKind{noun: "user", title: "User", kind: kindUser, param: "UserName",
		inlineQuota: func(q *Quotas) int { return q.UserInlinePolicySize },
		attachQuota: func(q *Quotas) int { return q.ManagedPoliciesPerUser }, quotaName: "PoliciesPerUser",
		resource: userResource}
	groupHolder = &holderKind{noun: "group", title: "Group", kind: kindGroup, param: "GroupName",
		inlineQuota: func(q *Quotas) int { return q.GroupInlinePolicySize },
		attachQuota: func(q *Quotas) int { return q.ManagedPoliciesPerGroup }, quotaName: "PoliciesPerGroup",
		resource: groupResource}
	roleHolder = &holderKind{noun: "role", title: "Role", kind: kindRole, param: "RoleName",
		inlineQuota: func(q *Quotas) int { return q.RoleInlinePolicySize },
		attachQuota: func(q *Quotas) int { return q.ManagedPoliciesPerRole }, quotaName: "PoliciesPerRole",
		resource: roleResource}
)

func init() {
	holderOperations[User](userHolder)
	holderOperations[Group](groupHolder)
	holderOperations[Role](roleHolder)
}

// protected refuses changes to service-linked roles, which only their
// service may change.
func protected(v any) error {
	if r, ok := v.(*Role); ok && r.ServiceLinked {
		return awserr.New("UnmodifiableEntity", "Cannot perform the operation on the protected role '"+r.RoleName+"' - this role is only modifiable by AWS")
	}
	return nil
}
