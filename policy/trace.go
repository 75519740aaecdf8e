package policy

// Trace collects what an evaluation looked at: the statements that matched and
// the condition keys that the conditions needed but the request did not carry.
// Evaluations take a *Trace; nil records nothing and keeps the hot path free of
// allocations.
type Trace struct {
	Matched     []Match
	MissingKeys []string
}

// Match is a statement that applied to a request.
type Match struct {
	Policy         *Compiled
	Statement      *Statement
	PrincipalMatch PrincipalMatch
}

func (t *Trace) missing(key string) {
	for _, k := range t.MissingKeys {
		if k == key {
			return
		}
	}
	t.MissingKeys = append(t.MissingKeys, key)
}

func (t *Trace) matched(p *Compiled, s *Statement, pm PrincipalMatch) {
	for _, m := range t.Matched {
		if m.Statement == s {
			return
		}
	}
	t.Matched = append(t.Matched, Match{Policy: p, Statement: s, PrincipalMatch: pm})
}
