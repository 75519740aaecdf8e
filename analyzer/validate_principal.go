package analyzer

import (
	"regexp"
	"strings"

	"github.com/gatehouse-iam/gatehouse/policy"
)

var (
	principalARN     = regexp.MustCompile(`^arn:[a-z-]+:(iam|sts)::([0-9]{12}|\*):(root|(user|role|assumed-role|federated-user|group)/.+)$`)
	servicePrincipal = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$`)
	federatedARN     = regexp.MustCompile(`^arn:[a-z-]+:iam::[0-9]{12}:(saml-provider|oidc-provider)/.+$`)
	// uniqueID matches IAM unique IDs such as AROA… (roles) and AIDA… (users).
	uniqueID = regexp.MustCompile(`^A[A-Z0-9]{3}[A-Z0-9]{12,124}$`)
)

// webIdentityProviders are the identity providers a trust policy may name
// without an ARN, with the condition key that must restrict who may assume
// the role through them.
var webIdentityProviders = map[string]string{
	"accounts.google.com":            "accounts.google.com:aud",
	"graph.facebook.com":             "graph.facebook.com:app_id",
	"www.amazon.com":                 "www.amazon.com:app_id",
	"cognito-identity.amazonaws.com": "cognito-identity.amazonaws.com:aud",
}

// githubProvider is GitHub Actions' OIDC issuer.
const githubProvider = "token.actions.githubusercontent.com"

// principalValue checks the contents of a Principal or NotPrincipal element.
func (v *validator) principalValue(s *statement, p path, n *policy.Node) {
	switch n.Kind {
	case policy.StringNode:
		if n.Text != "*" {
			v.at("INVALID_PRINCIPAL_FORMAT", "The Principal element contents are not valid. Specify a key-value pair in the Principal element.", p, n)
		}
		return
	case policy.ObjectNode:
	default:
		v.at("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type Object.", p, n)
		return
	}
	if len(n.Members) == 0 {
		v.at("EMPTY_OBJECT_PRINCIPAL", "This statement includes no principals and does not affect the policy. Specify principals.", p, n)
		return
	}
	for _, m := range n.Members {
		mp := p.val(m.Key)
		if m.Value.Kind == policy.ArrayNode && len(m.Value.Elems) == 0 {
			v.at("EMPTY_ARRAY_PRINCIPAL", "This statement includes no principals and does not affect the policy. Specify principals.", mp, m.Value)
			continue
		}
		switch m.Key {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			v.atKey("INVALID_PRINCIPAL_KEY", "The principal key "+m.Key+" is not valid.", p.key(m.Key), m)
			continue
		}
		if m.Key == "Federated" && !v.trust {
			v.atKey("FEDERATED_PRINCIPAL_NOT_SUPPORTED", "Federated principals are supported only in role trust policies.", p.key(m.Key), m)
			continue
		}
		for _, it := range v.strs(mp, m.Value) {
			v.principalID(m.Key, it)
		}
	}
}

// principalID checks one principal identifier of the given type.
func (v *validator) principalID(typ string, it item) {
	id := it.text
	if hasVariable(id) {
		v.at("VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are supported in the Resource and Condition elements. Remove the policy variable "+id+" from this element.", it.loc(), it.node)
		return
	}
	switch typ {
	case "AWS":
		switch {
		case id == "*" || isAccountID(id):
		case uniqueID.MatchString(id) && strings.HasPrefix(id, "AROA"):
			v.at("INVALID_ROLE_REFERENCE", "The Principal element includes the IAM role ID "+id+". We recommend that you use a role ARN instead.", it.loc(), it.node)
		case uniqueID.MatchString(id) && strings.HasPrefix(id, "AIDA"):
			v.at("INVALID_USER_REFERENCE", "The Principal element includes the IAM user ID "+id+". We recommend that you use a user ARN instead.", it.loc(), it.node)
		case strings.HasPrefix(id, "arn:") && strings.ContainsAny(id, "*?"):
			code := "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
			if v.trust {
				code = "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
			}
			v.at(code, "Wildcards (*, ?) are not supported with the principal key AWS. Replace the wildcard with a valid principal value.", it.loc(), it.node)
		case !principalARN.MatchString(id):
			v.at("INVALID_PRINCIPAL_FORMAT", "The Principal element contents are not valid. Specify a key-value pair in the Principal element.", it.loc(), it.node)
		}
	case "Service":
		if id == "*" || !servicePrincipal.MatchString(id) {
			v.at("INVALID_SERVICE_PRINCIPAL_FORMAT", "The service principal "+id+" does not match the expected format. Use the format servicename.amazonaws.com.", it.loc(), it.node)
		}
	case "Federated":
		if _, known := webIdentityProviders[id]; !known && !federatedARN.MatchString(id) {
			v.at("INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY", "The federated principal "+id+" is not valid. Use the ARN of a SAML or OIDC provider, or a supported identity provider name.", it.loc(), it.node)
		}
	case "CanonicalUser":
		if strings.ContainsAny(id, "*?") {
			v.at("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "Wildcards (*, ?) are not supported with the principal key CanonicalUser.", it.loc(), it.node)
		}
	}
}

// trustActions are the actions a role trust policy may grant.
var trustActions = map[string]bool{"sts:assumerole": true, "sts:assumerolewithsaml": true,
	"sts:assumerolewithwebidentity": true, "sts:tagsession": true, "sts:setsourceidentity": true,
	"sts:setcontext": true, "sts:*": true, "*": true}

// trustRules checks a role trust policy's actions against its principals,
// and that web identity federation is restricted by conditions.
func (v *validator) trustRules(s *statement) {
	if s.notAction {
		return
	}
	for _, a := range s.actions {
		if !trustActions[strings.ToLower(a.text)] && !strings.ContainsAny(a.text, "*?") {
			v.at("UNSUPPORTED_ACTION_IN_POLICY", "The action "+a.text+" is not supported for role trust policies.", a.loc(), a.node)
		}
	}
	if s.principal == nil || s.principal.Kind != policy.ObjectNode || s.effect != "Allow" {
		return
	}
	var federated []item
	others := false
	for _, m := range s.principal.Members {
		if m.Key != "Federated" {
			others = true
			continue
		}
		if m.Value.Kind == policy.StringNode {
			federated = append(federated, item{m.Value.Text, s.path.val(s.principalKey).val("Federated"), -1, m.Value})
		} else {
			for i, e := range m.Value.Elems {
				federated = append(federated, item{e.Text, s.path.val(s.principalKey).val("Federated"), i, e})
			}
		}
	}
	for _, a := range s.actions {
		switch strings.ToLower(a.text) {
		case "sts:assumerole":
			if len(federated) > 0 && !others {
				v.at("MISMATCHED_ACTION_FOR_PRINCIPAL", "The sts:AssumeRole action is not supported for federated principals. Use sts:AssumeRoleWithSAML or sts:AssumeRoleWithWebIdentity.", a.loc(), a.node)
			}
		case "sts:assumerolewithsaml", "sts:assumerolewithwebidentity":
			if len(federated) == 0 {
				v.at("MISMATCHED_ACTION_FOR_PRINCIPAL", "The "+a.text+" action requires a Federated principal.", a.loc(), a.node)
			}
		}
	}
	for _, f := range federated {
		v.webIdentityConditions(s, f)
	}
}

// webIdentityConditions reports web identity providers whose trust is not
// narrowed by the provider's audience or subject condition keys.
func (v *validator) webIdentityConditions(s *statement, f item) {
	provider := f.text
	if i := strings.Index(provider, ":oidc-provider/"); i >= 0 {
		provider = provider[i+len(":oidc-provider/"):]
	}
	has := func(key string) (bool, []item) {
		for _, c := range s.conds {
			if strings.EqualFold(c.key, key) {
				return true, c.values
			}
		}
		return false, nil
	}
	if provider == githubProvider {
		ok, values := has(githubProvider + ":sub")
		if !ok {
			v.at("MISSING_GITHUB_REPO_CONDITION_KEY", "Granting a federated GitHub principal permissions without a condition key can allow more sources to assume the role than you intended. Add the token.actions.githubusercontent.com:sub condition key.", f.loc(), f.node)
			return
		}
		for _, val := range values {
			if val.text == "*" || strings.HasSuffix(val.text, ":*") || strings.HasPrefix(val.text, "repo:*") {
				v.at("SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED", "Using a wildcard (*) in token.actions.githubusercontent.com:sub can allow requests from more sources than you intended. Specify the value of a specific repository and branch.", val.loc(), val.node)
			}
		}
		return
	}
	if key, ok := webIdentityProviders[provider]; ok {
		if found, _ := has(key); !found {
			v.at("MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL", "Add the condition key "+key+" to restrict who can assume the role through "+provider+".", f.loc(), f.node)
		}
	}
}
