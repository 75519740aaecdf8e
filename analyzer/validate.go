// Package analyzer is IAM Access Analyzer's policy validation: Validate
// checks a policy document against the IAM policy grammar, the service
// authorization catalogue and AWS's best practices, and returns the findings
// the ValidatePolicy API returns for it (ERROR, SECURITY_WARNING, WARNING,
// SUGGESTION), each with AWS's issue code, a link to AWS's policy check
// reference and locations that point into the document.
//
// The checks are those of AWS's policy check reference
// (access-analyzer-reference-policy-checks.html): JSON and grammar errors;
// actions, services and condition keys looked up in the catalogue package;
// resource ARNs checked against each service's resource types (partition,
// service, Region, account, resource part); condition operators against
// key types, set qualifiers against multivalued keys, and condition values
// against their operator (numbers, dates, Booleans, IP ranges, base64,
// variables, VPC and Region names); redundant actions, resources,
// statements and condition values; iam:PassRole and
// iam:CreateServiceLinkedRole on every resource; tag keys on services that
// do not support them; the rules of SCPs, RCPs, role trust policies
// (federation, GitHub and OIDC conditions, IAM Roles Anywhere) and resource
// policies (NotPrincipal, unrestricted service principals); size quotas.
// Not run: the checks that need data Gatehouse does not have or AWS does
// not document precisely (UNSUPPORTED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL,
// RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL,
// IRRELEVANT_CONDITION_KEY_IN_POLICY, CONFIRM_AUDIENCE_CLAIM_TYPE,
// INVALID_KMS_KEY_VALUE, VARIABLE_USAGE_TOO_PERMISSIVE,
// WILDCARD_USAGE_TOO_PERMISSIVE). testdata/golden holds documents with the
// findings AWS's reference describes for them, each citing its section.
//
// Options.Extended adds Gatehouse's own checks, with GATEHOUSE_ issue codes,
// for risks ValidatePolicy leaves to other Access Analyzer APIs or to
// reviewers: public access in resource policies, trust policies open to
// every AWS principal, and wildcards over write or permissions management
// actions (the catalogue's access levels) on all resources.
package analyzer

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// PolicyType is the type of policy validated, as ValidatePolicy's policyType
// names it.
type PolicyType string

// The policy types ValidatePolicy accepts.
const (
	IdentityPolicy        PolicyType = "IDENTITY_POLICY"
	ResourcePolicy        PolicyType = "RESOURCE_POLICY"
	ServiceControlPolicy  PolicyType = "SERVICE_CONTROL_POLICY"
	ResourceControlPolicy PolicyType = "RESOURCE_CONTROL_POLICY"
)

// TrustPolicyResourceType is the validatePolicyResourceType that makes a
// RESOURCE_POLICY a role trust policy.
const TrustPolicyResourceType = "AWS::IAM::AssumeRolePolicyDocument"

// Options are ValidatePolicy's optional inputs.
type Options struct {
	// ResourceType is validatePolicyResourceType: "AWS::S3::Bucket",
	// "AWS::IAM::AssumeRolePolicyDocument", … Only meaningful for
	// RESOURCE_POLICY.
	ResourceType string
	// Extended adds Gatehouse's own checks, which AWS's reference does not
	// have, with issue codes prefixed GATEHOUSE_ (see extendedChecks). The
	// ValidatePolicy API never sets it, so that its answers stay AWS's.
	Extended bool
}

// FindingType is the severity of a finding.
type FindingType string

// The finding types, from most to least severe.
const (
	Error           FindingType = "ERROR"
	SecurityWarning FindingType = "SECURITY_WARNING"
	Warning         FindingType = "WARNING"
	Suggestion      FindingType = "SUGGESTION"
)

// Rank orders finding types by severity: 4 for ERROR down to 1 for
// SUGGESTION, 0 for anything else.
func (t FindingType) Rank() int {
	switch t {
	case Error:
		return 4
	case SecurityWarning:
		return 3
	case Warning:
		return 2
	case Suggestion:
		return 1
	}
	return 0
}

// Finding is one ValidatePolicyFinding.
type Finding struct {
	FindingDetails string      `json:"findingDetails" aws:"findingDetails"`
	FindingType    FindingType `json:"findingType" aws:"findingType"`
	IssueCode      string      `json:"issueCode" aws:"issueCode"`
	LearnMoreLink  string      `json:"learnMoreLink" aws:"learnMoreLink"`
	Locations      []Location  `json:"locations" aws:"locations"`
}

// Location is a place in the policy document: the path of JSON elements that
// leads to it and the span of text it covers.
type Location struct {
	Path []PathElement `json:"path" aws:"path"`
	Span Span          `json:"span" aws:"span"`
}

// PathElement is one step of a Location's path; exactly one member is set:
// Index into an array, Key (the key itself of an object member), Value (the
// value of an object member, by its key) or Substring of a string.
type PathElement struct {
	Index     *int       `json:"index,omitempty" aws:"index,omitempty"`
	Key       string     `json:"key,omitempty" aws:"key,omitempty"`
	Value     string     `json:"value,omitempty" aws:"value,omitempty"`
	Substring *Substring `json:"substring,omitempty" aws:"substring,omitempty"`
}

// Substring is a part of a string value: its start (in characters) and length.
type Substring struct {
	Start  int `json:"start" aws:"start"`
	Length int `json:"length" aws:"length"`
}

// Span is a range of text: from Start up to, not including, End.
type Span struct {
	Start Position `json:"start" aws:"start"`
	End   Position `json:"end" aws:"end"`
}

// Position is a place in the document: line from 1, column (in
// characters) from 0, offset (in characters) from 0, as Access Analyzer
// counts them.
type Position struct {
	Line   int `json:"line" aws:"line"`
	Column int `json:"column" aws:"column"`
	Offset int `json:"offset" aws:"offset"`
}

// referenceURL is AWS's policy check reference page, which LearnMoreLink
// anchors into.
const referenceURL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"

// check is an issue code's finding type and the title of its section in
// AWS's reference (or, for Gatehouse's checks, of the check), and for
// Gatehouse's checks the page that explains the risk.
type check struct {
	typ   FindingType
	title string
	link  string
}

// LearnMoreLink returns the address of the section of AWS's policy check
// reference that explains issueCode, or the page itself for an unknown code.
func LearnMoreLink(issueCode string) string {
	if c, ok := extendedChecks[issueCode]; ok {
		return c.link
	}
	c, ok := checks[issueCode]
	if !ok {
		return referenceURL
	}
	kind := map[FindingType]string{Error: "error", SecurityWarning: "security-warning",
		Warning: "general-warning", Suggestion: "suggestion"}[c.typ]
	return referenceURL + "#access-analyzer-reference-policy-checks-" + kind + "-" +
		strings.ToLower(strings.ReplaceAll(c.title, " ", "-"))
}

// IssueTitle returns the title of issueCode's section in AWS's reference
// ("Invalid action") or of a Gatehouse check, or the code itself for an
// unknown code.
func IssueTitle(issueCode string) string {
	if c, ok := checks[issueCode]; ok {
		return c.title
	}
	if c, ok := extendedChecks[issueCode]; ok {
		return c.title
	}
	return issueCode
}

// IssueType returns the finding type AWS gives issueCode, and whether the
// code is one of AWS's.
func IssueType(issueCode string) (FindingType, bool) {
	c, ok := checks[issueCode]
	return c.typ, ok
}

// Validate checks doc as a policy of type typ and returns its findings in
// document order (by where each begins); an empty result means the policy
// passed every check. It never fails: a document that is not JSON
// yields a JSON_SYNTAX_ERROR finding.
func Validate(doc string, typ PolicyType, opts Options) []Finding {
	v := &validator{doc: doc, typ: typ, opts: opts, ascii: isASCII(doc)}
	v.trust = typ == ResourcePolicy && opts.ResourceType == TrustPolicyResourceType
	root, err := policy.ParseTree(doc)
	if err != nil {
		v.add("JSON_SYNTAX_ERROR", "Fix the JSON syntax error at index "+strconv.Itoa(v.position(err.Pos).Offset)+" line "+
			strconv.Itoa(err.Pos.Line)+" column "+strconv.Itoa(err.Pos.Column-1)+" ("+err.Detail+").", nil, err.Pos, err.Pos)
		return v.findings
	}
	v.document(root)
	// Report in document order, as a reader goes through the policy.
	slices.SortStableFunc(v.findings, func(a, b Finding) int {
		return a.Locations[0].Span.Start.Offset - b.Locations[0].Span.Start.Offset
	})
	return v.findings
}

// validator collects the findings of one document.
type validator struct {
	doc   string
	typ   PolicyType
	opts  Options
	trust bool
	ascii bool // doc is ASCII: byte offsets are character offsets
	// variablesAllowed is set when the Version is 2012-10-17, the only
	// version in which policy variables are substituted.
	variablesAllowed bool
	findings         []Finding
}

// path is a Location's path under construction.
type path []PathElement

// val, key and idx extend a path with one element, never sharing the
// receiver's backing array with other extensions.
func (p path) val(name string) path { return p.with(PathElement{Value: name}) }
func (p path) key(name string) path { return p.with(PathElement{Key: name}) }
func (p path) idx(i int) path       { return p.with(PathElement{Index: &i}) }

func (p path) with(e PathElement) path {
	q := make(path, len(p), len(p)+1)
	copy(q, p)
	return append(q, e)
}

// add records a finding at one location.
func (v *validator) add(code, details string, p path, start, end policy.Position) {
	c, ok := checks[code]
	if !ok {
		c = extendedChecks[code]
	}
	if p == nil {
		p = path{}
	}
	v.findings = append(v.findings, Finding{
		FindingDetails: details,
		FindingType:    c.typ,
		IssueCode:      code,
		LearnMoreLink:  LearnMoreLink(code),
		Locations:      []Location{{Path: p, Span: Span{Start: v.position(start), End: v.position(end)}}},
	})
}

// at records a finding on a whole value.
func (v *validator) at(code, details string, p path, n *policy.Node) {
	v.add(code, details, p, n.Start, n.End)
}

// atKey records a finding on an object member's key.
func (v *validator) atKey(code, details string, p path, m policy.Member) {
	v.add(code, details, p, m.KeyStart, m.KeyEnd)
}

// position converts a parser position to Access Analyzer's: columns from
// 0 rather than 1, and offsets in characters rather than bytes.
func (v *validator) position(p policy.Position) Position {
	col := p.Column - 1
	if col < 0 {
		col = 0
	}
	off := p.Offset
	if !v.ascii && off <= len(v.doc) {
		off = utf8.RuneCountInString(v.doc[:off])
	}
	return Position{Line: p.Line, Column: col, Offset: off}
}

// isASCII reports whether s has only ASCII characters, whose byte offsets
// are character offsets.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// item is one string of an element that holds a string or an array of
// strings, with its path and node.
type item struct {
	text string
	// parent is the path of the element holding the string; index is the
	// string's position in it, -1 when the element is the string itself.
	parent path
	index  int
	node   *policy.Node
}

// loc returns the item's path. It is built only for findings, which keeps
// validation of clean documents from allocating a path per string.
func (it item) loc() path {
	if it.index < 0 {
		return it.parent
	}
	return it.parent.idx(it.index)
}

// strs returns the strings of an element holding a string or an array of
// strings. Values of other JSON types are reported as DATA_TYPE_MISMATCH and
// skipped.
func (v *validator) strs(p path, n *policy.Node) []item {
	switch n.Kind {
	case policy.StringNode:
		return []item{{n.Text, p, -1, n}}
	case policy.ArrayNode:
		out := make([]item, 0, len(n.Elems))
		for i, e := range n.Elems {
			if e.Kind != policy.StringNode {
				v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type String.", p.idx(i), e)
				continue
			}
			out = append(out, item{e.Text, p, i, e})
		}
		return out
	}
	v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type List.", p, n)
	return nil
}
