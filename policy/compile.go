package policy

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
)

// Compiled is a policy ready for evaluation, with an identifier that
// explanations use to name it (a managed policy ARN, "user/alice/inline-name",
// "identity[0]", …).
type Compiled struct {
	ID     string
	Policy *Policy
	stmts  []compiledStatement
}

// Request is what a statement is matched against.
type Request struct {
	Action   string  // e.g. "s3:GetObject"
	Resource string  // the resource ARN, or "*" for actions without one
	Caller   *Caller // who asks; needed by policies with Principal elements
	Env      Lookup  // condition context keys, including principal-derived ones
}

type compiledStatement struct {
	policy      *Compiled
	src         *Statement
	effect      Effect
	actions     []string // lower case; for NotAction, the excluded ones
	notAction   bool
	resources   []arnTemplate // for NotResource, the excluded ones
	tails       []int         // per resource: see resourceTail
	expands     []bool        // per resource: a segment-final '*' may cross colons
	notResource bool
	anyResource bool // no Resource element, or "*" among the resources
	principal   *compiledPrincipal
	notPrincip  bool
	conds       []compiledCondition
}

// Compile prepares a parsed policy for evaluation.
func Compile(id string, p *Policy) *Compiled {
	c := &Compiled{ID: id, Policy: p, stmts: make([]compiledStatement, len(p.Statements))}
	vars := p.Version == Version2012
	for i, s := range p.Statements {
		cs := &c.stmts[i]
		cs.policy, cs.src, cs.effect = c, s, s.Effect
		acts := s.Action
		if s.NotAction != nil {
			acts, cs.notAction = s.NotAction, true
		}
		for _, a := range acts {
			cs.actions = append(cs.actions, strings.ToLower(a))
		}
		res := s.Resource
		if s.NotResource != nil {
			res, cs.notResource = s.NotResource, true
		}
		if res == nil {
			cs.anyResource = true
		}
		for _, r := range res {
			if r == "*" && !cs.notResource {
				cs.anyResource = true
			}
			t := compileARNTemplate(r, vars)
			cs.resources = append(cs.resources, t)
			cs.tails = append(cs.tails, resourceTail(&t))
			cs.expands = append(cs.expands, !t.vars && arn.Expands(t.raw))
		}
		if s.Principal != nil {
			cs.principal = compilePrincipal(s.Principal)
		} else if s.NotPrincipal != nil {
			cs.principal, cs.notPrincip = compilePrincipal(s.NotPrincipal), true
		}
		for j := range s.Conditions {
			cs.conds = append(cs.conds, compileCondition(&s.Conditions[j], vars))
		}
	}
	return c
}

// ParseAndCompile parses a document of the given kind and compiles it.
func ParseAndCompile(id, doc string, kind Kind) (*Compiled, error) {
	p, err := Parse(doc, kind)
	if err != nil {
		return nil, err
	}
	return Compile(id, p), nil
}

// matchesAction reports whether the statement covers the action. Patterns
// are stored in lower case and compared case-insensitively.
func (s *compiledStatement) matchesAction(lowerAction string) bool {
	hit := false
	for _, a := range s.actions {
		if a == "*" || arn.Glob(a, lowerAction, true) {
			hit = true
			break
		}
	}
	return hit != s.notAction
}

// matchesResource reports whether the statement covers the resource.
func (s *compiledStatement) matchesResource(resource string, env Lookup) bool {
	if s.anyResource {
		return true
	}
	hit := false
	for i := range s.resources {
		if tail := s.tails[i]; tail >= 0 {
			raw := s.resources[i].raw
			if len(resource) >= tail && resource[:tail] == raw[:tail] && arn.Glob(raw[tail:], resource[tail:], false) {
				hit = true
				break
			}
			continue
		}
		if s.resources[i].match(resource, env) || s.expands[i] && arn.MatchExpanding(s.resources[i].raw, resource) {
			hit = true
			break
		}
	}
	return hit != s.notResource
}

// resourceTail finds where a resource pattern's wildcards start when all of
// them lie in the resource part (after the fifth colon) and the pattern has no
// variables. Then a value matches exactly when it starts with the literal
// prefix and the rest matches as one glob, which is cheaper than comparing
// the six segments. It returns -1 when that shortcut does not apply.
func resourceTail(t *arnTemplate) int {
	if t.vars || t.raw == "*" {
		return -1
	}
	n := literalPrefixLen(t.raw)
	if strings.Count(t.raw[:n], ":") < 5 {
		return -1
	}
	return n
}

// matchesPrincipal returns how the statement's Principal names the caller;
// statements without Principal or NotPrincipal (identity policies, SCPs) match
// as MatchedAll.
func (s *compiledStatement) matchesPrincipal(c *Caller) PrincipalMatch {
	if s.principal == nil {
		return MatchedAll
	}
	if c == nil {
		return NoPrincipalMatch
	}
	if s.notPrincip {
		if s.effect == Deny && c.HasBoundary {
			return MatchedAll
		}
		if s.principal.excludes(c) {
			return NoPrincipalMatch
		}
		return MatchedAll
	}
	return s.principal.match(c)
}

// conditionsHold evaluates the Condition block. With a trace, every condition
// is evaluated so that all missing keys are recorded.
func (s *compiledStatement) conditionsHold(env Lookup, tr *Trace) bool {
	ok := true
	for i := range s.conds {
		if !s.conds[i].eval(env, tr) {
			ok = false
			if tr == nil {
				return false
			}
		}
	}
	return ok
}

// Matches evaluates one statement of the policy against a request, without
// any index. It returns whether the statement applies and how its Principal
// named the caller.
func (c *Compiled) Matches(i int, r *Request, tr *Trace) (bool, PrincipalMatch) {
	s := &c.stmts[i]
	if !s.matchesAction(r.Action) || !s.matchesResource(r.Resource, r.Env) {
		return false, NoPrincipalMatch
	}
	pm := s.matchesPrincipal(r.Caller)
	if pm == NoPrincipalMatch || !s.conditionsHold(r.Env, tr) {
		return false, NoPrincipalMatch
	}
	return true, pm
}
