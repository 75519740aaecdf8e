package authz

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// Request is one authorization question: may Principal perform Action on
// Resource, given the request's condition context?
type Request struct {
	Principal *Principal
	Action    string // "service:Name"; case-insensitive
	Resource  string // the resource ARN, or "*" for actions without a resource
	// ResourceAccount owns the resource. When empty it is the ARN's account,
	// or else the principal's account.
	ResourceAccount string
	Context         Context
}

// Context holds the request's condition context keys (aws:SourceIp,
// aws:CurrentTime, s3:prefix, …) under lower-case names, each with one or more
// values. Principal-derived keys are filled in by the engine and override
// whatever the context says.
type Context map[string][]string

// Set stores a key's values under its lower-case name.
func (c Context) Set(key string, values ...string) {
	c[strings.ToLower(key)] = values
}

// resourceAccount resolves which account owns the resource.
func (r *Request) resourceAccount() string {
	if r.ResourceAccount != "" {
		return r.ResourceAccount
	}
	if a := arn.AccountOf(r.Resource); a != "" {
		return a
	}
	if r.Principal != nil {
		return r.Principal.Account
	}
	return ""
}

// Membership is an account's place in an organization, from which the
// aws:PrincipalOrgID / aws:PrincipalOrgPaths (or aws:ResourceOrgID /
// aws:ResourceOrgPaths) condition keys are filled.
type Membership struct {
	id    []string
	paths []string
}

// NewMembership describes membership of the organization orgID, with the
// account's organization paths ("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/").
func NewMembership(orgID string, paths ...string) *Membership {
	return &Membership{id: []string{orgID}, paths: paths}
}

// ID is the organization's id.
func (m *Membership) ID() string { return m.id[0] }

// Paths are the account's organization paths.
func (m *Membership) Paths() []string { return m.paths }

// env is the condition context one evaluation sees: the principal-derived
// keys, the organization and resource keys, then the request's own context.
type env struct {
	pk       *principalKeys
	aws      bool // the principal is an account's identity
	pol      *Policies
	ctx      Context
	resAcct  [1]string
	resOwned bool
}

var _ policy.Lookup = (*env)(nil)

// Lookup implements policy.Lookup.
func (e *env) Lookup(k string) ([]string, bool) {
	if isDerivedKey(k) {
		if v, ok := e.pk.lookup(k); ok {
			return v, true
		}
	}
	switch k {
	case "aws:resourceaccount":
		if e.resAcct[0] != "" {
			return e.resAcct[:], true
		}
	case "aws:principalorgid":
		if e.aws && e.pol.PrincipalOrg != nil {
			return e.pol.PrincipalOrg.id, true
		}
	case "aws:principalorgpaths":
		if e.aws && e.pol.PrincipalOrg != nil && len(e.pol.PrincipalOrg.paths) > 0 {
			return e.pol.PrincipalOrg.paths, true
		}
	case "aws:resourceorgid":
		if e.resOwned && e.pol.ResourceOrg != nil {
			return e.pol.ResourceOrg.id, true
		}
	case "aws:resourceorgpaths":
		if e.resOwned && e.pol.ResourceOrg != nil && len(e.pol.ResourceOrg.paths) > 0 {
			return e.pol.ResourceOrg.paths, true
		}
	}
	v, ok := e.ctx[k]
	return v, ok
}
