package authz

import (
	"strings"
	"sync"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// Decision is the outcome of an evaluation.
type Decision uint8

const (
	// ImplicitDeny: nothing allowed the request (or a guardrail did not).
	ImplicitDeny Decision = iota
	// Allow: the request is allowed.
	Allow
	// ExplicitDeny: a Deny statement applied.
	ExplicitDeny
)

var decisionNames = [...]string{"implicit_deny", "allow", "explicit_deny"}

// String returns "allow", "explicit_deny" or "implicit_deny".
func (d Decision) String() string { return decisionNames[d] }

// Policies are every policy that takes part in one evaluation. A nil set
// means the principal or resource has no policy of that type; in particular a
// nil Boundary means no permissions boundary and a nil Session means no
// session policy.
type Policies struct {
	Identity *policy.Set // the user's (with its groups') or the role's policies
	Boundary *policy.Set // the permissions boundary
	Session  *policy.Set // session policies passed when the session was created
	Resource *policy.Set // the resource-based policy (bucket policy, trust policy, key policy, …)
	SCPs     *OrgPolicies
	RCPs     *OrgPolicies
	// ManagementAccount is the organization's management account, which
	// neither SCPs nor RCPs restrict.
	ManagementAccount string
	// PrincipalOrg and ResourceOrg place the principal's and the resource's
	// accounts in an organization (nil: not in one).
	PrincipalOrg *Membership
	ResourceOrg  *Membership
}

// OrgPolicies are the SCPs or RCPs on an account's path through the
// organization, root first. They bind TargetAccount: SCPs its principals,
// RCPs its resources.
type OrgPolicies struct {
	TargetAccount string
	Levels        []Level
}

// Level is one node of the organization path (the root, an OU or the account)
// with the policies attached there. Every level must allow.
type Level struct {
	ID       string
	Policies *policy.Set
}

// rcpServices are the services whose resources RCPs restrict
// (AWS Organizations User Guide, orgs_manage_policies_rcps).
var rcpServices = [...]string{"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-identity", "logs", "dynamodb"}

// trustActions are the actions for which a role's trust policy must itself
// allow the caller (IAM User Guide, reference_policies_evaluation-logic).
var trustActions = [...]string{
	"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
	"sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext",
}

// evaluation is the per-call scratch state, pooled so that evaluations do not
// allocate.
type evaluation struct {
	env    env
	caller policy.Caller
	req    policy.Request
	ex     *Explanation
}

var evaluations = sync.Pool{New: func() any { return new(evaluation) }}

// Evaluate decides the request. With a non-nil explanation it also records
// why; with nil it stops as early as the decision allows and does not
// allocate (given a prepared Principal).
func Evaluate(pol *Policies, r *Request, ex *Explanation) Decision {
	if pol == nil {
		pol = &Policies{}
	}
	p := r.Principal
	if p == nil {
		p = &anonymous
	}
	e := evaluations.Get().(*evaluation)
	defer evaluations.Put(e)
	resAcct := r.resourceAccount()
	e.env = env{pk: p.keys(), aws: p.isAWSPrincipal(), pol: pol, ctx: r.Context, resAcct: [1]string{resAcct}}
	e.env.resOwned = resAcct != ""
	e.caller = e.env.pk.caller
	e.caller.HasBoundary = pol.Boundary != nil
	e.req = policy.Request{Action: r.Action, Resource: r.Resource, Caller: &e.caller, Env: &e.env}
	if e.req.Resource == "" {
		e.req.Resource = "*"
	}
	e.ex = ex
	if ex != nil {
		ex.reset()
	}
	d := e.decide(pol, p, resAcct)
	if ex != nil {
		ex.finish(d, r)
	}
	e.ex, e.env, e.req = nil, env{}, policy.Request{}
	return d
}

var anonymous = Principal{Type: Anonymous}

// decide walks AWS's evaluation order. Explicit denies are looked for in every
// applicable policy before any implicit deny is reported.
func (e *evaluation) decide(pol *Policies, p *Principal, resAcct string) Decision {
	explain := e.ex != nil
	denied := false
	var rcpGap, scpGap *Level

	if e.rcpsApply(pol, p, resAcct) {
		var d bool
		if rcpGap, d = e.levels(pol.RCPs, RCP); d {
			if !explain {
				return ExplicitDeny
			}
			denied = true
		}
	}
	if e.scpsApply(pol, p) {
		var d bool
		if scpGap, d = e.levels(pol.SCPs, SCP); d {
			if !explain {
				return ExplicitDeny
			}
			denied = true
		}
	}
	var results [numTypes]policy.Result
	for _, t := range [...]PolicyType{Resource, Identity, Boundary, Session} {
		res := e.eval(pol.set(t), t, "")
		if res.Denied {
			if !explain {
				return ExplicitDeny
			}
			denied = true
		}
		results[t] = res
	}
	if denied {
		return ExplicitDeny
	}
	if rcpGap != nil {
		return e.implicit(RCP, rcpGap.ID)
	}
	if scpGap != nil {
		return e.implicit(SCP, scpGap.ID)
	}

	resource := results[Resource]
	if !p.isAWSPrincipal() {
		// Anonymous callers and AWS services have only what the resource
		// policy grants.
		if resource.Allowed {
			return e.allow(Resource)
		}
		return e.implicit(Resource, "")
	}
	idAllowed := results[Identity].Allowed || p.Type == Root
	boundaryOK := pol.Boundary == nil || results[Boundary].Allowed
	var sessionOK bool
	switch p.Type {
	case AssumedRole:
		sessionOK = pol.Session == nil || results[Session].Allowed
	case FederatedUser:
		// A federated user's session without a session policy has no
		// permissions of its own.
		sessionOK = pol.Session != nil && results[Session].Allowed
	default:
		sessionOK = true
	}
	identityPath := func() Decision {
		switch {
		case !idAllowed:
			return e.implicit(Identity, "")
		case !boundaryOK:
			return e.implicit(Boundary, "")
		case !sessionOK:
			return e.implicit(Session, "")
		}
		return e.allow(Identity)
	}

	if p.Account != resAcct {
		// Cross-account: the resource's account must grant access and the
		// caller's account must allow it to be used.
		if !resource.Allowed {
			return e.implicit(Resource, "")
		}
		return identityPath()
	}
	if resource.Allowed {
		switch resource.AllowMatch {
		case policy.MatchedAll, policy.MatchedExact:
			return e.allow(Resource)
		case policy.MatchedRole:
			// Naming the role, not the session: the session's boundary
			// and session policies still limit what it may do.
			switch {
			case !boundaryOK:
				return e.implicit(Boundary, "")
			case !sessionOK:
				return e.implicit(Session, "")
			}
			return e.allow(Resource)
		}
		// Naming the account only delegates to its identity policies.
		return identityPath()
	}
	if isTrustAction(e.req.Action, e.req.Resource) {
		return e.implicit(Resource, "")
	}
	return identityPath()
}

// levels evaluates an SCP or RCP chain. It returns the first level with no
// Allow (nil if every level allows) and whether a Deny applied; without an
// explanation it stops at the first Deny.
func (e *evaluation) levels(chain *OrgPolicies, t PolicyType) (gap *Level, denied bool) {
	for i := range chain.Levels {
		lv := &chain.Levels[i]
		res := e.eval(lv.Policies, t, lv.ID)
		switch {
		case res.Denied:
			denied = true
			if e.ex == nil {
				return gap, true
			}
		case !res.Allowed && gap == nil:
			gap = lv
		}
	}
	return gap, denied
}

// eval evaluates one set, recording which policy type its matches belong to.
func (e *evaluation) eval(s *policy.Set, t PolicyType, level string) policy.Result {
	if s == nil {
		return policy.Result{}
	}
	if e.ex == nil {
		return s.Evaluate(&e.req, nil)
	}
	n := len(e.ex.trace.Matched)
	res := s.Evaluate(&e.req, &e.ex.trace)
	e.ex.label(n, t, level)
	return res
}

func (e *evaluation) implicit(t PolicyType, level string) Decision {
	if e.ex != nil {
		e.ex.DecidedBy, e.ex.Level = t, level
	}
	return ImplicitDeny
}

func (e *evaluation) allow(t PolicyType) Decision {
	if e.ex != nil {
		e.ex.DecidedBy = t
	}
	return Allow
}

// scpsApply: SCPs bind the principals of the target member account, except
// the management account and service-linked roles.
func (e *evaluation) scpsApply(pol *Policies, p *Principal) bool {
	return pol.SCPs != nil && p.isAWSPrincipal() && !p.ServiceLinkedRole &&
		p.Account == pol.SCPs.TargetAccount && p.Account != pol.ManagementAccount
}

// rcpsApply: RCPs bind the resources of the target member account, for the
// services AWS lists, whoever calls, except service-linked roles.
func (e *evaluation) rcpsApply(pol *Policies, p *Principal, resAcct string) bool {
	if pol.RCPs == nil || p.ServiceLinkedRole || resAcct != pol.RCPs.TargetAccount || resAcct == pol.ManagementAccount {
		return false
	}
	svc, _, _ := strings.Cut(e.req.Action, ":")
	for _, s := range rcpServices {
		if strings.EqualFold(svc, s) {
			return true
		}
	}
	return false
}

// isTrustAction reports whether the resource policy must allow the action
// itself: role trust policies for the sts:AssumeRole family and KMS key
// policies.
func isTrustAction(action, resource string) bool {
	if len(action) > 4 && strings.EqualFold(action[:4], "kms:") {
		return strings.Contains(resource, ":key/")
	}
	if len(action) < 4 || !strings.EqualFold(action[:4], "sts:") || !strings.Contains(resource, ":role/") {
		return false
	}
	for _, a := range trustActions {
		if strings.EqualFold(action, a) {
			return true
		}
	}
	return false
}
