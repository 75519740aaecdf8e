package authz

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// PolicyType names the kind of policy a statement came from.
type PolicyType uint8

// The policy types in AWS's evaluation order.
const (
	RCP PolicyType = iota
	SCP
	Resource
	Identity
	Boundary
	Session
	numTypes
)

var policyTypeNames = [...]string{"rcp", "scp", "resource", "identity", "boundary", "session"}

// policyTypeTexts are the names AWS's AccessDenied messages use.
var policyTypeTexts = [...]string{
	"resource control policy", "service control policy", "resource-based policy",
	"identity-based policy", "permissions boundary", "session policy",
}

// String returns the short name: "rcp", "scp", "resource", "identity",
// "boundary" or "session".
func (t PolicyType) String() string { return policyTypeNames[t] }

// Text returns the name AWS uses in messages, e.g. "service control policy".
func (t PolicyType) Text() string { return policyTypeTexts[t] }

func (p *Policies) set(t PolicyType) *policy.Set {
	switch t {
	case Resource:
		return p.Resource
	case Identity:
		return p.Identity
	case Boundary:
		return p.Boundary
	case Session:
		return p.Session
	}
	return nil
}

// Explanation says why a decision was made. An explanation evaluated into
// again reuses the arrays of its Statements and MissingKeys: copy them to
// keep them longer.
type Explanation struct {
	Decision Decision
	// DecidedBy is the policy type that settled the decision: the first
	// with an explicit deny, the one that failed to allow, or the one whose
	// allow granted access.
	DecidedBy PolicyType
	// Level is the organization level (root, OU or account id) whose SCPs or
	// RCPs denied, when DecidedBy is SCP or RCP.
	Level string
	// Reason completes AWS's AccessDenied sentence: "because no
	// identity-based policy allows the s3:GetObject action", "with an
	// explicit deny in a service control policy", or for an allow "allowed by
	// an identity-based policy".
	Reason string
	// Detail, for SCP and RCP denials, names the organization level that
	// did not allow: "no service control policy at OU ou-… allows
	// iam:CreateUser".
	Detail string
	// Statements are every statement that applied, with their policy.
	Statements []MatchedStatement
	// MissingKeys are context keys that conditions tested but the request
	// did not carry (lower case).
	MissingKeys []string

	trace  policy.Trace
	labels []label
	denied bool
	// implicit is the last implicit-deny reason made, kept across
	// evaluations: a batch often asks about one action many times.
	implicit implicitReason
}

// implicitReason is an implicit-deny reason and what it was made from.
type implicitReason struct {
	t            PolicyType
	action, text string
}

// label gives a traced match its policy type and level.
type label struct {
	t     PolicyType
	level string
}

// MatchedStatement is a statement that applied to the request.
type MatchedStatement struct {
	PolicyType PolicyType
	Level      string // for SCPs and RCPs
	PolicyID   string
	Index      int // the statement's position in its policy, from 0
	Sid        string
	Effect     policy.Effect
	Start, End policy.Position
}

// reset empties the explanation for another evaluation, keeping the
// arrays of its statements and scratch lists, and its last implicit-deny
// reason.
func (ex *Explanation) reset() {
	*ex = Explanation{Statements: ex.Statements[:0], labels: ex.labels[:0], implicit: ex.implicit,
		trace: policy.Trace{Matched: ex.trace.Matched[:0], MissingKeys: ex.trace.MissingKeys[:0]}}
}

// label assigns a policy type to the matches recorded from index n on, and
// notes the first explicit deny.
func (ex *Explanation) label(n int, t PolicyType, level string) {
	for i := n; i < len(ex.trace.Matched); i++ {
		ex.labels = append(ex.labels, label{t, level})
		if ex.trace.Matched[i].Statement.Effect == policy.Deny && !ex.denied {
			ex.denied = true
			ex.DecidedBy, ex.Level = t, level
		}
	}
}

// finish fills the exported fields once the decision is known.
func (ex *Explanation) finish(d Decision, r *Request) {
	ex.Decision = d
	if d == ExplicitDeny && !ex.denied {
		// Cannot happen: a deny decision always comes from a traced match.
		ex.DecidedBy = Identity
	}
	if ex.Statements == nil {
		ex.Statements = make([]MatchedStatement, 0, len(ex.trace.Matched))
	}
	for i, m := range ex.trace.Matched {
		ex.Statements = append(ex.Statements, MatchedStatement{
			PolicyType: ex.labels[i].t, Level: ex.labels[i].level,
			PolicyID: m.Policy.ID, Index: m.Statement.Index, Sid: m.Statement.Sid,
			Effect: m.Statement.Effect, Start: m.Statement.Start, End: m.Statement.End,
		})
	}
	if len(ex.trace.MissingKeys) > 0 {
		ex.MissingKeys = ex.trace.MissingKeys
	}
	ex.Reason = ex.reason(r.Action)
	ex.Detail = ex.detail(r.Action)
}

func (ex *Explanation) reason(action string) string {
	t := ex.DecidedBy
	switch ex.Decision {
	case Allow:
		return allowReasons[t]
	case ExplicitDeny:
		return explicitDenyReasons[t]
	}
	if c := &ex.implicit; c.text == "" || c.t != t || c.action != action {
		*c = implicitReason{t, action, "because no " + t.Text() + " allows the " + action + " action"}
	}
	return ex.implicit.text
}

// allowReasons and explicitDenyReasons are the reasons of allows and
// explicit denies by deciding policy type, made once rather than per
// decision.
var allowReasons, explicitDenyReasons = func() (allow, deny [numTypes]string) {
	for t := range numTypes {
		allow[t] = "allowed by " + article(t.Text()) + " " + t.Text()
		deny[t] = "with an explicit deny in " + article(t.Text()) + " " + t.Text()
	}
	return allow, deny
}()

// detail says the same as reason, naming the organization level that did not
// allow: "no service control policy at OU ou-ab12-11111111 allows
// iam:CreateUser".
func (ex *Explanation) detail(action string) string {
	if ex.Level == "" || ex.Decision != ImplicitDeny {
		return ""
	}
	kind := "account"
	switch {
	case strings.HasPrefix(ex.Level, "r-"):
		kind = "root"
	case strings.HasPrefix(ex.Level, "ou-"):
		kind = "OU"
	}
	return "no " + ex.DecidedBy.Text() + " at " + kind + " " + ex.Level + " allows " + action
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

// Message renders AWS's AccessDenied message for a denied request, e.g.
// "User: arn:aws:iam::111122223333:user/alice is not authorized to perform:
// s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based
// policy allows the s3:GetObject action".
func (ex *Explanation) Message(r *Request) string {
	var buf [256]byte
	return string(ex.AppendMessage(buf[:0], r))
}

// AppendMessage appends the text Message returns to b, for encoders that
// write it into a larger buffer without making the string.
func (ex *Explanation) AppendMessage(b []byte, r *Request) []byte {
	who := "anonymous"
	if r.Principal != nil {
		switch {
		case r.Principal.ARN != "":
			who = r.Principal.ARN
		case r.Principal.Service != "":
			who = r.Principal.Service
		}
	}
	b = append(b, "User: "...)
	b = append(b, who...)
	b = append(b, " is not authorized to perform: "...)
	b = append(b, r.Action...)
	if r.Resource != "" && r.Resource != "*" {
		b = append(b, " on resource: "...)
		b = append(b, r.Resource...)
	}
	b = append(b, ' ')
	return append(b, ex.Reason...)
}
