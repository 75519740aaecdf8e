package analyzer

import (
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/catalog"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// checkStatement runs the checks of one statement's actions, resources and
// conditions, and those that combine them.
func (v *validator) checkStatement(s *statement) {
	v.checkActions(s)
	v.checkResources(s)
	v.checkConditions(s)
	v.sensitiveActions(s)
	switch {
	case v.typ == ServiceControlPolicy:
		v.scpRules(s)
	case v.typ == ResourceControlPolicy:
		v.rcpRules(s)
	case v.trust:
		v.trustRules(s)
	case v.typ == ResourcePolicy:
		v.resourcePolicyRules(s)
	}
	if v.opts.Extended {
		v.extended(s)
	}
	if v.typ == ResourcePolicy && !v.trust && s.effect == "Allow" && s.principalKey == "NotPrincipal" {
		v.onKey("ALLOW_WITH_NOT_PRINCIPAL", "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.", s, "NotPrincipal")
	}
}

// checkActions checks that each action names a real service and action and
// reports actions another pattern of the statement already covers.
func (v *validator) checkActions(s *statement) {
	for _, a := range s.actions {
		if hasVariable(a.text) {
			v.at("VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are supported in the Resource and Condition elements. Remove the policy variable "+a.text+" from this element.", a.loc(), a.node)
			continue
		}
		if a.text == "*" {
			continue
		}
		svc, name, ok := strings.Cut(a.text, ":")
		switch {
		case !ok || svc == "" || name == "":
			v.at("INVALID_ACTION", "The action "+a.text+" does not exist.", a.loc(), a.node)
			continue
		case strings.ContainsAny(svc, "*?"):
			v.at("WILDCARD_IN_SERVICE_NAME", "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.", a.loc(), a.node)
			continue
		}
		info, ok := catalog.Service(svc)
		if !ok {
			v.at("INVALID_SERVICE_IN_ACTION", "The service "+svc+" specified in the action does not exist."+didYouMean(svc, catalog.Services()), a.loc(), a.node)
			continue
		}
		if !anyAction(info, name) {
			hint := ""
			if !strings.ContainsAny(name, "*?") {
				names := make([]string, len(info.Actions))
				for i, act := range info.Actions {
					names[i] = act.FullName
				}
				hint = didYouMean(info.Prefix+":"+name, names)
			}
			v.at("INVALID_ACTION", "The action "+a.text+" does not exist."+hint, a.loc(), a.node)
		}
	}
	v.redundantActions(s)
}

// redundantActions reports actions whose every permission another action
// of the statement already grants: a duplicate, or an action (or every
// action a wildcard pattern names) that other patterns cover.
func (v *validator) redundantActions(s *statement) {
	if len(s.actions) < 2 {
		return
	}
	// Without wildcards only repeated actions can be redundant.
	wild := slices.ContainsFunc(s.actions, func(a item) bool { return strings.ContainsAny(a.text, "*?") })
	for i, a := range s.actions {
		if !wild {
			if slices.ContainsFunc(s.actions[:i], func(b item) bool { return strings.EqualFold(a.text, b.text) }) {
				v.at("REDUNDANT_ACTION", "The action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: "+a.text+".", a.loc(), a.node)
			}
			continue
		}
		covered := false
		if a.text != "*" {
			covered = coveredByOthers(s.actions, i)
		} else {
			// "*" is redundant only next to another "*".
			for j := range i {
				covered = covered || s.actions[j].text == "*"
			}
		}
		if covered {
			v.at("REDUNDANT_ACTION", "The action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: "+a.text+".", a.loc(), a.node)
		}
	}
}

// coveredByOthers reports whether the i-th action pattern grants nothing
// the others do not: it repeats an earlier one (ignoring case), or each
// action it names matches another pattern. A pattern naming no known action
// is never redundant.
func coveredByOthers(actions []item, i int) bool {
	a := actions[i].text
	others := func(full string) bool {
		for j, b := range actions {
			if j != i && !strings.EqualFold(b.text, a) && arn.Glob(b.text, full, true) {
				return true
			}
		}
		return false
	}
	for j := range i {
		if strings.EqualFold(actions[j].text, a) {
			return true
		}
	}
	svc, name, ok := strings.Cut(a, ":")
	info, known := catalog.Service(svc)
	if !ok || !known || strings.ContainsAny(svc, "*?") {
		return false
	}
	if !strings.ContainsAny(name, "*?") {
		act, exists := catalog.Action(a)
		return exists && others(act.FullName)
	}
	matched := false
	for _, act := range info.Actions {
		if arn.Glob(name, act.Name, true) {
			if !others(act.FullName) {
				return false
			}
			matched = true
		}
	}
	return matched
}

// didYouMean returns " Did you mean X?" for the candidate closest to name
// (ignoring case) when it is within a few edits (one per four characters,
// at most three), as AWS suggests a fix for
// common misspellings; "" otherwise.
func didYouMean(name string, candidates []string) string {
	// Short names get fewer edits, so that "foo" suggests nothing.
	best, bestDist := "", min(3, max(1, len(name)/4))+1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		if d := editDistance(lower, strings.ToLower(c), bestDist); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return " Did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b, or limit when
// it is limit or more.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// anyAction reports whether an action of the service matches the name
// pattern (case-insensitive glob).
func anyAction(info *catalog.ServiceInfo, pattern string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		_, ok := catalog.Action(info.Prefix + ":" + pattern)
		return ok
	}
	for _, a := range info.Actions {
		if arn.Glob(pattern, a.Name, true) {
			return true
		}
	}
	return false
}

// matchesAction reports how a statement's action list covers the action
// full: literally, through a wildcard, or (for NotAction) by not excluding it.
func matchesAction(s *statement, full string) (literal, wildcard bool) {
	if s.notAction {
		for _, a := range s.actions {
			if arn.Glob(a.text, full, true) {
				return false, false
			}
		}
		return false, len(s.actions) > 0
	}
	for _, a := range s.actions {
		switch {
		case strings.EqualFold(a.text, full):
			literal = true
		case arn.Glob(a.text, full, true):
			wildcard = true
		}
	}
	return literal, wildcard
}

// sensitiveActions reports Allow statements that let iam:PassRole or
// iam:CreateServiceLinkedRole apply to every resource.
func (v *validator) sensitiveActions(s *statement) {
	if v.typ != IdentityPolicy || s.effect != "Allow" || !s.hasResource || len(s.resources) == 0 {
		return
	}
	for _, sa := range [...]struct{ action, prefix string }{
		{"iam:PassRole", "PASS_ROLE"},
		{"iam:CreateServiceLinkedRole", "CREATE_SLR"},
	} {
		literal, wildcard := matchesAction(s, sa.action)
		if !literal && !wildcard {
			continue
		}
		var code string
		var at item
		if s.notResource {
			at = s.resources[0]
			switch {
			case s.notAction:
				code = sa.prefix + "_WITH_NOT_ACTION_AND_NOT_RESOURCE"
			case literal:
				code = sa.prefix + "_WITH_NOT_RESOURCE"
			default:
				code = sa.prefix + "_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE"
			}
		} else {
			star := slices.IndexFunc(s.resources, func(r item) bool { return anyRole(r.text) })
			if star < 0 {
				continue
			}
			at = s.resources[star]
			switch {
			case s.notAction:
				code = sa.prefix + "_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION"
			case literal:
				code = sa.prefix + "_WITH_STAR_IN_RESOURCE"
			default:
				code = sa.prefix + "_WITH_STAR_IN_ACTION_AND_RESOURCE"
			}
		}
		v.at(code, sensitiveDetails[code], at.loc(), at.node)
	}
}

// anyRole reports whether a resource pattern names every role: "*", or a
// role ARN whose name is only a wildcard ("arn:aws:iam::*:role/*"). Patterns
// with a name prefix ("role/Service*") follow AWS's service role naming
// conventions and are not reported.
func anyRole(r string) bool {
	if r == "*" {
		return true
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 || (parts[2] != "iam" && parts[2] != "*") {
		return false
	}
	res := parts[5]
	return res == "*" || res == "role/*" || res == "*role/*"
}

// sensitiveDetails are AWS's texts for the PassRole and service-linked role
// checks.
var sensitiveDetails = map[string]string{
	"PASS_ROLE_WITH_NOT_RESOURCE":                     "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	"PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE":  "Using an action with a wildcard (*) and NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	"PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE":      "Using NotAction with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources.. We recommend that you specify resource ARNs instead.",
	"PASS_ROLE_WITH_STAR_IN_RESOURCE":                 "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
	"PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE":      "Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
	"PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION":  "Using a resource with wildcards (*) and NotAction can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
	"CREATE_SLR_WITH_NOT_RESOURCE":                    "Using the iam:CreateServiceLinkedRole action with NotResource can allow creation of unintended service-linked roles for multiple resources. We recommend that you specify resource ARNs instead.",
	"CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE": "Using an action with a wildcard(*) and NotResource can allow creation of unintended service-linked roles because it can allow iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	"CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE":     "Using NotAction with NotResource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	"CREATE_SLR_WITH_STAR_IN_RESOURCE":                "Using the iam:CreateServiceLinkedRole action with wildcards (*) in the resource can allow creation of unintended service-linked roles. We recommend that you specify resource ARNs instead.",
	"CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE":     "Using wildcards (*) in the action and the resource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead.",
	"CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION": "Using a resource with wildcards (*) and NotAction can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead.",
}

// scpRules checks the grammar service control policies restrict.
func (v *validator) scpRules(s *statement) {
	for _, a := range s.actions {
		_, name, _ := strings.Cut(a.text, ":")
		if i := strings.IndexAny(name, "*?"); i >= 0 && i != len(name)-1 {
			v.at("SCP_SYNTAX_ERROR_ACTION_WILDCARD", "SCP actions can include wildcards (*) only at the end of a string. Update "+a.text+".", a.loc(), a.node)
		}
	}
	if s.hasResource && s.notResource {
		v.onKey("SCP_SYNTAX_ERROR_NOTRESOURCE", "SCPs do not support the NotResource element. Update the policy to use Resource instead.", s, "NotResource")
	}
	if s.effect != "Allow" {
		return
	}
	if s.notAction {
		v.onKey("SCP_SYNTAX_ERROR_ALLOW_NOTACTION", "SCPs do not support NotAction with effect Allow. Update the element NotAction or the effect.", s, "NotAction")
	}
	if len(s.conds) > 0 {
		v.onKey("SCP_SYNTAX_ERROR_ALLOW_CONDITION", "SCPs do not support the Condition element with effect Allow. Update the element Condition or the effect.", s, "Condition")
	}
	if !s.notResource {
		for _, r := range s.resources {
			if r.text != "*" {
				v.at("SCP_SYNTAX_ERROR_ALLOW_RESOURCE", "SCPs do not support Resource with effect Allow. Update the element Resource or the effect.", r.loc(), r.node)
			}
		}
	}
}

// rcpServices are the services resource control policies apply to.
var rcpServices = map[string]bool{"s3": true, "sts": true, "sqs": true, "secretsmanager": true, "kms": true}

// rcpRules checks the grammar resource control policies restrict.
func (v *validator) rcpRules(s *statement) {
	if s.effect == "Allow" {
		v.at("RCP_SYNTAX_ERROR_ALLOW", "RCPs only support the Deny effect. Update the statement to use Deny.", s.path.val("Effect"), memberValue(s.node, "Effect"))
	}
	if s.notAction {
		v.onKey("RCP_SYNTAX_ERROR_NOTACTION", "RCPs do not support the NotAction element. Update the statement to use Action instead.", s, "NotAction")
		return
	}
	for _, a := range s.actions {
		svc, _, _ := strings.Cut(a.text, ":")
		switch {
		case a.text == "*":
			v.at("RCP_SYNTAX_ERROR_ACTION", "RCPs do not support \"*\" as the Action. Specify actions of the services RCPs support.", a.loc(), a.node)
		case !strings.ContainsAny(svc, "*?") && !rcpServices[strings.ToLower(svc)]:
			v.at("UNSUPPORTED_ACTION_IN_POLICY", "The action "+a.text+" is not supported for resource control policies.", a.loc(), a.node)
		}
	}
}

// onKey records a finding on the key of one of a statement's elements.
func (v *validator) onKey(code, details string, s *statement, key string) {
	for _, m := range s.node.Members {
		if m.Key == key {
			v.atKey(code, details, s.path.key(key), m)
			return
		}
	}
}

// memberValue returns the value of an object's member, or the object
// itself when it has no such member.
func memberValue(n *policy.Node, key string) *policy.Node {
	for _, m := range n.Members {
		if m.Key == key {
			return m.Value
		}
	}
	return n
}

// redundantStatements reports statements that grant exactly what an earlier
// one grants: same effect, principal, actions, resources and conditions.
func (v *validator) redundantStatements(stmts []*statement) {
	// Statements are first grouped by a cheap shape that identical
	// statements share, so that signatures are only built on a collision.
	type shape struct {
		effect, actionKey         string
		actions, resources, conds int
		actionSum, resourceSum    uint64 // order-independent sums of hashes
		principalSize             int
	}
	first := map[shape]*statement{}
	seen := map[string]bool{}
	for _, s := range stmts {
		if s.effect == "" || len(s.actions) == 0 {
			continue
		}
		sh := shape{effect: s.effect, actionKey: s.actionKey, actions: len(s.actions), resources: len(s.resources), conds: len(s.conds)}
		for _, a := range s.actions {
			sh.actionSum += foldHash(a.text, true)
		}
		for _, r := range s.resources {
			sh.resourceSum += foldHash(r.text, false)
		}
		if s.principal != nil {
			sh.principalSize = len(s.principal.Members) + len(s.principal.Text)
		}
		prev, collides := first[sh]
		if !collides {
			first[sh] = s
			continue
		}
		if prev != nil {
			seen[signature(v.doc, prev)] = true
			first[sh] = nil
		}
		sig := signature(v.doc, s)
		if seen[sig] {
			v.at("REDUNDANT_STATEMENT", "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement.", s.path, s.node)
		}
		seen[sig] = true
	}
}

// foldHash is the FNV-1a hash of s, with ASCII letters lowered when fold
// is set.
func foldHash(s string, fold bool) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if fold && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// signature is a canonical text of what a statement grants.
func signature(doc string, s *statement) string {
	list := func(items []item, fold bool) string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it.text
			if fold {
				out[i] = strings.ToLower(it.text)
			}
		}
		sort.Strings(out)
		return strings.Join(out, "\x00")
	}
	var b strings.Builder
	b.WriteString(s.effect + "|" + s.actionKey + "|" + list(s.actions, true) + "|")
	if s.notResource {
		b.WriteString("!")
	}
	b.WriteString(list(s.resources, false) + "|" + s.principalKey + "|")
	if s.principal != nil {
		b.WriteString(compact(doc[s.principal.Start.Offset:s.principal.End.Offset]))
	}
	conds := make([]string, len(s.conds))
	for i, c := range s.conds {
		conds[i] = c.op + "\x00" + strings.ToLower(c.key) + "\x00" + list(c.values, false)
	}
	sort.Strings(conds)
	b.WriteString("|" + strings.Join(conds, "\x01"))
	return b.String()
}

// compact removes JSON white space outside strings.
func compact(s string) string {
	var b strings.Builder
	in, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in && esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
