// Package policy implements the AWS IAM policy language: it parses documents
// (keeping the position of every statement for error messages and the
// simulator), checks them against the grammar of each policy type, and compiles
// them into a form that the authorization engine evaluates quickly and without
// allocating.
package policy

// Kind is the type of a policy, which decides which elements it may carry.
type Kind uint8

const (
	// Identity is an identity-based policy (managed or inline), a permissions
	// boundary or a session policy: no Principal, Resource required.
	Identity Kind = iota
	// Resource is a resource-based policy (bucket, queue, key, …): Principal
	// or NotPrincipal required.
	Resource
	// Trust is a role trust policy: Principal required, no NotPrincipal, no
	// Resource.
	Trust
	// SCP is a service control policy: no Principal.
	SCP
	// RCP is a resource control policy: Principal must be "*".
	RCP
	// Any accepts every element of every kind; used where the kind is not
	// known, such as documents given to `gatehouse eval`.
	Any
)

var kindNames = [...]string{"identity", "resource", "trust", "scp", "rcp", "any"}

func (k Kind) String() string { return kindNames[k] }

// Version values. Policy variables are substituted only in Version2012.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is Allow or Deny.
type Effect uint8

const (
	Allow Effect = iota
	Deny
)

func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// Policy is a parsed policy document.
type Policy struct {
	Kind       Kind
	Version    string // "" when the document has no Version element
	ID         string
	Statements []*Statement
}

// Statement is one statement of a policy, with its span in the source.
type Statement struct {
	Index        int // position in the Statement list, from 0
	Sid          string
	Effect       Effect
	Principal    *Principal // nil when absent
	NotPrincipal *Principal // nil when absent
	Action       []string   // exactly one of Action and NotAction is set
	NotAction    []string
	Resource     []string // at most one of Resource and NotResource is set
	NotResource  []string
	Conditions   []Condition
	Start, End   Position
}

// Principal is the value of a Principal or NotPrincipal element.
type Principal struct {
	// All is set for "Principal": "*" (everyone, including anonymous callers).
	All           bool
	AWS           []string // ARNs, 12-digit account ids, or "*"
	Service       []string // e.g. "ec2.amazonaws.com"
	Federated     []string // provider ARNs or names such as "accounts.google.com"
	CanonicalUser []string
}

// Condition is one key test of a Condition block:
// {"Operator": {"Key": [Values…]}}.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string // as written, e.g. "aws:PrincipalTag/team"
	Values   []string
	Pos      Position // of the key
}
