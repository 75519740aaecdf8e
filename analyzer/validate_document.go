package analyzer

import (
	"regexp"
	"strings"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// statement is one statement of the document as the checks see it: its
// elements with their paths and nodes, whatever the grammar checks found.
type statement struct {
	path path
	node *policy.Node

	sid     *item
	effect  string // "Allow", "Deny" or "" when missing or invalid
	actions []item
	// notAction is set when actions come from NotAction.
	notAction bool
	actionKey string
	resources []item
	// notResource is set when resources come from NotResource.
	notResource  bool
	hasResource  bool
	principal    *policy.Node // Principal or NotPrincipal value
	principalKey string       // "Principal" or "NotPrincipal"
	conds        []condition
}

// condition is one key test of a Condition block.
type condition struct {
	op      string
	opPath  path // [..., Condition, {value: op}]
	opMem   policy.Member
	key     string
	keyPath path // [..., Condition, {value: op}, {key: key}] for the key itself
	keyMem  policy.Member
	valPath path // [..., Condition, {value: op}, {value: key}]
	values  []item
	valNode *policy.Node
}

// document checks the top level of the policy and then each statement.
func (v *validator) document(root *policy.Node) {
	if root.Kind != policy.ObjectNode {
		v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type Object.", nil, root)
		return
	}
	var version, stmts *policy.Node
	for _, m := range root.Members {
		switch m.Key {
		case "Version":
			version = m.Value
		case "Id":
			if m.Value.Kind != policy.StringNode {
				v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type String.", path{}.val("Id"), m.Value)
			} else if hasVariable(m.Value.Text) {
				v.at("VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are supported in the Resource and Condition elements. Remove the policy variable "+m.Value.Text+" from this element.", path{}.val("Id"), m.Value)
			}
		case "Statement":
			stmts = m.Value
		default:
			v.atKey("INVALID_POLICY_ELEMENT", "The policy element "+m.Key+" is not supported.", path{}.key(m.Key), m)
		}
	}
	v.version(root, version)
	v.variablesAllowed = version != nil && version.Kind == policy.StringNode && version.Text == policy.Version2012
	if stmts == nil {
		v.add("MISSING_STATEMENT", "Add a statement to the policy", nil, root.Start, root.Start)
		return
	}
	var list []*policy.Node
	var paths []path
	switch stmts.Kind {
	case policy.ObjectNode:
		list, paths = []*policy.Node{stmts}, []path{path{}.val("Statement")}
	case policy.ArrayNode:
		if len(stmts.Elems) == 0 {
			v.at("MISSING_STATEMENT", "Add a statement to the policy", path{}.val("Statement"), stmts)
			return
		}
		for i, e := range stmts.Elems {
			list, paths = append(list, e), append(paths, path{}.val("Statement").idx(i))
		}
	default:
		v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type List.", path{}.val("Statement"), stmts)
		return
	}
	var parsed []*statement
	for i, n := range list {
		if n.Kind != policy.ObjectNode {
			v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type Object.", paths[i], n)
			continue
		}
		s := v.statement(paths[i], n)
		parsed = append(parsed, s)
		v.checkStatement(s)
	}
	v.sids(parsed)
	v.redundantStatements(parsed)
	v.size(root)
}

// version checks the Version element.
func (v *validator) version(root, n *policy.Node) {
	p := path{}.val("Version")
	switch {
	case n == nil:
		v.add("MISSING_VERSION", "We recommend that you specify the Version element to help you with debugging permission issues.",
			nil, root.Start, root.Start)
	case n.Kind != policy.StringNode:
		v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type String.", p, n)
	case n.Text != policy.Version2012 && n.Text != policy.Version2008:
		v.at("INVALID_VERSION", "The version "+n.Text+" is not valid. Use one of the following versions: "+policy.Version2012+", "+policy.Version2008, p, n)
	}
}

// statement reads one statement and runs the grammar checks on its elements.
func (v *validator) statement(p path, n *policy.Node) *statement {
	s := &statement{path: p, node: n}
	for _, m := range n.Members {
		mp := p.val(m.Key)
		switch m.Key {
		case "Sid":
			if m.Value.Kind != policy.StringNode {
				v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type String.", mp, m.Value)
				continue
			}
			s.sid = &item{m.Value.Text, mp, -1, m.Value}
		case "Effect":
			switch {
			case m.Value.Kind != policy.StringNode:
				v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type String.", mp, m.Value)
			case m.Value.Text == "Allow" || m.Value.Text == "Deny":
				s.effect = m.Value.Text
			default:
				v.at("INVALID_EFFECT", "The effect "+m.Value.Text+" is not valid. Use Allow or Deny.", mp, m.Value)
			}
		case "Action", "NotAction":
			if s.actionKey != "" {
				v.atKey("UNSUPPORTED_ELEMENT_COMBINATION", "The policy elements Action and NotAction can not be used in the same statement. Remove one of these elements.", p.key(m.Key), m)
				continue
			}
			s.actionKey, s.notAction = m.Key, m.Key == "NotAction"
			s.actions = v.strs(mp, m.Value)
			if m.Value.Kind == policy.ArrayNode && len(m.Value.Elems) == 0 {
				v.at("EMPTY_ARRAY_ACTION", "This statement includes no actions and does not affect the policy. Specify actions.", mp, m.Value)
			}
		case "Resource", "NotResource":
			if s.hasResource {
				v.atKey("UNSUPPORTED_ELEMENT_COMBINATION", "The policy elements Resource and NotResource can not be used in the same statement. Remove one of these elements.", p.key(m.Key), m)
				continue
			}
			s.hasResource, s.notResource = true, m.Key == "NotResource"
			if v.trust {
				v.atKey("ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", "Role trust policies do not support the "+m.Key+" element. Remove the "+m.Key+" element.", p.key(m.Key), m)
				continue
			}
			s.resources = v.strs(mp, m.Value)
			if m.Value.Kind == policy.ArrayNode && len(m.Value.Elems) == 0 {
				v.at("EMPTY_ARRAY_RESOURCE", "This statement includes no resources and does not affect the policy. Specify resources.", mp, m.Value)
			}
		case "Principal", "NotPrincipal":
			if s.principal != nil {
				v.atKey("UNSUPPORTED_ELEMENT_COMBINATION", "The policy elements Principal and NotPrincipal can not be used in the same statement. Remove one of these elements.", p.key(m.Key), m)
				continue
			}
			s.principal, s.principalKey = m.Value, m.Key
			v.principalElement(s, p.key(m.Key), m)
		case "Condition":
			s.conds = v.conditionBlock(mp, m.Value)
		default:
			v.atKey("INVALID_POLICY_ELEMENT", "The policy element "+m.Key+" is not valid.", p.key(m.Key), m)
		}
	}
	if s.effect == "" && !hasMember(n, "Effect") {
		v.at("MISSING_EFFECT", "Add an Effect element to the policy statement with a value of Allow or Deny.", p, n)
	}
	if s.actionKey == "" {
		v.at("MISSING_ACTION", "Add an Action or NotAction element to the policy statement.", p, n)
	}
	if !s.hasResource && (v.typ == IdentityPolicy || (v.typ == ResourcePolicy && !v.trust)) {
		v.at("MISSING_RESOURCE", "Add a Resource or NotResource element to the policy statement.", p, n)
	}
	if s.principal == nil && (v.typ == ResourcePolicy || v.typ == ResourceControlPolicy) {
		v.at("MISSING_PRINCIPAL", "Add a Principal element to the policy statement.", p, n)
	}
	return s
}

// principalElement checks whether the policy type allows a Principal or
// NotPrincipal element, and its contents.
func (v *validator) principalElement(s *statement, keyPath path, m policy.Member) {
	switch {
	case v.typ == IdentityPolicy:
		v.atKey("UNSUPPORTED_PRINCIPAL", "The policy type IDENTITY_POLICY does not support the "+m.Key+" element. Remove the "+m.Key+" element.", keyPath, m)
		return
	case v.typ == ServiceControlPolicy:
		v.atKey("SCP_SYNTAX_ERROR_PRINCIPAL", "SCPs do not support specifying principals. Remove the Principal or NotPrincipal element.", keyPath, m)
		return
	case v.typ == ResourceControlPolicy && (m.Key == "NotPrincipal" || !(isStar(m.Value) || isAWSStar(m.Value))):
		v.atKey("RCP_SYNTAX_ERROR_PRINCIPAL", "RCPs only support specifying \"*\" in the Principal element.", keyPath, m)
		return
	case v.trust && m.Key == "NotPrincipal":
		v.atKey("ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", "Role trust policies do not support NotPrincipal. Update the policy to use a Principal element instead.", keyPath, m)
		return
	}
	v.principalValue(s, s.path.val(m.Key), m.Value)
}

// isStar reports whether n is the string "*".
func isStar(n *policy.Node) bool { return n.Kind == policy.StringNode && n.Text == "*" }

// isAWSStar reports whether n is {"AWS": "*"} or {"AWS": ["*"]}.
func isAWSStar(n *policy.Node) bool {
	if n.Kind != policy.ObjectNode || len(n.Members) != 1 || n.Members[0].Key != "AWS" {
		return false
	}
	a := n.Members[0].Value
	return isStar(a) || (a.Kind == policy.ArrayNode && len(a.Elems) == 1 && isStar(a.Elems[0]))
}

func hasMember(n *policy.Node, key string) bool {
	for _, m := range n.Members {
		if m.Key == key {
			return true
		}
	}
	return false
}

// caseDuplicates reports condition keys that repeat another key of the same
// condition block in a different case.
func (v *validator) caseDuplicates(p path, n *policy.Node) {
	for i, m := range n.Members {
		for _, prev := range n.Members[:i] {
			if prev.Key != m.Key && strings.EqualFold(prev.Key, m.Key) {
				v.atKey("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", "The condition key "+m.Key+" appears more than once with different capitalization in the same condition block. Remove the duplicate condition keys.", p.key(m.Key), m)
				break
			}
		}
	}
}

var sidChars = regexp.MustCompile(`^[0-9A-Za-z]*$`)

// sids checks the Sid values: empty, unsupported characters and duplicates.
func (v *validator) sids(stmts []*statement) {
	seen := map[string]bool{}
	for _, s := range stmts {
		if s.sid == nil {
			continue
		}
		sid := s.sid
		switch {
		case sid.text == "":
			v.at("EMPTY_SID_VALUE", "Add a value to the empty string in the Sid element.", sid.loc(), sid.node)
			continue
		case hasVariable(sid.text):
			v.at("VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are supported in the Resource and Condition elements. Remove the policy variable "+sid.text+" from this element.", sid.loc(), sid.node)
		case v.typ != ResourcePolicy && !sidChars.MatchString(sid.text):
			v.at("UNSUPPORTED_SID", "Update the characters in the Sid element to use one of the following character types: [a-z, A-Z, 0-9]", sid.loc(), sid.node)
		}
		if seen[sid.text] {
			if v.typ == ResourcePolicy && !v.trust {
				v.at("UNIQUE_SIDS_RECOMMENDED", "We recommend that you use statement IDs that are unique to your policy. Update the Sid value.", sid.loc(), sid.node)
			} else {
				v.at("UNIQUE_SIDS_REQUIRED", "Duplicate statement IDs are not supported for this policy type. Update the Sid value.", sid.loc(), sid.node)
			}
		}
		seen[sid.text] = true
	}
}

// Policy size quotas in characters: identity (managed) policies and trust
// policies count characters other than white space, SCPs and RCPs every
// character.
const (
	identityPolicyQuota = 6144
	trustPolicyQuota    = 2048
	scpQuota            = 5120
	rcpQuota            = 5120
	s3BucketPolicyQuota = 20480
)

// size checks the document against its type's size quota.
func (v *validator) size(root *policy.Node) {
	nonSpace := 0
	for _, r := range v.doc {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			nonSpace++
		}
	}
	all := len([]rune(v.doc))
	var code string
	var quota, n int
	switch {
	case v.typ == IdentityPolicy:
		code, quota, n = "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", identityPolicyQuota, nonSpace
	case v.trust:
		code, quota, n = "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA", trustPolicyQuota, nonSpace
	case v.typ == ServiceControlPolicy:
		code, quota, n = "POLICY_SIZE_EXCEEDS_SCP_QUOTA", scpQuota, all
	case v.typ == ResourceControlPolicy:
		code, quota, n = "POLICY_SIZE_EXCEEDS_RCP_QUOTA", rcpQuota, all
	case v.typ == ResourcePolicy && v.opts.ResourceType == "AWS::S3::Bucket":
		code, quota, n = "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA", s3BucketPolicyQuota, all
	default:
		return
	}
	if n > quota {
		v.at(code, sizeDetails[code], nil, root)
	}
}

// sizeDetails are AWS's texts for the size checks.
var sizeDetails = map[string]string{
	"POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA":   "The characters in the identity policy, excluding whitespace, exceed the character maximum for inline and managed policies. We recommend that you use multiple granular policies.",
	"POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA": "The characters in the role trust policy, excluding whitespace, exceed the character maximum. We recommend that you request a role trust policy length quota increase using Service Quotas and AWS Support Center.",
	"POLICY_SIZE_EXCEEDS_SCP_QUOTA":               "The characters in the service control policy (SCP) exceed the character maximum for SCPs. We recommend that you use multiple granular policies.",
	"POLICY_SIZE_EXCEEDS_RCP_QUOTA":               "The characters in the resource control policy (RCP) exceed the character maximum for RCPs. We recommend that you use multiple granular policies.",
	"POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA":   "The characters in the resource policy exceed the character maximum for this resource type. We recommend that you use multiple granular policies.",
}

// hasVariable reports whether s contains a policy variable reference.
func hasVariable(s string) bool { return strings.Contains(s, "${") }
