package evaldoc

import (
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// Result is one request's decision and its explanation, as `gatehouse eval`
// prints it.
type Result struct {
	Decision    string      `json:"decision"`
	Reason      string      `json:"reason"`
	Detail      string      `json:"detail,omitempty"`
	Message     string      `json:"message,omitempty"`
	DecidedBy   string      `json:"decided_by"`
	Level       string      `json:"level,omitempty"`
	Statements  []Statement `json:"matched_statements"`
	MissingKeys []string    `json:"missing_context_keys"`
}

// Statement is a statement that applied to the request.
type Statement struct {
	PolicyType string          `json:"policy_type"`
	PolicyID   string          `json:"policy_id"`
	Level      string          `json:"level,omitempty"`
	Index      int             `json:"index"`
	Sid        string          `json:"sid,omitempty"`
	Effect     string          `json:"effect"`
	Start      policy.Position `json:"start"`
	End        policy.Position `json:"end"`
}

// Batch is the answer to a document with "requests".
type Batch struct {
	Results []Result `json:"results"`
}

// Evaluate answers every request of the document, in order.
func (d *Document) Evaluate() []Result {
	out := make([]Result, 0, len(d.Requests))
	for _, r := range d.Requests {
		var ex authz.Explanation
		dec := authz.Evaluate(d.PoliciesFor(r), r, &ex)
		out = append(out, ResultOf(dec, &ex, r))
	}
	return out
}

// ResultOf renders a decision and its explanation.
func ResultOf(dec authz.Decision, ex *authz.Explanation, r *authz.Request) Result {
	res := Result{
		Decision: dec.String(), Reason: ex.Reason, Detail: ex.Detail, DecidedBy: ex.DecidedBy.String(), Level: ex.Level,
		Statements: make([]Statement, 0, len(ex.Statements)), MissingKeys: ex.MissingKeys,
	}
	if res.MissingKeys == nil {
		res.MissingKeys = []string{}
	}
	if dec != authz.Allow {
		res.Message = ex.Message(r)
	}
	for _, s := range ex.Statements {
		res.Statements = append(res.Statements, Statement{
			PolicyType: s.PolicyType.String(), PolicyID: s.PolicyID, Level: s.Level, Index: s.Index,
			Sid: s.Sid, Effect: s.Effect.String(), Start: s.Start, End: s.End,
		})
	}
	return res
}

// Answer evaluates the document and returns what `gatehouse eval` prints: a
// Result for a single request, a Batch for "requests".
func (d *Document) Answer() any {
	results := d.Evaluate()
	if d.Batch {
		return Batch{Results: results}
	}
	return results[0]
}
