// Package authz decides whether a request is allowed, following AWS's policy
// evaluation logic across every policy type: resource control policies and
// service control policies per level of the organization, resource-based
// policies (with AWS's same-account and cross-account rules), identity
// policies, permissions boundaries and session policies. Each decision can
// come with an Explanation naming the statements that decided it, the policy
// type that stopped the request and the context keys the conditions needed.
//
// The package is pure: it knows nothing of HTTP or storage. Callers hand it
// compiled policy sets (policy.Set) and a Request.
package authz

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// PrincipalType is the kind of identity making a request.
type PrincipalType string

// The principal types, named as in `gatehouse eval` documents.
const (
	User          PrincipalType = "iam_user"
	AssumedRole   PrincipalType = "assumed_role_session"
	FederatedUser PrincipalType = "federated_user_session"
	Root          PrincipalType = "root"
	Service       PrincipalType = "service"
	Anonymous     PrincipalType = "anonymous"
	// IdentityProvider is a caller authenticated by an OIDC or SAML identity
	// provider, asking to assume a role (AssumeRoleWithWebIdentity,
	// AssumeRoleWithSAML); trust policies name it as {"Federated": ARN}.
	IdentityProvider PrincipalType = "identity_provider"
)

// Valid reports whether t is one of the known principal types.
func (t PrincipalType) Valid() bool {
	switch t {
	case User, AssumedRole, FederatedUser, Root, Service, Anonymous, IdentityProvider:
		return true
	}
	return false
}

// Principal is the identity a request is made as.
type Principal struct {
	Type        PrincipalType
	ARN         string // the caller's own ARN (a role session's is the sts assumed-role ARN)
	Account     string
	RoleARN     string // for role sessions: the role's ARN, with its path
	SessionName string // role session name, or the federated user's name
	Username    string // IAM users only; derived from the ARN when empty
	ID          string // unique id: AIDA… for users, the role's AROA… for role sessions
	Tags        map[string]string
	Service     string // for service principals, e.g. "cloudtrail.amazonaws.com"
	Provider    string // for identity-provider callers: the OIDC or SAML provider's ARN (or a name such as "accounts.google.com")
	// ServiceLinkedRole marks sessions of service-linked roles, which SCPs
	// and RCPs do not restrict.
	ServiceLinkedRole bool

	prepared *principalKeys
}

// principalKeys holds what AWS derives from the principal: the global
// condition keys, in lower case, and the identity used to match Principal
// elements.
type principalKeys struct {
	keys   map[string][]string
	caller policy.Caller
}

// Prepare computes the principal's derived condition keys once, so that
// evaluations do not allocate. A prepared Principal must not be modified.
// Evaluate prepares unprepared principals on every call.
func (p *Principal) Prepare() *Principal {
	p.prepared = p.derive()
	return p
}

func (p *Principal) keys() *principalKeys {
	if p.prepared != nil {
		return p.prepared
	}
	return p.derive()
}

// derive fills the principal-derived global condition keys as AWS does
// (IAM User Guide, reference_policies_variables#principaltable).
func (p *Principal) derive() *principalKeys {
	// Size the map exactly: up to 8 entries fit Go's small-map layout, which
	// costs one allocation instead of a table.
	n := derivedKeyCount(p.Type) + len(p.Tags)
	k := &principalKeys{keys: make(map[string][]string, n)}
	// One backing array holds every single-valued key's value.
	vals := make([]string, 0, n)
	set := func(key, v string) {
		if v != "" {
			vals = append(vals, v)
			k.keys[key] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
	c := &k.caller
	c.Account, c.ARN = p.Account, p.ARN
	isService := "false"
	switch p.Type {
	case User:
		name := p.Username
		if name == "" {
			name = lastPathPart(p.ARN)
		}
		set("aws:username", name)
		set("aws:userid", p.ID)
		set("aws:principalarn", p.ARN)
		set("aws:principaltype", "User")
	case AssumedRole:
		c.RoleARN = p.RoleARN
		if p.ID != "" && p.SessionName != "" {
			set("aws:userid", p.ID+":"+p.SessionName)
		}
		set("aws:principalarn", p.RoleARN)
		set("aws:principaltype", "AssumedRole")
	case FederatedUser:
		name := p.SessionName
		if name == "" {
			name = lastPathPart(p.ARN)
		}
		if name != "" {
			set("aws:userid", p.Account+":"+name)
		}
		set("aws:principalarn", p.ARN)
		set("aws:principaltype", "FederatedUser")
	case Root:
		if c.ARN == "" && p.Account != "" {
			c.ARN = "arn:aws:iam::" + p.Account + ":root"
		}
		set("aws:userid", p.Account)
		set("aws:principalarn", c.ARN)
		set("aws:principaltype", "Account")
	case Service:
		c.Service = p.Service
		isService = "true"
		set("aws:principalservicename", p.Service)
	case IdentityProvider:
		c.Federated = p.Provider
		set("aws:federatedprovider", p.Provider)
	case Anonymous:
		c.Anonymous = true
		set("aws:userid", "anonymous")
		set("aws:principalaccount", "anonymous")
		set("aws:principaltype", "Anonymous")
	}
	if p.Type != Anonymous && p.Type != Service && p.Type != IdentityProvider {
		set("aws:principalaccount", p.Account)
	}
	set("aws:principalisawsservice", isService)
	for tk, tv := range p.Tags {
		// A tag's value may be empty and still be present.
		vals = append(vals, tv)
		k.keys["aws:principaltag/"+strings.ToLower(tk)] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	return k
}

// derivedKeyCount is how many global keys derive sets for a principal type
// (at most; some may be absent).
func derivedKeyCount(t PrincipalType) int {
	switch t {
	case User:
		return 6
	case Service, IdentityProvider:
		return 2
	case Anonymous:
		return 4
	}
	return 5
}

// isAWSPrincipal reports whether the principal is an authenticated identity
// of some account (as opposed to an AWS service, an identity provider's user
// or an anonymous caller).
func (p *Principal) isAWSPrincipal() bool {
	return p.Type != Service && p.Type != Anonymous && p.Type != IdentityProvider
}

func lastPathPart(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return ""
}
