package iam

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register(&Operation{Name: "GetAccountAuthorizationDetails", Resource: accountWide, Handle: getAuthorizationDetails})
}

// authDetail is one entry of GetAccountAuthorizationDetails: the list it
// belongs to and a key that orders entries across the four lists, so that
// one Marker pages through all of them.
type authDetail struct {
	list string
	key  string
	item map[string]any
}

// inlineOutput renders inline policies with their documents URL-encoded.
func inlineOutput(inline []InlinePolicy) []map[string]any {
	out := make([]map[string]any, 0, len(inline))
	for _, ip := range inline {
		out = append(out, map[string]any{"PolicyName": ip.Name, "PolicyDocument": ip.Document})
	}
	return out
}

func attachedOutput(attached []AttachedPolicy) []AttachedPolicy {
	return append([]AttachedPolicy{}, attached...)
}

// boundaryOutput renders a permissions boundary as the authorization
// details report it.
func boundaryOutput(out map[string]any, b *Boundary) {
	if b != nil {
		out["PermissionsBoundary"] = map[string]any{"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
			"PermissionsBoundaryArn": b.PermissionsBoundaryArn}
	}
}

// authDetails reads everything the filter asks for in one view.
func (s *Service) authDetails(c *Call, tx store.Tx, want func(string) bool) ([]authDetail, error) {
	var out []authDetail
	users, err := list[User](c.Ctx, tx, store.ListOptions{Kind: kindUser, Account: c.Account})
	if err != nil {
		return nil, err
	}
	groups, err := list[Group](c.Ctx, tx, store.ListOptions{Kind: kindGroup, Account: c.Account})
	if err != nil {
		return nil, err
	}
	roles, err := list[Role](c.Ctx, tx, store.ListOptions{Kind: kindRole, Account: c.Account})
	if err != nil {
		return nil, err
	}
	// AWS managed policies are reported when something in the account
	// uses them.
	used := map[string]bool{}
	use := func(attached []AttachedPolicy, b *Boundary) {
		for _, ap := range attached {
			used[ap.PolicyArn] = true
		}
		if b != nil {
			used[b.PermissionsBoundaryArn] = true
		}
	}
	for _, u := range users {
		use(u.Attached, u.PermissionsBoundary)
		if !want("User") {
			continue
		}
		item := map[string]any{"Path": u.Path, "UserName": u.UserName, "UserId": u.UserId, "Arn": u.Arn,
			"CreateDate": u.CreateDate, "UserPolicyList": inlineOutput(u.Inline), "GroupList": append([]string{}, u.Groups...),
			"AttachedManagedPolicies": attachedOutput(u.Attached), "Tags": append([]Tag{}, u.Tags...)}
		boundaryOutput(item, u.PermissionsBoundary)
		out = append(out, authDetail{"UserDetailList", "1" + lower(u.UserName), item})
	}
	for _, g := range groups {
		use(g.Attached, nil)
		if !want("Group") {
			continue
		}
		out = append(out, authDetail{"GroupDetailList", "2" + lower(g.GroupName), map[string]any{
			"Path": g.Path, "GroupName": g.GroupName, "GroupId": g.GroupId, "Arn": g.Arn, "CreateDate": g.CreateDate,
			"GroupPolicyList": inlineOutput(g.Inline), "AttachedManagedPolicies": attachedOutput(g.Attached)}})
	}
	var profiles []*InstanceProfile
	if want("Role") {
		if profiles, err = list[InstanceProfile](c.Ctx, tx, store.ListOptions{Kind: kindProfile, Account: c.Account}); err != nil {
			return nil, err
		}
	}
	for _, r := range roles {
		use(r.Attached, r.PermissionsBoundary)
		if !want("Role") {
			continue
		}
		item := roleOutput(r, true)
		item["RolePolicyList"] = inlineOutput(r.Inline)
		item["AttachedManagedPolicies"] = attachedOutput(r.Attached)
		item["Tags"] = append([]Tag{}, r.Tags...)
		boundaryOutput(item, r.PermissionsBoundary)
		ips := []map[string]any{}
		for _, p := range profiles {
			if hasName(p.Roles, r.RoleName) {
				ips = append(ips, s.profileOutput(c, tx, p))
			}
		}
		item["InstanceProfileList"] = ips
		out = append(out, authDetail{"RoleDetailList", "3" + lower(r.RoleName), item})
	}
	if want("LocalManagedPolicy") {
		policies, err := list[Policy](c.Ctx, tx, store.ListOptions{Kind: kindPolicy, Account: c.Account})
		if err != nil {
			return nil, err
		}
		for _, p := range policies {
			item := policyOutput(p)
			versions := make([]map[string]any, 0, len(p.Versions))
			for _, v := range p.Versions {
				versions = append(versions, versionOutput(v))
			}
			item["PolicyVersionList"] = versions
			out = append(out, authDetail{"Policies", "4" + p.Arn, item})
		}
	}
	if want("AWSManagedPolicy") {
		for _, ap := range awsManagedPolicies() {
			if !used[ap.ARN] {
				continue
			}
			item := s.awsPolicyOutput(c, ap)
			item["PolicyVersionList"] = []map[string]any{versionOutput(PolicyVersion{VersionId: ap.DefaultVersion,
				Document: ap.Document, IsDefaultVersion: true, CreateDate: ap.Updated})}
			out = append(out, authDetail{"Policies", "4" + ap.ARN, item})
		}
	}
	return out, nil
}

// getAuthorizationDetails reports the account's users, groups, roles and
// managed policies with everything attached to them, filtered by entity
// type and paginated across all four lists.
func getAuthorizationDetails(s *Service, c *Call) (any, error) {
	filter := c.Params.Strings("Filter")
	want := func(kind string) bool {
		if len(filter) == 0 {
			return true
		}
		for _, f := range filter {
			if f == kind {
				return true
			}
		}
		return false
	}
	var details []authDetail
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		details, err = s.authDetails(c, tx, want)
		return err
	})
	if err != nil {
		return nil, err
	}
	pg, trunc, marker, err := page(c.Params, details, func(d authDetail) string { return d.key })
	if err != nil {
		return nil, err
	}
	out := map[string]any{"IsTruncated": trunc}
	for _, l := range []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"} {
		out[l] = []map[string]any{}
	}
	for _, d := range pg {
		out[d.list] = append(out[d.list].([]map[string]any), d.item)
	}
	if trunc {
		out["Marker"] = marker
	}
	return out, nil
}

func init() {
	register(&Operation{Name: "ListPoliciesGrantingServiceAccess", Resource: accountWide, Handle: listPoliciesGrantingServiceAccess})
}

// grantedPolicy is a policy that applies to a principal, as
// ListPoliciesGrantingServiceAccess reports it.
type grantedPolicy struct {
	item     map[string]any
	document string
}

// grantsService reports whether an identity policy allows some action of a
// service namespace: an Allow statement whose Action matches an action of
// the service, or whose NotAction leaves some of the service's actions.
func grantsService(doc, namespace string) bool {
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		return false
	}
	// Action patterns are "*" or "service:action" (the policy grammar
	// refuses others); a NotAction entry excludes the whole service when it
	// is "*" or names all of the service's actions.
	for _, st := range p.Statements {
		if st.Effect != policy.Allow {
			continue
		}
		for _, a := range st.Action {
			if svc, _, ok := strings.Cut(a, ":"); a == "*" || ok && arn.Glob(svc, namespace, true) {
				return true
			}
		}
		if st.NotAction == nil {
			continue
		}
		excluded := false
		for _, a := range st.NotAction {
			svc, act, ok := strings.Cut(a, ":")
			if a == "*" || ok && arn.Glob(svc, namespace, true) && act == "*" {
				excluded = true
			}
		}
		if !excluded {
			return true
		}
	}
	return false
}

// defaultDocument returns the default version of a customer or AWS managed
// policy.
func (s *Service) defaultDocument(c *Call, tx store.Tx, policyARN string) (string, bool) {
	if ap, ok := awsManagedPolicy(policyARN); ok {
		return ap.Document, true
	}
	p, err := s.readPolicy(c, tx, policyARN)
	if err != nil {
		return "", false
	}
	for _, v := range p.Versions {
		if v.IsDefaultVersion {
			return v.Document, true
		}
	}
	return "", false
}

// principalPolicies lists the policies of a user (with its groups'), a
// group or a role named by ARN.
func (s *Service) principalPolicies(c *Call, tx store.Tx, principal string) ([]grantedPolicy, error) {
	a, err := arn.Parse(principal)
	missing := awserr.New("NoSuchEntity", "The entity "+principal+" cannot be found.")
	if err != nil || a.Service != "iam" || a.Account != c.Account {
		return nil, missing
	}
	typ, _, _ := strings.Cut(a.Resource, "/")
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	var out []grantedPolicy
	add := func(entityType, entity string, inline []InlinePolicy, attached []AttachedPolicy) {
		for _, ip := range inline {
			out = append(out, grantedPolicy{map[string]any{"PolicyName": ip.Name, "PolicyType": "INLINE",
				"EntityType": entityType, "EntityName": entity}, ip.Document})
		}
		for _, ap := range attached {
			if doc, ok := s.defaultDocument(c, tx, ap.PolicyArn); ok {
				out = append(out, grantedPolicy{map[string]any{"PolicyName": ap.PolicyName, "PolicyType": "MANAGED",
					"PolicyArn": ap.PolicyArn}, doc})
			}
		}
	}
	switch typ {
	case "user":
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(name), "")
		if err != nil || u.Arn != principal {
			return nil, missing
		}
		add("USER", u.UserName, u.Inline, u.Attached)
		for _, gn := range u.Groups {
			if g, _, err := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(gn), ""); err == nil {
				add("GROUP", g.GroupName, g.Inline, g.Attached)
			}
		}
	case "group":
		g, _, err := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(name), "")
		if err != nil || g.Arn != principal {
			return nil, missing
		}
		add("GROUP", g.GroupName, g.Inline, g.Attached)
	case "role":
		r, _, err := get[Role](c.Ctx, tx, kindRole, c.Account, lower(name), "")
		if err != nil || r.Arn != principal {
			return nil, missing
		}
		add("ROLE", r.RoleName, r.Inline, r.Attached)
	default:
		return nil, awserr.New("InvalidInput", "ARN "+principal+" is not a user, group or role.")
	}
	return out, nil
}

// listPoliciesGrantingServiceAccess reports, for each service namespace,
// the policies of a user, group or role that allow some action of it. The
// answer is never truncated: it has at most one entry per namespace asked
// for (200 at most).
func listPoliciesGrantingServiceAccess(s *Service, c *Call) (any, error) {
	var policies []grantedPolicy
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		policies, err = s.principalPolicies(c, tx, c.Params.String("Arn"))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, ns := range c.Params.Strings("ServiceNamespaces") {
		granting := []map[string]any{}
		for _, p := range policies {
			if grantsService(p.document, ns) {
				granting = append(granting, p.item)
			}
		}
		out = append(out, map[string]any{"ServiceNamespace": ns, "Policies": granting})
	}
	return map[string]any{"PoliciesGrantingServiceAccess": out, "IsTruncated": false}, nil
}
