package policy

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Set is the policies of one kind that apply to a principal or a resource
// (for example a user's identity policies: its inline policies, attached
// managed policies and its groups' policies), indexed for evaluation.
//
// The first evaluation of an action builds that action's index: the Deny and
// Allow statements that cover it, each split into statements that may apply
// to any resource and a radix tree keyed by the literal prefix of their
// resource patterns (the text before the first wildcard or variable). A
// request then only examines statements whose action matches and whose
// resource prefix is a prefix of the requested resource, so the cost does not
// grow with the number of unrelated statements. Evaluation with a nil Trace
// does not allocate once the action's index exists.
//
// A Set is immutable apart from its internal cache and safe for concurrent use.
type Set struct {
	policies []*Compiled

	mu      sync.Mutex // serializes cache insertions
	actions atomic.Pointer[map[string]*actionIndex]
}

// maxCachedActions bounds the per-set action cache. Past it, indexes for new
// actions are built per request (correct, but allocating).
const maxCachedActions = 4096

// NewSet builds a set over the given policies. Policy order is kept in
// explanations.
func NewSet(policies ...*Compiled) *Set {
	s := &Set{policies: policies}
	empty := make(map[string]*actionIndex)
	s.actions.Store(&empty)
	return s
}

// Policies returns the set's policies.
func (s *Set) Policies() []*Compiled {
	if s == nil {
		return nil
	}
	return s.policies
}

// Len is the number of policies in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.policies)
}

// Result is the outcome of evaluating a Set: whether a Deny statement applied,
// whether an Allow statement applied, and for Allow statements with a
// Principal element, the strongest way one of them named the caller.
type Result struct {
	Denied     bool
	Allowed    bool
	AllowMatch PrincipalMatch
}

// Evaluate matches the request against every statement of the set that could
// apply to it. With a nil trace it stops at the first Deny, and among Allow
// statements at the first that names the caller exactly (or any, for
// policies without Principal); with a trace it examines every candidate so
// that all matching statements and missing context keys are recorded.
func (s *Set) Evaluate(r *Request, tr *Trace) Result {
	var res Result
	if s == nil || len(s.policies) == 0 {
		return res
	}
	idx := s.index(r.Action)
	if idx.deny.evaluate(r, tr, Deny) != NoPrincipalMatch {
		res.Denied = true
		if tr == nil {
			return res
		}
	}
	if pm := idx.allow.evaluate(r, tr, Allow); pm != NoPrincipalMatch {
		res.Allowed, res.AllowMatch = true, pm
	}
	return res
}

// index returns the action's index, building and caching it on first use.
func (s *Set) index(action string) *actionIndex {
	m := *s.actions.Load()
	if idx, ok := m[action]; ok {
		return idx
	}
	lower := strings.ToLower(action)
	if idx, ok := m[lower]; ok {
		s.remember(action, idx)
		return idx
	}
	idx := s.build(lower)
	s.remember(lower, idx)
	if lower != action {
		s.remember(action, idx)
	}
	return idx
}

// remember adds an index to the copy-on-write cache.
func (s *Set) remember(key string, idx *actionIndex) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.actions.Load()
	if _, ok := old[key]; ok || len(old) >= maxCachedActions {
		return
	}
	m := make(map[string]*actionIndex, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[key] = idx
	s.actions.Store(&m)
}

// build collects the statements that cover a lower-case action.
func (s *Set) build(lowerAction string) *actionIndex {
	idx := &actionIndex{}
	for _, p := range s.policies {
		for i := range p.stmts {
			st := &p.stmts[i]
			if !st.matchesAction(lowerAction) {
				continue
			}
			if st.effect == Deny {
				idx.deny.add(st)
			} else {
				idx.allow.add(st)
			}
		}
	}
	return idx
}

// actionIndex holds, for one action, its Deny and Allow candidates.
type actionIndex struct {
	deny, allow resourceIndex
}

// resourceIndex finds the statements whose resources may match a resource.
type resourceIndex struct {
	any  []*compiledStatement // no usable literal prefix
	tree radixNode
}

func (ri *resourceIndex) add(st *compiledStatement) {
	prefixes := st.resourcePrefixes()
	if prefixes == nil {
		ri.any = append(ri.any, st)
		return
	}
	for _, p := range prefixes {
		ri.tree.insert(p, st)
	}
}

// resourcePrefixes returns the literal prefixes that a resource must start
// with for the statement to match, or nil when any resource might match.
// Prefixes that extend another are dropped, so a resource meets each
// statement at most once.
func (st *compiledStatement) resourcePrefixes() []string {
	if st.anyResource || st.notResource || len(st.resources) == 0 {
		return nil
	}
	var out []string
	for i := range st.resources {
		raw := st.resources[i].raw
		p := raw[:literalPrefixLen(raw)]
		if p == "" {
			return nil
		}
		out = append(out, p)
	}
	kept := out[:0]
	for i, p := range out {
		redundant := false
		for j, q := range out {
			if i != j && strings.HasPrefix(p, q) && (len(q) < len(p) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			kept = append(kept, p)
		}
	}
	return kept
}

// literalPrefixLen is the length of the text before the first character that
// may stand for something else: a wildcard or the start of a variable.
func literalPrefixLen(s string) int {
	if i := strings.IndexAny(s, "*?$"); i >= 0 {
		return i
	}
	return len(s)
}

// evaluate checks the candidates for a resource and returns the strongest
// principal match among those that apply (NoPrincipalMatch if none).
func (ri *resourceIndex) evaluate(r *Request, tr *Trace, effect Effect) PrincipalMatch {
	best := NoPrincipalMatch
	for _, st := range ri.any {
		if pm := st.evaluate(r, tr); pm > best {
			best = pm
			if tr == nil && done(best, effect) {
				return best
			}
		}
	}
	n := &ri.tree
	rest := r.Resource
	for {
		for _, st := range n.stmts {
			if pm := st.evaluate(r, tr); pm > best {
				best = pm
				if tr == nil && done(best, effect) {
					return best
				}
			}
		}
		next := n.child(rest)
		if next == nil {
			return best
		}
		rest = rest[len(next.label):]
		n = next
	}
}

// done reports whether no further statement can change the outcome: any Deny
// decides, and an Allow decides once it names the caller exactly or as "*".
func done(best PrincipalMatch, effect Effect) bool {
	return effect == Deny || best >= MatchedExact
}

// evaluate matches a statement whose action is known to apply.
func (st *compiledStatement) evaluate(r *Request, tr *Trace) PrincipalMatch {
	if !st.matchesResource(r.Resource, r.Env) {
		return NoPrincipalMatch
	}
	pm := st.matchesPrincipal(r.Caller)
	if pm == NoPrincipalMatch || !st.conditionsHold(r.Env, tr) {
		return NoPrincipalMatch
	}
	if tr != nil {
		tr.matched(st.policy, st.src, pm)
	}
	return pm
}

// radixNode is a node of a radix tree over resource prefixes. The statements
// stored at a node are those whose prefix ends there.
type radixNode struct {
	label    string
	stmts    []*compiledStatement
	children []*radixNode
	first    string // first[i] is children[i].label[0]
}

// child returns the child whose label is a prefix of s.
func (n *radixNode) child(s string) *radixNode {
	if s == "" {
		return nil
	}
	if i := strings.IndexByte(n.first, s[0]); i >= 0 {
		if c := n.children[i]; strings.HasPrefix(s, c.label) {
			return c
		}
	}
	return nil
}

func (n *radixNode) insert(key string, st *compiledStatement) {
	for key != "" {
		var next *radixNode
		if i := strings.IndexByte(n.first, key[0]); i >= 0 {
			next = n.children[i]
		}
		if next == nil {
			n.children = append(n.children, &radixNode{label: key, stmts: []*compiledStatement{st}})
			n.first += key[:1]
			return
		}
		common := commonPrefixLen(key, next.label)
		if common < len(next.label) {
			// Split the edge: next becomes a child of a new node that ends
			// at the common prefix.
			split := &radixNode{label: next.label[:common], children: []*radixNode{next}}
			next.label = next.label[common:]
			split.first = next.label[:1]
			for i, c := range n.children {
				if c == next {
					n.children[i] = split
				}
			}
			next = split
		}
		n, key = next, key[common:]
	}
	n.stmts = append(n.stmts, st)
}

func commonPrefixLen(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
