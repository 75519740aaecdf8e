package analyzer

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/catalog"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// conditionBlock reads a Condition element and runs the checks that need
// only its own text.
func (v *validator) conditionBlock(p path, n *policy.Node) []condition {
	if n.Kind != policy.ObjectNode {
		v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type Object.", p, n)
		return nil
	}
	if len(n.Members) == 0 {
		v.at("EMPTY_OBJECT_CONDITION", "The condition element is an empty object and does not affect the policy. Remove it or add conditions.", p, n)
		return nil
	}
	var out []condition
	for _, om := range n.Members {
		op := om.Key
		opPath := p.val(op)
		base := strings.TrimPrefix(strings.TrimPrefix(op, "ForAllValues:"), "ForAnyValue:")
		switch {
		case op == "NullIfExists":
			v.atKey("NULL_WITH_IF_EXISTS", "You cannot use the IfExists suffix with the Null condition operator.", p.key(op), om)
			continue
		case base == "Null" && base != op:
			v.atKey("NULL_WITH_QUALIFIER", "Avoid using the Null condition operator with the ForAllValues or ForAnyValue qualifiers because they always return true or false.", p.key(op), om)
			continue
		}
		if _, ok := policy.ParseOperator(op); !ok {
			v.atKey("INVALID_CONDITION_OPERATOR", "The condition operator "+op+" is not valid.", p.key(op), om)
			continue
		}
		if om.Value.Kind != policy.ObjectNode {
			v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type Object.", opPath, om.Value)
			continue
		}
		if len(om.Value.Members) == 0 {
			v.at("EMPTY_OBJECT_CONDITION", "The condition element is an empty object and does not affect the policy. Remove it or add conditions.", opPath, om.Value)
			continue
		}
		v.caseDuplicates(opPath, om.Value)
		for _, km := range om.Value.Members {
			c := condition{op: op, opPath: opPath, opMem: om, key: km.Key, keyPath: opPath.key(km.Key), keyMem: km,
				valPath: opPath.val(km.Key), valNode: km.Value}
			c.values = v.conditionValues(c)
			out = append(out, c)
		}
	}
	return out
}

// conditionValues reads the values of one condition key: strings, numbers
// and booleans, alone or in an array.
func (v *validator) conditionValues(c condition) []item {
	n := c.valNode
	scalar := func(e *policy.Node) bool {
		return e.Kind == policy.StringNode || e.Kind == policy.NumberNode || e.Kind == policy.BoolNode
	}
	switch {
	case scalar(n):
		return []item{{n.Text, c.valPath, -1, n}}
	case n.Kind == policy.ArrayNode:
		if len(n.Elems) == 0 {
			code := "EMPTY_ARRAY_CONDITION"
			switch {
			case strings.HasPrefix(c.op, "ForAllValues:"):
				code = "EMPTY_ARRAY_CONDITION_FORALLVALUES"
			case strings.HasPrefix(c.op, "ForAnyValue:"):
				code = "EMPTY_ARRAY_CONDITION_FORANYVALUE"
			case strings.HasSuffix(c.op, "IfExists"):
				code = "EMPTY_ARRAY_CONDITION_IFEXISTS"
			}
			v.at(code, "The condition key "+c.key+" has an empty array of values and does not affect the policy as intended. Specify values.", c.valPath, n)
			return nil
		}
		out := make([]item, 0, len(n.Elems))
		for i, e := range n.Elems {
			if !scalar(e) {
				v.at("INVALID_CONDITION_DATA_TYPE", "Condition values must be strings, numbers or Booleans.", c.valPath.idx(i), e)
				continue
			}
			out = append(out, item{e.Text, c.valPath, i, e})
		}
		return out
	}
	v.at("INVALID_CONDITION_DATA_TYPE", "Condition values must be strings, numbers or Booleans.", c.valPath, n)
	return nil
}

// checkConditions checks each condition's key against the catalogue and the
// operator, and its values against the operator's type.
func (v *validator) checkConditions(s *statement) {
	for _, c := range s.conds {
		op, _ := policy.ParseOperator(c.op)
		info, known := v.conditionKey(s, c)
		if known {
			v.keyType(c, op, info)
		}
		v.conditionValuesType(c, op)
	}
}

// providerKey matches the keys of web identity and SAML providers, which
// the catalogue does not list: "accounts.google.com:aud", "saml:sub", …
var providerKey = regexp.MustCompile(`(?i)^([a-z0-9-]+\.)+[a-z]+(/[^:]*)?:|^saml:`)

// conditionKey checks a condition key's format and that the catalogue knows
// it; it returns the key's description when it does.
func (v *validator) conditionKey(s *statement, c condition) (catalog.KeyInfo, bool) {
	key := c.key
	at := func(code, details string) { v.atKey(code, details, c.keyPath, c.keyMem) }
	if hasVariable(key) {
		at("VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are not supported in condition keys.")
		return catalog.KeyInfo{}, false
	}
	prefix, name, ok := strings.Cut(key, ":")
	if !ok || prefix == "" || name == "" {
		at("INVALID_CONDITION_KEY_FORMAT", "The condition key "+key+" is not valid. Use the format service:keyname.")
		return catalog.KeyInfo{}, false
	}
	if providerKey.MatchString(key) {
		return catalog.KeyInfo{}, false
	}
	info, found := catalog.ConditionKey(key, "")
	if !found {
		if _, tagged := catalog.ConditionKey(key+"/tag", ""); tagged && !strings.Contains(name, "/") {
			at("MISSING_TAG_KEY_IN_CONDITION", "The condition key "+key+" must include a tag key, e.g. "+key+"/team.")
			return catalog.KeyInfo{}, false
		}
		switch {
		case strings.EqualFold(prefix, "aws"):
			at("INVALID_GLOBAL_CONDITION_KEY", "The condition key "+key+" does not exist. Use a valid condition key.")
		default:
			if _, svc := catalog.Service(prefix); !svc {
				at("INVALID_SERVICE", "The service "+prefix+" in the condition key "+key+" does not exist.")
			} else {
				at("INVALID_SERVICE_CONDITION_KEY", "The condition key "+key+" does not exist in the service "+prefix+". Use a valid condition key.")
			}
		}
		return catalog.KeyInfo{}, false
	}
	if !info.Global && !s.notAction && !strings.HasSuffix(c.op, "IfExists") {
		var unsupported []string
		for _, a := range s.actions {
			if strings.ContainsAny(a.text, "*?") || !strings.HasPrefix(strings.ToLower(a.text), strings.ToLower(info.Service)+":") {
				continue
			}
			if _, exists := catalog.Action(a.text); !exists {
				continue
			}
			if _, ok := catalog.ConditionKey(key, a.text); !ok {
				unsupported = append(unsupported, a.text)
			}
		}
		if len(unsupported) > 0 {
			at("UNSUPPORTED_ACTION_FOR_CONDITION_KEY", "The following actions: "+strings.Join(unsupported, ", ")+" are not supported by the condition key "+key+". The actions will not be allowed or denied by the condition as intended.")
		}
	}
	return info, true
}

// familyTypes are the key types each operator family tests as intended.
var familyTypes = map[string][]catalog.KeyType{
	"String":    {catalog.TypeString, catalog.TypeARN},
	"Arn":       {catalog.TypeARN, catalog.TypeString},
	"Numeric":   {catalog.TypeNumeric},
	"Date":      {catalog.TypeDate},
	"Bool":      {catalog.TypeBool},
	"IpAddress": {catalog.TypeIPAddress},
}

// keyType checks the operator against the key's type and its set qualifier
// against whether the key is multivalued.
func (v *validator) keyType(c condition, op policy.Operator, info catalog.KeyInfo) {
	if want, ok := familyTypes[op.Family()]; ok && info.Type != "" {
		match := false
		for _, t := range want {
			match = match || info.Type.Elem() == t
		}
		if !match {
			v.atKey("TYPE_MISMATCH", "Use an operator of type "+string(info.Type.Elem())+" instead of operator "+c.op+" for the condition key "+c.key+".", c.keyPath, c.keyMem)
		}
	}
	if op.SetQualifier() == "ForAllValues" && info.Type != "" && !info.Type.IsArray() {
		v.atKey("FORALLVALUES_WITH_SINGLE_VALUED_KEY", "Using ForAllValues qualifier with the single-valued condition key "+c.key+" can be overly permissive. We recommend that you remove ForAllValues:.", c.keyPath, c.keyMem)
	}
}

var (
	vpcID  = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	vpceID = regexp.MustCompile(`^vpce-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// conditionValuesType checks the values of a condition against the type
// its operator compares.
func (v *validator) conditionValuesType(c condition, op policy.Operator) {
	family := op.Family()
	bools := map[string]bool{}
	private := 0
	for _, val := range c.values {
		if hasVariable(val.text) {
			if !v.variables(val) {
				continue
			}
			if family != "String" && family != "Arn" {
				v.at("INVALID_VARIABLE_FOR_OPERATOR", "Policy variables can only be used with String and ARN operators; "+c.op+" does not support them.", val.loc(), val.node)
			}
			continue
		}
		switch family {
		case "Bool", "Null":
			lv := strings.ToLower(val.text)
			if lv != "true" && lv != "false" {
				v.at("TYPE_MISMATCH_BOOLEAN", "Add a valid Boolean value (true or false) for the condition operator "+c.op+".", val.loc(), val.node)
				continue
			}
			bools[lv] = true
		case "Numeric":
			if _, err := strconv.ParseFloat(val.text, 64); err != nil {
				v.at("TYPE_MISMATCH_NUMBER", "Add a valid numeric value for the condition operator "+c.op+".", val.loc(), val.node)
			}
		case "Date":
			if !validDate(val.text) {
				v.at("TYPE_MISMATCH_DATE", "The date condition operator is used with an invalid value. Specify a valid date using YYYY-MM-DD or other ISO 8601 date/time format.", val.loc(), val.node)
			}
		case "IpAddress":
			isPrivate, ok := v.ipValue(c, val)
			if ok && isPrivate {
				private++
			}
		case "String", "Arn":
			if !strings.Contains(c.op, "Like") && strings.ContainsAny(val.text, "*?") {
				v.at("WILDCARD_WITHOUT_LIKE_OPERATOR", "Your condition value includes a * or ? character. If you meant to use a wildcard (*, ?), update the condition operator to include Like.", val.loc(), val.node)
			}
			switch {
			case strings.EqualFold(c.key, "aws:SourceVpc") && !vpcID.MatchString(val.text) && !strings.ContainsAny(val.text, "*?"):
				v.at("INVALID_VPC_FORMAT", "The VPC identifier "+val.text+" in the condition key value is not valid. Use the format vpc-xxxxxxxx.", val.loc(), val.node)
			case strings.EqualFold(c.key, "aws:SourceVpce") && !vpceID.MatchString(val.text) && !strings.ContainsAny(val.text, "*?"):
				v.at("INVALID_VPCE_FORMAT", "The VPC endpoint identifier "+val.text+" in the condition key value is not valid. Use the format vpce-xxxxxxxx.", val.loc(), val.node)
			}
		}
	}
	if bools["true"] && bools["false"] && family == "Bool" {
		v.at("INVALID_CONDITION_MULTIPLE_BOOLEAN", "The condition key "+c.key+" does not support multiple Boolean values. Specify true or false.", c.valPath, c.valNode)
	}
	if family == "Numeric" && len(c.values) > 1 && !strings.Contains(c.op, "Equals") {
		v.at("REDUNDANT_CONDITION_VALUE_NUM", "Multiple values in "+c.op+" are redundant: the condition is true when the least restrictive value matches. Keep one value.", c.valPath, c.valNode)
	}
	if private > 0 && strings.EqualFold(c.key, "aws:SourceIp") {
		negated := op.Negated()
		switch {
		case private == len(c.values) && !negated:
			v.at("PRIVATE_IP_ADDRESS", "aws:SourceIp works only for public IP address ranges. The values for condition key aws:SourceIp include only private IP addresses and will not have the desired effect.", c.valPath, c.valNode)
		case private == len(c.values):
			v.at("PRIVATE_NOT_IP_ADDRESS", "The values for condition key aws:SourceIp include only private IP addresses and has no effect. aws:SourceIp works only for public IP address ranges.", c.valPath, c.valNode)
		case !negated:
			v.at("PRIVATE_IP_ADDRESS_SUBSET", "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses will not have the desired effect.", c.valPath, c.valNode)
		default:
			v.at("PRIVATE_NOT_IP_ADDRESS_SUBSET", "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses have no effect.", c.valPath, c.valNode)
		}
	}
}

// ipValue checks an IpAddress operator's value and reports whether it is a
// private range.
func (v *validator) ipValue(c condition, val item) (isPrivate, ok bool) {
	var prefix netip.Prefix
	if strings.Contains(val.text, "/") {
		pf, err := netip.ParsePrefix(val.text)
		if err != nil {
			v.at("TYPE_MISMATCH_IP_RANGE", "The IP address range "+val.text+" is not valid. Use CIDR notation, e.g. 192.0.2.0/24.", val.loc(), val.node)
			return false, false
		}
		if pf.Masked() != pf {
			v.at("IMPROVE_IP_RANGE", "The non-zero bits in the IP address after the masked bits are ignored. Replace "+val.text+" with "+pf.Masked().String()+".", val.loc(), val.node)
		}
		prefix = pf.Masked()
	} else {
		a, err := netip.ParseAddr(val.text)
		if err != nil {
			v.at("TYPE_MISMATCH_IP_RANGE", "The IP address "+val.text+" is not valid. Use CIDR notation, e.g. 192.0.2.0/24.", val.loc(), val.node)
			return false, false
		}
		prefix = netip.PrefixFrom(a, a.BitLen())
	}
	return prefix.Addr().IsPrivate() && prefix.Bits() >= privateBits(prefix.Addr()), true
}

// privateBits is the prefix length of the private range an address is in,
// so that a prefix wider than it is not counted as private.
func privateBits(a netip.Addr) int {
	if a.Is4() {
		switch b := a.As4(); {
		case b[0] == 10:
			return 8
		case b[0] == 172:
			return 12
		default:
			return 16
		}
	}
	return 7
}

// validDate reports whether s is a date AWS accepts: an ISO 8601 date or
// date-time, or a number of seconds since the epoch.
func validDate(s string) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// variables checks the syntax of the policy variables in a value and
// reports whether it is well formed.
func (v *validator) variables(it item) bool {
	s := it.text
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return true
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			v.at("MISSING_BRACE_IN_VARIABLE", "Add a closing brace (}) to the policy variable in "+it.text+".", it.loc(), it.node)
			return false
		}
		body := s[i+2 : i+end]
		switch {
		case body == "":
			v.at("EMPTY_VARIABLE", "Add a variable name to the empty policy variable ${} in "+it.text+".", it.loc(), it.node)
			return false
		case len(body) == 1 && strings.ContainsAny(body, "*?$"):
			// ${*}, ${?} and ${$} are the escapes for literal characters.
		case strings.Contains(body, ","):
			name, def, _ := strings.Cut(body, ",")
			def = strings.TrimSpace(def)
			if strings.Contains(name, " ") {
				v.at("UNSUPPORTED_SPACE_IN_VARIABLE", "Remove the spaces in the policy variable name in "+it.text+".", it.loc(), it.node)
				return false
			}
			if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
				v.at("MISSING_QUOTE_IN_VARIABLE", "Enclose the default value of the policy variable in single quotes in "+it.text+".", it.loc(), it.node)
				return false
			}
		case strings.Contains(body, " "):
			v.at("UNSUPPORTED_SPACE_IN_VARIABLE", "Remove the spaces in the policy variable name in "+it.text+".", it.loc(), it.node)
			return false
		}
		s = s[i+end+1:]
	}
}
