package iam

import (
	"fmt"
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/protocol"
)

func init() {
	register(
		&Operation{Name: "SimulatePrincipalPolicy", Resource: policySourceResource, Handle: simulatePrincipalPolicy},
		&Operation{Name: "SimulateCustomPolicy", Resource: anyResource, Handle: simulateCustomPolicy},
		&Operation{Name: "GetContextKeysForPrincipalPolicy", Resource: policySourceResource, Handle: contextKeysForPrincipal},
		&Operation{Name: "GetContextKeysForCustomPolicy", Resource: anyResource, Handle: contextKeysForCustom},
	)
}

func policySourceResource(_ *Service, c *Call) string { return c.Params.String("PolicySourceArn") }

// simPolicy is a policy taking part in a simulation, with the id and type
// the simulator reports for its statements.
type simPolicy struct {
	id, typ, doc string
	kind         policy.Kind
}

// simSubject is what a simulation evaluates for: the principal and its
// policies.
type simSubject struct {
	principal *authz.Principal
	identity  []simPolicy
	boundary  []simPolicy
}

// managedSource describes an attached managed policy.
func (sn *Snapshot) managedSource(ap AttachedPolicy) (simPolicy, bool) {
	doc, ok := sn.ManagedPolicyDocument(ap.PolicyArn)
	typ := "user-managed"
	if strings.Contains(ap.PolicyArn, ":iam::aws:policy/") {
		typ = "aws-managed"
	}
	return simPolicy{id: ap.PolicyName, typ: typ, doc: doc, kind: policy.Identity}, ok
}

func (sn *Snapshot) holderSources(typ string, inline []InlinePolicy, attached []AttachedPolicy) []simPolicy {
	var out []simPolicy
	for _, ip := range inline {
		out = append(out, simPolicy{id: ip.Name, typ: typ, doc: ip.Document, kind: policy.Identity})
	}
	for _, ap := range attached {
		if sp, ok := sn.managedSource(ap); ok {
			out = append(out, sp)
		}
	}
	return out
}

// subject resolves PolicySourceArn: a user (with its groups), a group or a
// role of the caller's account.
func (s *Service) subject(c *Call, source string) (*simSubject, error) {
	a, err := arn.Parse(source)
	missing := awserr.New("NoSuchEntity", "The user, group or role with ARN "+source+" cannot be found.")
	if err != nil || a.Service != "iam" || a.Account != c.Account {
		return nil, missing
	}
	typ, _, _ := strings.Cut(a.Resource, "/")
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	sn := s.snap
	sub := &simSubject{}
	boundaryOf := func(b *Boundary) {
		if b == nil {
			return
		}
		if sp, ok := sn.managedSource(AttachedPolicy{PolicyName: b.PermissionsBoundaryArn[strings.LastIndexByte(b.PermissionsBoundaryArn, '/')+1:], PolicyArn: b.PermissionsBoundaryArn}); ok {
			sub.boundary = append(sub.boundary, sp)
		}
	}
	switch typ {
	case "user":
		u, ok := sn.User(c.Account, name)
		if !ok || u.Arn != source {
			return nil, missing
		}
		sub.principal = userPrincipal(c.Account, u)
		sub.identity = sn.holderSources("user", u.Inline, u.Attached)
		for _, g := range u.Groups {
			if grp, ok := sn.Group(c.Account, g); ok {
				sub.identity = append(sub.identity, sn.holderSources("group", grp.Inline, grp.Attached)...)
			}
		}
		boundaryOf(u.PermissionsBoundary)
	case "group":
		g, ok := sn.Group(c.Account, name)
		if !ok || g.Arn != source {
			return nil, missing
		}
		sub.principal = (&authz.Principal{Type: authz.User, ARN: g.Arn, Account: c.Account, ID: g.GroupId}).Prepare()
		sub.identity = sn.holderSources("group", g.Inline, g.Attached)
	case "role":
		r, ok := sn.Role(c.Account, name)
		if !ok || r.Arn != source {
			return nil, missing
		}
		tags := map[string]string{}
		for _, t := range r.Tags {
			tags[t.Key] = t.Value
		}
		sub.principal = (&authz.Principal{Type: authz.AssumedRole, Account: c.Account, RoleARN: r.Arn, ID: r.RoleId,
			ARN:         "arn:" + s.partition + ":sts::" + c.Account + ":assumed-role/" + r.RoleName + "/SimulatedSession",
			SessionName: "SimulatedSession", Tags: tags, ServiceLinkedRole: r.ServiceLinked}).Prepare()
		sub.identity = sn.holderSources("role", r.Inline, r.Attached)
		boundaryOf(r.PermissionsBoundary)
	default:
		return nil, missing
	}
	return sub, nil
}

// inputPolicies reads PolicyInputList-style parameters.
func inputPolicies(p protocol.Params, name string) []simPolicy {
	var out []simPolicy
	for i, doc := range p.Strings(name) {
		out = append(out, simPolicy{id: fmt.Sprintf("%s.%d", name, i+1), typ: "none", doc: doc, kind: policy.Identity})
	}
	return out
}

// compileSim compiles simulation policies; a document that does not parse
// is the caller's error.
func compileSim(list []simPolicy, types map[string]string) (*policy.Set, error) {
	var out []*policy.Compiled
	for _, sp := range list {
		c, err := policy.ParseAndCompile(sp.id, sp.doc, sp.kind)
		if err != nil {
			msg := "Syntax errors in policy."
			if pe, ok := err.(*policy.Error); ok {
				msg = pe.Message
			}
			return nil, awserr.New("InvalidInput", sp.id+": "+msg)
		}
		out = append(out, c)
		if _, seen := types[sp.id]; !seen {
			types[sp.id] = sp.typ
		}
	}
	return policy.NewSet(out...), nil
}

// contextEntries turns ContextEntries into condition context keys.
func contextEntries(p protocol.Params) authz.Context {
	ctx := authz.Context{}
	for _, e := range p.Structs("ContextEntries") {
		ctx.Set(e.String("ContextKeyName"), e.Strings("ContextKeyValues")...)
	}
	return ctx
}

func decisionName(d authz.Decision) string {
	switch d {
	case authz.Allow:
		return "allowed"
	case authz.ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// simulate evaluates every action on every resource for a subject.
func (s *Service) simulate(c *Call, sub *simSubject) (any, error) {
	types := map[string]string{}
	identity, err := compileSim(append(sub.identity, inputPolicies(c.Params, "PolicyInputList")...), types)
	if err != nil {
		return nil, err
	}
	pol := &authz.Policies{Identity: identity}
	if bs := append(sub.boundary, inputPolicies(c.Params, "PermissionsBoundaryPolicyInputList")...); len(bs) > 0 {
		if pol.Boundary, err = compileSim(bs, types); err != nil {
			return nil, err
		}
	}
	resourcePolicy := c.Params.String("ResourcePolicy")
	if resourcePolicy != "" {
		if pol.Resource, err = compileSim([]simPolicy{{id: "ResourcePolicy", typ: "resource", doc: resourcePolicy, kind: policy.Resource}}, types); err != nil {
			return nil, err
		}
	}
	principal := sub.principal
	if callerARN := c.Params.String("CallerArn"); callerARN != "" {
		if u, ok := s.snap.userByARN(c.Account, callerARN); ok {
			principal = u
		} else {
			return nil, awserr.New("NoSuchEntity", "The user with ARN "+callerARN+" cannot be found.")
		}
	}
	owner := c.Params.String("ResourceOwner")
	if owner != "" {
		if a, err := arn.Parse(owner); err == nil {
			owner = a.Account
		}
	}
	ctx := contextEntries(c.Params)
	resources := c.Params.Strings("ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var results []map[string]any
	for _, action := range c.Params.Strings("ActionNames") {
		for _, res := range resources {
			req := &authz.Request{Principal: principal, Action: action, Resource: res, ResourceAccount: owner, Context: ctx}
			guarded := s.Guard(pol, principal, owner)
			var ex authz.Explanation
			dec := authz.Evaluate(guarded, req, &ex)
			results = append(results, simResult(ex, dec, req, guarded, types, resourcePolicy != ""))
		}
	}
	if results == nil {
		results = []map[string]any{}
	}
	idx := make([]int, len(results))
	for i := range idx {
		idx[i] = i
	}
	pg, trunc, marker, err := page(c.Params, idx, func(i int) string { return fmt.Sprintf("%08d", i) })
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(pg))
	for i, j := range pg {
		out[i] = results[j]
	}
	return listResult("EvaluationResults", out, trunc, marker), nil
}

// simResult renders one evaluation as an EvaluationResult.
func simResult(ex authz.Explanation, dec authz.Decision, req *authz.Request, pol *authz.Policies, types map[string]string, withResourcePolicy bool) map[string]any {
	matched := []map[string]any{}
	for _, st := range ex.Statements {
		if st.PolicyType == authz.SCP || st.PolicyType == authz.RCP {
			continue
		}
		// The simulator reports the statements that decided: denies for a
		// deny, allows otherwise.
		if dec == authz.ExplicitDeny && st.Effect != policy.Deny || dec != authz.ExplicitDeny && st.Effect == policy.Deny {
			continue
		}
		matched = append(matched, map[string]any{
			"SourcePolicyId": st.PolicyID, "SourcePolicyType": types[st.PolicyID],
			"StartPosition": map[string]any{"Line": int64(st.Start.Line), "Column": int64(st.Start.Column)},
			"EndPosition":   map[string]any{"Line": int64(st.End.Line), "Column": int64(st.End.Column)},
		})
	}
	missing := ex.MissingKeys
	if missing == nil {
		missing = []string{}
	}
	out := map[string]any{
		"EvalActionName": req.Action, "EvalResourceName": req.Resource, "EvalDecision": decisionName(dec),
		"MatchedStatements": matched, "MissingContextValues": missing,
	}
	if pol.SCPs != nil {
		out["OrganizationsDecisionDetail"] = map[string]any{"AllowedByOrganizations": !(dec != authz.Allow && ex.DecidedBy == authz.SCP)}
	}
	if pol.Boundary != nil {
		out["PermissionsBoundaryDecisionDetail"] = map[string]any{"AllowedByPermissionsBoundary": !(dec != authz.Allow && ex.DecidedBy == authz.Boundary)}
	}
	if withResourcePolicy {
		details := map[string]string{"IAM Policy": "allowed", "Resource Policy": "allowed"}
		if dec != authz.Allow {
			switch ex.DecidedBy {
			case authz.Resource:
				details["Resource Policy"] = decisionName(dec)
			default:
				details["IAM Policy"] = decisionName(dec)
			}
		}
		out["EvalDecisionDetails"] = details
	}
	specific := map[string]any{"EvalResourceName": req.Resource, "EvalResourceDecision": decisionName(dec),
		"MatchedStatements": matched, "MissingContextValues": missing}
	if d, ok := out["PermissionsBoundaryDecisionDetail"]; ok {
		specific["PermissionsBoundaryDecisionDetail"] = d
	}
	out["ResourceSpecificResults"] = []map[string]any{specific}
	return out
}

func simulatePrincipalPolicy(s *Service, c *Call) (any, error) {
	sub, err := s.subject(c, c.Params.String("PolicySourceArn"))
	if err != nil {
		return nil, err
	}
	return s.simulate(c, sub)
}

func simulateCustomPolicy(s *Service, c *Call) (any, error) {
	sub := &simSubject{principal: c.Caller}
	if callerARN := c.Params.String("CallerArn"); callerARN == "" && c.Caller == nil {
		return nil, awserr.New("InvalidInput", "CallerArn is required.")
	}
	return s.simulate(c, sub)
}

// conditionKeys lists the condition keys the documents use, each once, as
// first written.
func conditionKeys(docs []simPolicy) ([]string, error) {
	seen := map[string]bool{}
	keys := []string{}
	for _, sp := range docs {
		p, err := policy.Parse(sp.doc, sp.kind)
		if err != nil {
			return nil, awserr.New("InvalidInput", sp.id+": "+err.Error())
		}
		for _, st := range p.Statements {
			for _, cond := range st.Conditions {
				if !seen[strings.ToLower(cond.Key)] {
					seen[strings.ToLower(cond.Key)] = true
					keys = append(keys, cond.Key)
				}
			}
		}
	}
	return keys, nil
}

func contextKeysForPrincipal(s *Service, c *Call) (any, error) {
	sub, err := s.subject(c, c.Params.String("PolicySourceArn"))
	if err != nil {
		return nil, err
	}
	keys, err := conditionKeys(append(append(sub.identity, sub.boundary...), inputPolicies(c.Params, "PolicyInputList")...))
	if err != nil {
		return nil, err
	}
	return map[string]any{"ContextKeyNames": keys}, nil
}

func contextKeysForCustom(s *Service, c *Call) (any, error) {
	keys, err := conditionKeys(inputPolicies(c.Params, "PolicyInputList"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"ContextKeyNames": keys}, nil
}
