package analyzer

import (
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/catalog"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// extendedChecks are Gatehouse's own checks (Options.Extended): risks that
// ValidatePolicy leaves to Access Analyzer's other APIs (public access,
// broad trust) or to reviewers (wildcards over write and permissions
// management actions), for CI pipelines that want them in one pass.
var extendedChecks = map[string]check{
	"GATEHOUSE_PUBLIC_ACCESS": {SecurityWarning, "Public access",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous"},
	"GATEHOUSE_BROAD_TRUST": {SecurityWarning, "Broad trust",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#term_trust-policy"},
	"GATEHOUSE_WILDCARD_PERMISSIONS_MANAGEMENT": {SecurityWarning, "Wildcard permissions management",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"},
	"GATEHOUSE_WILDCARD_WRITE": {Warning, "Wildcard write",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"},
}

// extended runs Gatehouse's own checks on one statement.
func (v *validator) extended(s *statement) {
	if s.effect != "Allow" {
		return
	}
	if s.principal != nil && s.principalKey == "Principal" && len(s.conds) == 0 && namesEveryone(s.principal) {
		p := s.path.val("Principal")
		switch {
		case v.trust:
			v.at("GATEHOUSE_BROAD_TRUST", "This trust policy lets any AWS principal, in any account, assume the role: it names \"*\" without a condition. Name the accounts or roles that may assume it, or add conditions such as aws:PrincipalOrgID.", p, s.principal)
		case v.typ == ResourcePolicy:
			v.at("GATEHOUSE_PUBLIC_ACCESS", "This statement grants access to everyone, including anonymous callers: it names the principal \"*\" without a condition. Name the principals that need access, or add conditions such as aws:PrincipalOrgID or aws:SourceVpce.", p, s.principal)
		}
	}
	allResources := s.notResource || slices.ContainsFunc(s.resources, func(r item) bool { return r.text == "*" })
	if v.typ != IdentityPolicy || s.notAction || !allResources {
		return
	}
	for _, a := range s.actions {
		if !strings.ContainsAny(a.text, "*?") {
			continue
		}
		level, examples := broadestLevel(a.text)
		switch level {
		case catalog.PermissionsManagement:
			v.at("GATEHOUSE_WILDCARD_PERMISSIONS_MANAGEMENT", "The action "+a.text+" grants permissions management actions ("+strings.Join(examples, ", ")+") on all resources. List the actions needed and scope the resources.", a.loc(), a.node)
		case catalog.Write:
			v.at("GATEHOUSE_WILDCARD_WRITE", "The action "+a.text+" grants write actions ("+strings.Join(examples, ", ")+") on all resources. List the actions needed and scope the resources.", a.loc(), a.node)
		}
	}
}

// namesEveryone reports whether a Principal value includes "*": "*",
// {"AWS": "*"} or "*" in a list of AWS principals.
func namesEveryone(n *policy.Node) bool {
	if isStar(n) {
		return true
	}
	for _, m := range n.Members {
		if m.Key != "AWS" {
			continue
		}
		if isStar(m.Value) {
			return true
		}
		for _, e := range m.Value.Elems {
			if isStar(e) {
				return true
			}
		}
	}
	return false
}

// broadestLevel returns the most sensitive access level among the actions
// an action pattern names (PermissionsManagement above Write; Read, List
// and Tagging count as 0) and up to three examples of actions at it.
func broadestLevel(pattern string) (catalog.AccessLevel, []string) {
	var level catalog.AccessLevel
	var examples []string
	consider := func(a *catalog.ActionInfo) {
		rank := func(l catalog.AccessLevel) int {
			switch l {
			case catalog.PermissionsManagement:
				return 2
			case catalog.Write:
				return 1
			}
			return 0
		}
		switch r := rank(a.AccessLevel); {
		case r == 0 || r < rank(level):
		case r > rank(level):
			level, examples = a.AccessLevel, []string{a.FullName}
		case len(examples) < 3:
			examples = append(examples, a.FullName)
		}
	}
	svc, name, _ := strings.Cut(pattern, ":")
	if pattern == "*" || strings.ContainsAny(svc, "*?") {
		for _, prefix := range catalog.Services() {
			if !arn.Glob(svc, prefix, true) && pattern != "*" {
				continue
			}
			info, _ := catalog.Service(prefix)
			for _, a := range info.Actions {
				if pattern == "*" || arn.Glob(name, a.Name, true) {
					consider(a)
				}
			}
		}
		return level, examples
	}
	if info, ok := catalog.Service(svc); ok {
		for _, a := range info.Actions {
			if arn.Glob(name, a.Name, true) {
				consider(a)
			}
		}
	}
	return level, examples
}
