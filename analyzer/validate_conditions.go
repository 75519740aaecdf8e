package analyzer

import (
	"encoding/base64"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/arn"
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
		v.at("EMPTY_OBJECT_CONDITION", "This condition block is empty and it does not affect the policy. Specify conditions.", p, n)
		return nil
	}
	var out []condition
	for _, om := range n.Members {
		op := om.Key
		opPath := p.val(op)
		base := strings.TrimPrefix(strings.TrimPrefix(op, "ForAllValues:"), "ForAnyValue:")
		switch {
		case op == "NullIfExists":
			v.atKey("NULL_WITH_IF_EXISTS", "The Null condition operator cannot be used with the IfExists suffix. Update the operator or the suffix.", p.key(op), om)
			continue
		case base == "Null" && base != op:
			v.atKey("NULL_WITH_QUALIFIER", "Avoid using the Null condition operator with the ForAllValues or ForAnyValue qualifiers because they always return a true or false respectively.", p.key(op), om)
			continue
		}
		if _, ok := policy.ParseOperator(op); !ok {
			v.atKey("INVALID_CONDITION_OPERATOR", "The condition operator "+op+" is not valid. Use a valid condition operator.", p.key(op), om)
			continue
		}
		if om.Value.Kind != policy.ObjectNode {
			v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type Object.", opPath, om.Value)
			continue
		}
		if len(om.Value.Members) == 0 {
			v.at("EMPTY_OBJECT_CONDITION", "This condition block is empty and it does not affect the policy. Specify conditions.", opPath, om.Value)
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
			code, details := emptyArrayCondition(c.op)
			v.at(code, details, c.valPath, n)
			return nil
		}
		out := make([]item, 0, len(n.Elems))
		mixed := false
		for i, e := range n.Elems {
			if !scalar(e) {
				v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type String.", c.valPath.idx(i), e)
				continue
			}
			mixed = mixed || e.Kind != n.Elems[0].Kind
			out = append(out, item{e.Text, c.valPath, i, e})
		}
		if mixed {
			v.at("INVALID_CONDITION_DATA_TYPE", "The condition value data types do not match. Use condition values of the same JSON data type.", c.valPath, n)
		}
		return out
	}
	v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type List.", c.valPath, n)
	return nil
}

// emptyArrayCondition returns the finding for a condition key with no
// values, which depends on the operator's qualifier and suffix.
func emptyArrayCondition(op string) (code, details string) {
	switch {
	case strings.HasPrefix(op, "ForAllValues:"):
		return "EMPTY_ARRAY_CONDITION_FORALLVALUES", "The ForAllValues prefix with an empty condition key matches only if the key is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead."
	case strings.HasPrefix(op, "ForAnyValue:"):
		return "EMPTY_ARRAY_CONDITION_FORANYVALUE", "The ForAnyValue prefix with an empty condition key never matches the request context and it does not affect the policy. Specify conditions."
	case strings.HasSuffix(op, "IfExists"):
		return "EMPTY_ARRAY_CONDITION_IFEXISTS", "The IfExists suffix with an empty condition key matches only if the key is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead."
	}
	return "EMPTY_ARRAY_CONDITION", "There are no values for the condition key and it does not affect the policy. Specify conditions."
}

// checkConditions checks each condition's key against the catalogue and the
// operator, its values against the operator's type, and the statement's
// conditions as a whole.
func (v *validator) checkConditions(s *statement) {
	for _, c := range s.conds {
		op, _ := policy.ParseOperator(c.op)
		info, known := v.conditionKey(s, c)
		if known {
			v.keyType(c, op, info)
		}
		v.conditionValuesType(c, op)
	}
	v.pairedKeys(s)
	v.tagKeySupport(s)
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
		at("VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are supported in the Resource and Condition elements. Remove the policy variable "+key+" from this element.")
		return catalog.KeyInfo{}, false
	}
	prefix, name, ok := strings.Cut(key, ":")
	if !ok || prefix == "" || name == "" {
		at("INVALID_CONDITION_KEY_FORMAT", "The condition key format is not valid. Use the format service:keyname.")
		return catalog.KeyInfo{}, false
	}
	if providerKey.MatchString(key) {
		return catalog.KeyInfo{}, false
	}
	if strings.EqualFold(key, "aws:ARN") {
		if v.typ == ServiceControlPolicy || v.typ == ResourceControlPolicy {
			at("UNSUPPORTED_GLOBAL_CONDITION_KEY", "The condition key aws:ARN is not supported. Use aws:PrincipalArn or aws:SourceArn instead.")
		} else {
			at("DEPRECATED_GLOBAL_CONDITION_KEY", "We recommend that you update aws:ARN to use the newer condition keys aws:PrincipalArn or aws:SourceArn.")
		}
		return catalog.KeyInfo{}, false
	}
	info, found := catalog.ConditionKey(key, "")
	if !found {
		if _, tagged := catalog.ConditionKey(key+"/tag", ""); tagged && !strings.Contains(name, "/") {
			at("MISSING_TAG_KEY_IN_CONDITION", "The condition key "+key+" must include a tag key to control access based on tags. Use the format "+key+"/tag-key and specify a key name for tag-key.")
			return catalog.KeyInfo{}, false
		}
		switch {
		case strings.EqualFold(prefix, "aws"):
			at("INVALID_GLOBAL_CONDITION_KEY", "The condition key "+key+" does not exist. Use a valid condition key.")
		default:
			if _, svc := catalog.Service(prefix); !svc {
				at("INVALID_SERVICE", "The service "+prefix+" does not exist. Use a valid service name.")
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

// pairedKeys reports keys that are only safe together with another key in
// the same statement: aws:VpcSourceIp without aws:SourceVpc.
func (v *validator) pairedKeys(s *statement) {
	has := func(key string) bool {
		for _, c := range s.conds {
			if strings.EqualFold(c.key, key) {
				return true
			}
		}
		return false
	}
	for _, c := range s.conds {
		if strings.EqualFold(c.key, "aws:VpcSourceIp") && !has("aws:SourceVpc") {
			v.atKey("MISSING_PAIRED_CONDITION_KEYS", "Using the condition key aws:VpcSourceIp can be overly permissive without also using the following condition keys: aws:SourceVpc. Condition keys like this one are more secure when paired with a related key. We recommend that you add the related condition keys to the same condition block.", c.keyPath, c.keyMem)
		}
	}
}

// resourceTagKey is the template name under which the catalogue lists
// aws:ResourceTag for the actions and resource types that support it.
const resourceTagKey = "aws:ResourceTag/${TagKey}"

// tagKeySupport reports statements that test aws:ResourceTag on actions of
// services whose resources do not carry the key, so that the condition never
// matches them.
func (v *validator) tagKeySupport(s *statement) {
	for _, c := range s.conds {
		if !strings.HasPrefix(strings.ToLower(c.key), "aws:resourcetag/") || strings.HasSuffix(c.op, "IfExists") {
			continue
		}
		if s.notAction {
			switch s.effect {
			case "Deny":
				v.atKey("DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", "Using the effect Deny with NotAction and the tag condition key "+c.key+" can be overly permissive because some service actions are not denied by this statement. This is because the condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction.", c.keyPath, c.keyMem)
			case "Allow":
				v.atKey("ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", "Using the effect Allow with NotAction and the tag condition key "+c.key+" allows only service actions that support the condition key. The condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction.", c.keyPath, c.keyMem)
			}
			continue
		}
		var prefixes []string
		for _, a := range s.actions {
			svc, name, ok := strings.Cut(a.text, ":")
			info, known := catalog.Service(svc)
			if !ok || !known || slices.Contains(prefixes, info.Prefix) || supportsResourceTag(info, name) {
				continue
			}
			prefixes = append(prefixes, info.Prefix)
		}
		if len(prefixes) == 0 {
			continue
		}
		list := strings.Join(prefixes, ", ")
		switch s.effect {
		case "Deny":
			v.atKey("DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", "Using the effect Deny with the tag condition key "+c.key+" and actions for services with the following prefixes can be overly permissive: "+list+". Actions for the listed services are not denied by this statement. We recommend that you move these actions to a different statement without this condition key.", c.keyPath, c.keyMem)
		case "Allow":
			v.atKey("ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", "Using the effect Allow with the tag condition key "+c.key+" and actions for services with the following prefixes does not affect the policy: "+list+". Actions for the listed service are not allowed by this statement. We recommend that you move these actions to a different statement without this condition key.", c.keyPath, c.keyMem)
		}
	}
}

// supportsResourceTag reports whether some action of the service matching
// the name pattern can be controlled with aws:ResourceTag: the catalogue
// lists the key for the action or for a resource type it applies to.
func supportsResourceTag(info *catalog.ServiceInfo, pattern string) bool {
	for _, a := range info.Actions {
		if !arn.Glob(pattern, a.Name, true) {
			continue
		}
		if slices.ContainsFunc(a.ConditionKeys, isResourceTagKey) {
			return true
		}
		for _, r := range a.Resources {
			if slices.ContainsFunc(r.ConditionKeys, isResourceTagKey) || slices.ContainsFunc(r.Type.ConditionKeys, isResourceTagKey) {
				return true
			}
		}
	}
	return false
}

func isResourceTagKey(k string) bool { return strings.EqualFold(k, resourceTagKey) }

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
			v.atKey("TYPE_MISMATCH", "Use the operator type "+string(info.Type.Elem())+" instead of operator "+c.op+" for the condition key "+c.key+".", c.keyPath, c.keyMem)
		}
	}
	switch {
	case info.Type == "":
	case op.SetQualifier() == "ForAllValues" && !info.Type.IsArray():
		v.atKey("FORALLVALUES_WITH_SINGLE_VALUED_KEY", "Using ForAllValues qualifier with the single-valued condition key "+c.key+" can be overly permissive. We recommend that you remove ForAllValues:.", c.keyPath, c.keyMem)
	case op.SetQualifier() == "" && info.Type.IsArray() && op.Family() != "Null":
		v.atKey("MISSING_QUALIFIER", "The request context key "+c.key+" has multiple values. Use the ForAllValues or ForAnyValue condition key qualifiers in your policy.", c.keyPath, c.keyMem)
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
				v.at("INVALID_VARIABLE_FOR_OPERATOR", "Policy variables can only be used with String and ARN operators.", val.loc(), val.node)
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
			switch {
			case isEpoch(val.text):
				v.at("INVALID_DATE_VALUE", "The date "+val.text+" might not resolve as expected. We recommend that you use the YYYY-MM-DD format.", val.loc(), val.node)
			case !validDate(val.text):
				v.at("TYPE_MISMATCH_DATE", "The date condition operator is used with an invalid value. Specify a valid date using YYYY-MM-DD or other ISO 8601 date/time format.", val.loc(), val.node)
			}
		case "Binary":
			if _, err := base64.StdEncoding.DecodeString(val.text); err != nil {
				v.at("TYPE_MISMATCH_STRING", "Add a valid base64-encoded string value for the condition operator "+c.op+".", val.loc(), val.node)
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
			if !strings.ContainsAny(val.text, "*?") {
				v.wellKnownValue(c, val)
			}
		}
	}
	if bools["true"] && bools["false"] && family == "Bool" {
		v.at("INVALID_CONDITION_MULTIPLE_BOOLEAN", "The condition key "+c.key+" does not support multiple Boolean values. Use a single Boolean value.", c.valPath, c.valNode)
	}
	if family == "Numeric" && len(c.values) > 1 && !strings.Contains(c.op, "Equals") {
		bound := "greatest"
		if strings.Contains(c.op, "Greater") {
			bound = "least"
		}
		v.at("REDUNDANT_CONDITION_VALUE_NUM", "Multiple values in "+c.op+" are redundant. Replace with the "+bound+" single value for "+c.key+".", c.valPath, c.valNode)
	}
	if private > 0 && strings.EqualFold(c.key, "aws:SourceIp") {
		negated := op.Negated()
		switch {
		case private == len(c.values) && !negated:
			v.at("PRIVATE_IP_ADDRESS", "aws:SourceIp works only for public IP address ranges. The values for condition key aws:SourceIp include only private IP addresses and will not have the desired effect. Update the value to include only public IP addresses.", c.valPath, c.valNode)
		case private == len(c.values):
			v.at("PRIVATE_NOT_IP_ADDRESS", "The values for condition key aws:SourceIp include only private IP addresses and has no effect. aws:SourceIp works only for public IP address ranges. Update the value to include only public IP addresses.", c.valPath, c.valNode)
		case !negated:
			v.at("PRIVATE_IP_ADDRESS_SUBSET", "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses will not have the desired effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp.", c.valPath, c.valNode)
		default:
			v.at("PRIVATE_NOT_IP_ADDRESS_SUBSET", "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses have no effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp.", c.valPath, c.valNode)
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
			v.at("TYPE_MISMATCH_IP_RANGE", "The condition operator "+c.op+" is used with an invalid IP range value "+val.text+". Specify the IP range in standard CIDR format.", val.loc(), val.node)
			return false, false
		}
		if pf.Masked() != pf {
			v.at("IMPROVE_IP_RANGE", "The non-zero bits in the IP address after the masked bits are ignored. Replace address "+val.text+" with "+pf.Masked().String()+".", val.loc(), val.node)
		}
		prefix = pf.Masked()
	} else {
		a, err := netip.ParseAddr(val.text)
		if err != nil {
			v.at("TYPE_MISMATCH_IP_RANGE", "The condition operator "+c.op+" is used with an invalid IP range value "+val.text+". Specify the IP range in standard CIDR format.", val.loc(), val.node)
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

// wellKnownValue checks the values of keys whose format AWS knows: VPC and
// VPC endpoint identifiers, Region names and service principal names.
func (v *validator) wellKnownValue(c condition, val item) {
	switch key := strings.ToLower(c.key); {
	case key == "aws:sourcevpc" && !vpcID.MatchString(val.text):
		v.at("INVALID_VPC_FORMAT", "The VPC identifier "+val.text+" in the condition key value is not valid. Use the prefix 'vpc-' followed by 8 or 17 alphanumeric characters.", val.loc(), val.node)
	case key == "aws:sourcevpce" && !vpceID.MatchString(val.text):
		v.at("INVALID_VPCE_FORMAT", "The VPC endpoint identifier "+val.text+" in the condition key value is not valid. Use the prefix 'vpce-' followed by 8 or 17 alphanumeric characters.", val.loc(), val.node)
	case key == "aws:requestedregion" && !regionPattern.MatchString(val.text):
		v.at("INVALID_REGION", "The Region "+val.text+" is not valid. Update the condition value to a suported Region.", val.loc(), val.node)
	case (key == "aws:principalservicename" || key == "aws:principalservicenameslist") && !servicePrincipal.MatchString(val.text):
		v.at("INVALID_SERVICE_PRINCIPAL_FORMAT", "The service principal "+val.text+" does not match the expected format. Use the format servicename.amazonaws.com.", val.loc(), val.node)
	}
}

// isEpoch reports whether s is a number of seconds since the epoch, which
// date operators accept but AWS advises against.
func isEpoch(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// validDate reports whether s is an ISO 8601 date or date-time.
func validDate(s string) bool {
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
	if !v.variablesAllowed {
		v.at("VARIABLE_UNSUPPORTED_IN_VERSION", "To include variables in your policy, use the policy version 2012-10-17 or later.", it.loc(), it.node)
		return false
	}
	s := it.text
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return true
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			v.at("MISSING_BRACE_IN_VARIABLE", "The policy variable is missing a closing curly brace. Add } after the variable text.", it.loc(), it.node)
			return false
		}
		body := s[i+2 : i+end]
		switch {
		case body == "":
			v.at("EMPTY_VARIABLE", "Empty policy variable. Remove the variable structure or provide a variable within the structure.", it.loc(), it.node)
			return false
		case len(body) == 1 && strings.ContainsAny(body, "*?$"):
			// ${*}, ${?} and ${$} are the escapes for literal characters.
		case strings.Contains(body, ","):
			name, def, _ := strings.Cut(body, ",")
			def = strings.TrimSpace(def)
			if strings.Contains(name, " ") {
				v.at("UNSUPPORTED_SPACE_IN_VARIABLE", "A space is not supported within the policy variable text. Remove the space.", it.loc(), it.node)
				return false
			}
			if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
				v.at("MISSING_QUOTE_IN_VARIABLE", "The policy variable default value must begin and end with a single quote. Add the missing quote.", it.loc(), it.node)
				return false
			}
		case strings.Contains(body, " "):
			v.at("UNSUPPORTED_SPACE_IN_VARIABLE", "A space is not supported within the policy variable text. Remove the space.", it.loc(), it.node)
			return false
		}
		s = s[i+end+1:]
	}
}
