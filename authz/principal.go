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
	"sync/atomic"
	"unicode/utf8"

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
	// SessionTags are a role session's session tags. They override Tags
	// (the role's) with the same key, so that callers need not merge the
	// two; nil for other principals.
	SessionTags map[string]string
	Service     string // for service principals, e.g. "cloudtrail.amazonaws.com"
	Provider    string // for identity-provider callers: the OIDC or SAML provider's ARN (or a name such as "accounts.google.com")
	// ServiceLinkedRole marks sessions of service-linked roles, which SCPs
	// and RCPs do not restrict.
	ServiceLinkedRole bool

	// prepared holds what Prepare computes, in the principal's own
	// allocation.
	prepared principalKeys
}

// principalKeys holds what AWS derives from the principal: the identity used
// to match Principal elements, and the global condition keys (in lower
// case). Prepare sets the identity; the keys are derived when an evaluation
// first reads one, since most read none (a policy without conditions on the
// principal), and kept from then on.
type principalKeys struct {
	p      *Principal
	caller policy.Caller
	ready  bool         // caller is set: the principal is prepared
	keys   atomic.Value // *derivedKeys, once derived
}

// derivedKeys are the principal's global condition keys.
type derivedKeys struct {
	m map[string][]string
	// vals backs the keys' values when they fit (they do for most
	// principals), so that they take no allocation of their own.
	vals [8]string
}

// Prepare computes the principal's identity once, so that evaluations do not
// allocate for it; its condition keys are derived on first use and kept. A
// prepared Principal must not be modified (preparing it again starts over
// from its current fields).
func (p *Principal) Prepare() *Principal {
	p.prepared = principalKeys{p: p, caller: p.callerOf(), ready: true}
	return p
}

// keys returns the prepared principal's keys, or new ones for an
// unprepared principal.
func (p *Principal) keys() *principalKeys {
	if p.prepared.ready {
		return &p.prepared
	}
	return &principalKeys{p: p, caller: p.callerOf()}
}

// lookup returns a derived condition key's values, deriving the keys on
// first use. Concurrent first uses may each derive; one result is kept.
func (k *principalKeys) lookup(key string) ([]string, bool) {
	d, _ := k.keys.Load().(*derivedKeys)
	if d == nil {
		d = k.p.derive(&k.caller)
		if !k.keys.CompareAndSwap(nil, d) {
			d = k.keys.Load().(*derivedKeys)
		}
	}
	v, ok := d.m[key]
	return v, ok
}

// isDerivedKey reports whether key (in lower case) is one that derive may
// set: only those are looked up in the principal's keys.
func isDerivedKey(key string) bool {
	switch key {
	case "aws:username", "aws:userid", "aws:principalarn", "aws:principaltype", "aws:principalaccount",
		"aws:principalservicename", "aws:federatedprovider", "aws:principalisawsservice":
		return true
	}
	return strings.HasPrefix(key, tagKeyPrefix)
}

// callerOf returns the identity that Principal elements are matched
// against.
func (p *Principal) callerOf() policy.Caller {
	c := policy.Caller{Account: p.Account, ARN: p.ARN}
	switch p.Type {
	case AssumedRole:
		c.RoleARN = p.RoleARN
	case Root:
		if c.ARN == "" && p.Account != "" {
			c.ARN = "arn:aws:iam::" + p.Account + ":root"
		}
	case Service:
		c.Service = p.Service
	case IdentityProvider:
		c.Federated = p.Provider
	case Anonymous:
		c.Anonymous = true
	}
	return c
}

// derive returns the principal-derived global condition keys as AWS sets
// them (IAM User Guide, reference_policies_variables#principaltable); c is
// the principal's identity (callerOf).
func (p *Principal) derive(c *policy.Caller) *derivedKeys {
	k := new(derivedKeys)
	// Size the map exactly: up to 8 entries fit Go's small-map layout, which
	// costs one allocation instead of a table.
	n := derivedKeyCount(p.Type) + len(p.Tags) + len(p.SessionTags)
	k.m = make(map[string][]string, n)
	// One backing array holds every single-valued key's value, and one
	// buffer every string derive builds (a session's user id, the tag keys).
	vals := k.vals[:0]
	if n > len(k.vals) {
		vals = make([]string, 0, n)
	}
	set := func(key, v string) {
		if v != "" {
			vals = append(vals, v)
			k.m[key] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
	var text strings.Builder
	text.Grow(derivedTextLen(p))
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
		if p.ID != "" && p.SessionName != "" {
			set("aws:userid", join(&text, p.ID, p.SessionName))
		}
		set("aws:principalarn", p.RoleARN)
		set("aws:principaltype", "AssumedRole")
	case FederatedUser:
		if name := p.federatedName(); name != "" {
			set("aws:userid", join(&text, p.Account, name))
		}
		set("aws:principalarn", p.ARN)
		set("aws:principaltype", "FederatedUser")
	case Root:
		set("aws:userid", p.Account)
		set("aws:principalarn", c.ARN)
		set("aws:principaltype", "Account")
	case Service:
		isService = "true"
		set("aws:principalservicename", p.Service)
	case IdentityProvider:
		set("aws:federatedprovider", p.Provider)
	case Anonymous:
		set("aws:userid", "anonymous")
		set("aws:principalaccount", "anonymous")
		set("aws:principaltype", "Anonymous")
	}
	if p.Type != Anonymous && p.Type != Service && p.Type != IdentityProvider {
		set("aws:principalaccount", p.Account)
	}
	set("aws:principalisawsservice", isService)
	tag := func(tk, tv string) {
		// A tag's value may be empty and still be present.
		vals = append(vals, tv)
		k.m[principalTagKey(&text, tk)] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	for tk, tv := range p.Tags {
		if _, ok := p.SessionTags[tk]; !ok {
			tag(tk, tv)
		}
	}
	// Session tags come last: they win over role tags whose keys differ
	// only in case.
	for tk, tv := range p.SessionTags {
		tag(tk, tv)
	}
	return k
}

// tagKeyPrefix starts the aws:PrincipalTag/<key> condition keys.
const tagKeyPrefix = "aws:principaltag/"

// federatedName is a federated user's name: its session name, else the
// last part of its ARN.
func (p *Principal) federatedName() string {
	if p.SessionName != "" {
		return p.SessionName
	}
	return lastPathPart(p.ARN)
}

// derivedTextLen is about how many bytes derive writes to its buffer:
// exactly for a session's user id, a guess for tag keys (counting them
// would cost a second pass over the tag map; a longer key only grows the
// buffer).
func derivedTextLen(p *Principal) int {
	n := (len(p.Tags) + len(p.SessionTags)) * (len(tagKeyPrefix) + typicalTagKeyLen)
	switch p.Type {
	case AssumedRole:
		if p.ID != "" && p.SessionName != "" {
			n += len(p.ID) + 1 + len(p.SessionName)
		}
	case FederatedUser:
		if name := p.federatedName(); name != "" {
			n += len(p.Account) + 1 + len(name)
		}
	}
	return n
}

// typicalTagKeyLen is the tag key length derivedTextLen assumes.
const typicalTagKeyLen = 16

// join appends a + ":" + b to text and returns it. The strings text
// returned earlier stay valid: a Builder never rewrites what it holds.
func join(text *strings.Builder, a, b string) string {
	start := text.Len()
	text.WriteString(a)
	text.WriteByte(':')
	text.WriteString(b)
	return text.String()[start:]
}

// principalTagKey appends the condition key of a principal tag,
// "aws:principaltag/" and the tag key in lower case, to text and returns it.
func principalTagKey(text *strings.Builder, tagKey string) string {
	start := text.Len()
	text.WriteString(tagKeyPrefix)
	for i := 0; i < len(tagKey); i++ {
		if tagKey[i] >= utf8.RuneSelf {
			text.WriteString(strings.ToLower(tagKey))
			return text.String()[start:]
		}
	}
	for i := 0; i < len(tagKey); i++ {
		c := tagKey[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		text.WriteByte(c)
	}
	return text.String()[start:]
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
