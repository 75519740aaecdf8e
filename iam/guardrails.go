package iam

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Guardrails adds an organization's policies — SCPs for the principal's
// account, RCPs for the resource's account, the organization keys — to an
// evaluation. The Organizations service provides it.
type Guardrails interface {
	Apply(pol *authz.Policies, principal *authz.Principal, resourceAccount string) *authz.Policies
}

type guardHolder struct{ g Guardrails }

// SetGuardrails installs the organization guardrails every authorization
// goes through.
func (s *Service) SetGuardrails(g Guardrails) { s.guard.Store(&guardHolder{g}) }

// Guard returns pol with the organization's guardrails for a request by
// principal on a resource of resourceAccount ("" for the principal's own).
func (s *Service) Guard(pol *authz.Policies, principal *authz.Principal, resourceAccount string) *authz.Policies {
	h := s.guard.Load()
	if h == nil || principal == nil {
		return pol
	}
	if resourceAccount == "" {
		resourceAccount = principal.Account
	}
	return h.g.Apply(pol, principal, resourceAccount)
}

// ProvisionRole creates a role with a trust policy and attached managed
// policies, as AWS does for roles it creates itself (for example
// OrganizationAccountAccessRole in a new member account).
func (s *Service) ProvisionRole(ctx context.Context, account, name, trust string, attach []string) error {
	now := s.now().UTC().Truncate(time.Second)
	r := &Role{Path: "/", RoleName: name, RoleId: newID(prefixRole), CreateDate: now,
		AssumeRolePolicyDocument: trust, MaxSessionDuration: 3600}
	r.Arn = s.arn(account, "role", "/", name)
	for _, arn := range attach {
		ap, ok := awsManagedPolicy(arn)
		if !ok {
			continue
		}
		r.Attached = append(r.Attached, AttachedPolicy{PolicyName: ap.Name, PolicyArn: arn})
	}
	return s.update(ctx, func(tx store.Tx) error {
		return exists(put(ctx, tx, kindRole, account, lower(name), "", r, true), "Role with name "+name+" already exists.")
	})
}
