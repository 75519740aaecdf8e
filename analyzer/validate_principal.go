package analyzer

import (
	"regexp"
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
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
		case id == "*" || arn.IsAccountID(id):
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
	v.trustPrincipalRules(s)
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

// resourceTypeServices are the services whose actions and resources the
// resource policies of each validatePolicyResourceType may name.
var resourceTypeServices = map[string]string{
	"AWS::S3::Bucket":                  "s3",
	"AWS::S3::AccessPoint":             "s3",
	"AWS::S3::MultiRegionAccessPoint":  "s3",
	"AWS::S3ObjectLambda::AccessPoint": "s3-object-lambda",
	"AWS::DynamoDB::Table":             "dynamodb",
}

// sourceKeys are the condition keys that tie a service principal's access
// to the resources or accounts acting through it (confused deputy).
var sourceKeys = []string{"aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths"}

// resourcePolicyRules checks a resource policy against its resource type
// and its grants to service principals.
func (v *validator) resourcePolicyRules(s *statement) {
	if svc, ok := resourceTypeServices[v.opts.ResourceType]; ok {
		for _, a := range s.actions {
			prefix, _, _ := strings.Cut(a.text, ":")
			if a.text != "*" && !strings.ContainsAny(prefix, "*?") && !strings.EqualFold(prefix, svc) {
				v.at("UNSUPPORTED_ACTION_IN_POLICY", "The action "+a.text+" is not supported for the resource-based policy attached to the resource type "+v.opts.ResourceType+".", a.loc(), a.node)
			}
		}
		for _, r := range s.resources {
			if parts := strings.SplitN(r.text, ":", 4); len(parts) == 4 && !dynamic(parts[2]) && parts[2] != svc {
				v.at("UNSUPPORTED_RESOURCE_ARN_IN_POLICY", "The resource ARN is not supported for the resource-based policy attached to the resource type "+v.opts.ResourceType+".", r.loc(), r.node)
			}
		}
	}
	if s.effect != "Allow" || s.principalKey != "Principal" || s.principal.Kind != policy.ObjectNode {
		return
	}
	for _, c := range s.conds {
		for _, k := range sourceKeys {
			if strings.EqualFold(c.key, k) {
				return
			}
		}
	}
	for _, m := range s.principal.Members {
		if m.Key != "Service" {
			continue
		}
		for _, it := range principalItems(s.path.val("Principal").val("Service"), m.Value) {
			if !servicePrincipal.MatchString(it.text) {
				continue // reported as INVALID_SERVICE_PRINCIPAL_FORMAT
			}
			v.at("RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL", "Granting access to the service principal "+it.text+" without specifying a source is overly permissive. We recommend that you add the aws:SourceArn, aws:SourceAccount, aws:SourceOrgID, or aws:SourceOrgPaths condition key to grant fine-grained access.", it.loc(), it.node)
		}
	}
}

// principalItems returns the strings of a principal value, which the
// grammar checks have already reported if malformed.
func principalItems(p path, n *policy.Node) []item {
	if n.Kind == policy.StringNode {
		return []item{{n.Text, p, -1, n}}
	}
	var out []item
	for i, e := range n.Elems {
		if e.Kind == policy.StringNode {
			out = append(out, item{e.Text, p, i, e})
		}
	}
	return out
}

// rolesAnywhereActions are the actions a trust policy must grant IAM Roles
// Anywhere.
var rolesAnywhereActions = []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"}

// trustPrincipalRules checks a trust statement's principals against its
// actions and conditions: IAM Roles Anywhere needs all its actions, session
// tags and source identities need the actions that set them, and a session
// of a role listed with the role itself is redundant.
func (v *validator) trustPrincipalRules(s *statement) {
	if s.principal == nil || s.principal.Kind != policy.ObjectNode || s.effect != "Allow" || s.notAction {
		return
	}
	grants := func(action string) bool {
		literal, wildcard := matchesAction(s, action)
		return literal || wildcard
	}
	actionAt := memberValue(s.node, s.actionKey)
	for _, m := range s.principal.Members {
		items := principalItems(s.path.val(s.principalKey).val(m.Key), m.Value)
		switch m.Key {
		case "Service":
			for _, it := range items {
				if it.text != "rolesanywhere.amazonaws.com" {
					continue
				}
				var missing []string
				for _, a := range rolesAnywhereActions {
					if !grants(a) {
						missing = append(missing, a)
					}
				}
				if len(missing) > 0 {
					v.at("MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY", "The trust policy for IAM Roles Anywhere must allow the actions sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession. Add the missing actions: "+strings.Join(missing, ", ")+".", s.path.val(s.actionKey), actionAt)
				}
			}
		case "AWS":
			roles := map[string]bool{}
			for _, it := range items {
				roles[strings.ToLower(it.text)] = true
			}
			for _, it := range items {
				// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION → arn:aws:iam::ACCOUNT:role/ROLE
				parts := strings.SplitN(it.text, ":", 6)
				if len(parts) < 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
					continue
				}
				role, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
				parent := "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
				if roles[strings.ToLower(parent)] {
					v.at("REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY", "The assumed-role principal "+it.text+" is redundant with its parent role "+parent+". Remove the assumed-role principal.", it.loc(), it.node)
				}
			}
		}
	}
	for _, c := range s.conds {
		key := strings.ToLower(c.key)
		var need string
		switch {
		case key == "sts:sourceidentity":
			need = "sts:SetSourceIdentity"
		case strings.HasPrefix(key, "aws:requesttag/") || key == "aws:tagkeys":
			need = "sts:TagSession"
		default:
			continue
		}
		if !grants(need) {
			v.atKey("MISSING_ACTION_FOR_CONDITION_KEY", "The "+need+" action is required in the trust policy when you use the condition key "+c.key+". Add the "+need+" action.", c.keyPath, c.keyMem)
		}
	}
}
