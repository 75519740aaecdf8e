package policy

import "fmt"

// Error is a policy document that could not be accepted. Message is the text
// AWS returns with MalformedPolicyDocument for the same fault (so clients and
// people see familiar wording); Detail says precisely what is wrong and Pos
// where.
type Error struct {
	Message string
	Detail  string
	Pos     Position
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Message
	}
	return fmt.Sprintf("%s (%s at line %d, column %d)", e.Message, e.Detail, e.Pos.Line, e.Pos.Column)
}

// AWS's MalformedPolicyDocument messages.
const (
	msgSyntax           = "Syntax errors in policy."
	msgLegacyParsing    = "The policy failed legacy parsing"
	msgNoPrincipal      = "Policy document should not specify a principal."
	msgMissingPrincipal = "Missing required field Principal"
	msgNoActions        = "Policy statement must contain actions."
	msgNoResources      = "Policy statement must contain resources."
	msgVendor           = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgConditionVendor  = "Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgSidChars         = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgSidUnique        = "Statement IDs (SID) in a single policy must be unique."
)

func errAt(msg, detail string, pos Position) *Error {
	return &Error{Message: msg, Detail: detail, Pos: pos}
}
