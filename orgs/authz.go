package orgs

import (
	"context"
	"maps"
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/iam"
)

// Check is one authorization question an Organizations call must pass: its
// action allowed on Resource, evaluated with Context. A call passes when
// every check of its Authorization allows; the first that does not decides
// the AccessDeniedException.
type Check struct {
	Resource string // an organization resource's ARN, or "*"
	// Account owns Resource: the management account for an ARN, "" for "*"
	// (the caller's, as for any action without a resource).
	Account string
	// Context is the request's condition keys, with the resource's
	// aws:ResourceTag/… keys when it has tags.
	Context authz.Context
}

// idKind is the kind of entity an id names; a rule's parameter accepts a set
// of kinds.
type idKind uint8

const (
	kindAccount idKind = 1 << iota
	kindOU
	kindRoot
	kindPolicy

	kindParent   = kindRoot | kindOU
	kindTarget   = kindRoot | kindOU | kindAccount
	kindTaggable = kindRoot | kindOU | kindAccount | kindPolicy
)

// idParam is a request member naming a resource the action is authorized on.
type idParam struct {
	name  string
	kinds idKind
}

// authRule says how an operation is authorized, after the Service
// Authorization Reference's "Actions, resources, and condition keys for AWS
// Organizations": the resources named by request members (none: "*"), and
// the request's condition keys.
type authRule struct {
	resources []idParam
	// newPolicy: the action is authorized on the ARN of the policy it
	// creates (CreatePolicy's policy* resource).
	newPolicy bool
	// policyType names the member whose value is organizations:PolicyType;
	// actions on a policy take the key from the policy's type instead.
	policyType string
	// servicePrincipal: the ServicePrincipal member is
	// organizations:ServicePrincipal.
	servicePrincipal bool
	// requestTags: the Tags member gives aws:RequestTag/… and aws:TagKeys.
	requestTags bool
	// tagKeys: the TagKeys member gives aws:TagKeys (UntagResource).
	tagKeys bool
}

var (
	onAccount      = []idParam{{"AccountId", kindAccount}}
	onParent       = []idParam{{"ParentId", kindParent}}
	onOU           = []idParam{{"OrganizationalUnitId", kindOU}}
	onRoot         = []idParam{{"RootId", kindRoot}}
	onPolicy       = []idParam{{"PolicyId", kindPolicy}}
	onPolicyTarget = []idParam{{"PolicyId", kindPolicy}, {"TargetId", kindTarget}}
	onTaggable     = []idParam{{"ResourceId", kindTaggable}}
)

// authRules has a rule for every implemented operation (a test checks it).
// Create* actions: CreatePolicy is authorized on the new policy's ARN,
// CreateOrganizationalUnit on its parent root or OU, CreateAccount and
// CreateOrganization on "*", as the reference lists.
var authRules = map[string]authRule{
	"CreateOrganization":   {},
	"DescribeOrganization": {},
	"DeleteOrganization":   {},
	"ListRoots":            {},
	"LeaveOrganization":    {},

	"CreateAccount":                 {requestTags: true},
	"DescribeCreateAccountStatus":   {},
	"ListCreateAccountStatus":       {},
	"DescribeAccount":               {resources: onAccount},
	"ListAccounts":                  {},
	"ListAccountsForParent":         {resources: onParent},
	"RemoveAccountFromOrganization": {resources: onAccount},
	"CloseAccount":                  {resources: onAccount},
	"MoveAccount": {resources: []idParam{{"AccountId", kindAccount},
		{"SourceParentId", kindParent}, {"DestinationParentId", kindParent}}},

	"CreateOrganizationalUnit":         {resources: onParent, requestTags: true},
	"UpdateOrganizationalUnit":         {resources: onOU},
	"DeleteOrganizationalUnit":         {resources: onOU},
	"DescribeOrganizationalUnit":       {resources: onOU},
	"ListOrganizationalUnitsForParent": {resources: onParent},
	"ListChildren":                     {resources: onParent},
	"ListParents":                      {resources: []idParam{{"ChildId", kindAccount | kindOU}}},

	"EnablePolicyType":      {resources: onRoot, policyType: "PolicyType"},
	"DisablePolicyType":     {resources: onRoot, policyType: "PolicyType"},
	"CreatePolicy":          {newPolicy: true, policyType: "Type", requestTags: true},
	"UpdatePolicy":          {resources: onPolicy},
	"DeletePolicy":          {resources: onPolicy},
	"DescribePolicy":        {resources: onPolicy},
	"ListPolicies":          {policyType: "Filter"},
	"AttachPolicy":          {resources: onPolicyTarget},
	"DetachPolicy":          {resources: onPolicyTarget},
	"ListPoliciesForTarget": {resources: []idParam{{"TargetId", kindTarget}}, policyType: "Filter"},
	"ListTargetsForPolicy":  {resources: onPolicy},

	"TagResource":         {resources: onTaggable, requestTags: true},
	"UntagResource":       {resources: onTaggable, tagKeys: true},
	"ListTagsForResource": {resources: onTaggable},

	"EnableAWSServiceAccess":              {servicePrincipal: true},
	"DisableAWSServiceAccess":             {servicePrincipal: true},
	"ListAWSServiceAccessForOrganization": {},
	"ListDelegatedAdministrators":         {servicePrincipal: true},
}

// newPolicyIDKey carries, in a call's context, the id CreatePolicy gives the
// policy it creates: the one its authorization checked.
type newPolicyIDKey struct{}

// Authorization returns the checks the operation op must pass, in order,
// and adds the request's condition keys (organizations:PolicyType,
// organizations:ServicePrincipal, aws:RequestTag/…, aws:TagKeys) to
// c.Context. For CreatePolicy it also replaces c.Ctx with one carrying the
// new policy's id, so that the policy gets the ARN it was authorized on.
//
// Resources are resolved in the caller's organization when the caller is
// its management account; an id naming no existing entity still gets its
// ARN when the id says its kind (an account, OU or root id), and "*" when it
// does not (an unknown policy, whose type is part of its ARN, or an id of
// the wrong kind), so that the operation answers with the error it gives
// for the unknown entity. Other callers, whom the operations refuse, and
// operations without resource types are checked on "*".
func (s *Service) Authorization(op string, c *iam.Call) []Check {
	rule := authRules[op]
	if rule.requestTags {
		var keys []string
		for _, t := range c.Params.Structs("Tags") {
			k := t.String("Key")
			c.Context.Set("aws:RequestTag/"+k, t.String("Value"))
			keys = append(keys, k)
		}
		if keys != nil {
			c.Context.Set("aws:TagKeys", keys...)
		}
	}
	if rule.tagKeys {
		if keys := c.Params.Strings("TagKeys"); len(keys) > 0 {
			c.Context.Set("aws:TagKeys", keys...)
		}
	}
	if rule.policyType != "" {
		if t := c.Params.String(rule.policyType); t != "" {
			c.Context.Set("organizations:PolicyType", t)
		}
	}
	if rule.servicePrincipal {
		if p := c.Params.String("ServicePrincipal"); p != "" {
			c.Context.Set("organizations:ServicePrincipal", p)
		}
	}
	anything := []Check{{Resource: "*", Context: c.Context}}
	if len(rule.resources) == 0 && !rule.newPolicy {
		return anything
	}
	ov := s.view.Load().byAccount[c.Account]
	if ov == nil || ov.st.ManagementAccount != c.Account {
		return anything
	}
	st := ov.st
	if rule.newPolicy {
		typ := c.Params.String("Type")
		if typ == "" {
			return anything
		}
		id := "p-" + randomID(8, lowerAlnum)
		c.Ctx = context.WithValue(c.Ctx, newPolicyIDKey{}, id)
		p := &orgPolicy{ID: id, Type: typ}
		return []Check{{Resource: s.policyARN(st, p), Account: st.ManagementAccount, Context: c.Context}}
	}
	checks := make([]Check, 0, len(rule.resources))
	tags := make([][]Tag, 0, len(rule.resources)) // each check's resource's
	for _, param := range rule.resources {
		id := c.Params.String(param.name)
		resource, kind, t := s.resolve(st, id, param.kinds)
		if resource == "" {
			checks, tags = append(checks, Check{Resource: "*", Context: c.Context}), append(tags, nil)
			continue
		}
		if kind == kindPolicy {
			p, _ := st.policy(id)
			c.Context.Set("organizations:PolicyType", p.Type)
		}
		checks = append(checks, Check{Resource: resource, Account: st.ManagementAccount, Context: c.Context})
		tags = append(tags, t)
	}
	// The resource keys go on copies made once every request key is set.
	for i, t := range tags {
		if len(t) == 0 {
			continue
		}
		ctx := maps.Clone(c.Context)
		for _, tag := range t {
			ctx.Set("aws:ResourceTag/"+tag.Key, tag.Value)
		}
		checks[i].Context = ctx
	}
	return checks
}

// resolve finds the entity id names, among the kinds accepted: its ARN, its
// kind and its tags. The ARN is "" when id is not of an accepted kind, or
// names a policy that does not exist.
func (s *Service) resolve(st *state, id string, kinds idKind) (string, idKind, []Tag) {
	switch {
	case kinds&kindRoot != 0 && strings.HasPrefix(id, "r-"):
		return "arn:" + s.partition + ":organizations::" + st.ManagementAccount + ":root/" + st.ID + "/" + id,
			kindRoot, st.Tags[id]
	case kinds&kindOU != 0 && strings.HasPrefix(id, "ou-"):
		return s.ouARN(st, id), kindOU, st.Tags[id]
	case kinds&kindPolicy != 0 && strings.HasPrefix(id, "p-"):
		p, ok := st.policy(id)
		if !ok {
			return "", 0, nil
		}
		return s.policyARN(st, p), kindPolicy, st.Tags[id]
	case kinds&kindAccount != 0 && arn.IsAccountID(id):
		return s.accountARN(st, id), kindAccount, st.Tags[id]
	}
	return "", 0, nil
}

// newPolicyID returns the id authorization chose for the policy a
// CreatePolicy call creates, or a fresh one.
func newPolicyID(c *iam.Call) string {
	if id, ok := c.Ctx.Value(newPolicyIDKey{}).(string); ok {
		return id
	}
	return "p-" + randomID(8, lowerAlnum)
}
