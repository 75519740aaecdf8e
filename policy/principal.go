package policy

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
)

// Caller identifies who makes a request, for matching the Principal and
// NotPrincipal elements of resource-based and trust policies.
type Caller struct {
	Anonymous     bool
	Account       string // the caller's account id
	ARN           string // the caller's own ARN: user, role session, federated user or root
	RoleARN       string // for role sessions, the role's ARN (with its path)
	Service       string // for AWS service principals, e.g. "ec2.amazonaws.com"
	Federated     string // for web-identity and SAML callers, the identity provider
	CanonicalUser string
	HasBoundary   bool // the caller's user or role has a permissions boundary
}

// PrincipalMatch says how a statement's Principal named the caller. It decides
// which implicit denies still apply to a same-account resource-policy grant.
type PrincipalMatch uint8

const (
	NoPrincipalMatch PrincipalMatch = iota
	// MatchedAccount: the statement names the caller's account, which only
	// delegates to the account's identity policies.
	MatchedAccount
	// MatchedRole: the statement names the role whose session is calling.
	MatchedRole
	// MatchedExact: the statement names the caller itself (user, role
	// session, federated user, service or identity provider).
	MatchedExact
	// MatchedAll: the statement names "*".
	MatchedAll
)

var principalMatchNames = [...]string{"none", "account", "role", "exact", "all"}

func (m PrincipalMatch) String() string { return principalMatchNames[m] }

// compiledPrincipal is a Principal element ready for matching.
type compiledPrincipal struct {
	all       bool
	accounts  []string // account ids named by id or by root ARN
	arns      []string // other AWS ARNs
	services  []string // lower case
	federated []string
	canonical []string
}

func compilePrincipal(p *Principal) *compiledPrincipal {
	if p == nil {
		return nil
	}
	cp := &compiledPrincipal{all: p.All}
	for _, id := range p.AWS {
		switch {
		case id == "*":
			cp.all = true
		case arn.IsAccountID(id):
			cp.accounts = append(cp.accounts, id)
		case strings.HasSuffix(id, ":root") && strings.Contains(id, ":iam::"):
			cp.accounts = append(cp.accounts, accountOfARN(id))
		default:
			cp.arns = append(cp.arns, id)
		}
	}
	for _, s := range p.Service {
		cp.services = append(cp.services, strings.ToLower(s))
	}
	cp.federated = p.Federated
	cp.canonical = p.CanonicalUser
	return cp
}

func accountOfARN(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// match returns how the principal names the caller.
func (cp *compiledPrincipal) match(c *Caller) PrincipalMatch {
	if cp.all {
		return MatchedAll
	}
	best := NoPrincipalMatch
	if !c.Anonymous && c.Service == "" && c.Federated == "" {
		if c.Account != "" && contains(cp.accounts, c.Account) {
			best = MatchedAccount
		}
		for _, a := range cp.arns {
			if a == c.ARN {
				return MatchedExact
			}
			if c.RoleARN != "" && a == c.RoleARN {
				best = MatchedRole
			}
		}
	}
	if c.Service != "" && containsFold(cp.services, c.Service) ||
		c.Federated != "" && contains(cp.federated, c.Federated) ||
		c.CanonicalUser != "" && contains(cp.canonical, c.CanonicalUser) {
		return MatchedExact
	}
	return best
}

// excludes reports whether a NotPrincipal element exempts the caller. AWS
// checks every identity a request carries (the account, then the role, then
// the session or user), so the caller is exempt only when each is listed.
func (cp *compiledPrincipal) excludes(c *Caller) bool {
	switch {
	case cp.all:
		return true
	case c.Anonymous:
		return false
	case c.Service != "":
		return containsFold(cp.services, c.Service)
	case c.Federated != "":
		return contains(cp.federated, c.Federated)
	}
	if !contains(cp.accounts, c.Account) {
		return false
	}
	if c.ARN == "" || strings.HasSuffix(c.ARN, ":root") {
		return true
	}
	if c.RoleARN != "" && !contains(cp.arns, c.RoleARN) {
		return false
	}
	return contains(cp.arns, c.ARN)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
