package sts

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// The attributes AWS reads from SAML assertions (IAM User Guide,
// id_roles_providers_create_saml_assertions).
const (
	samlAttrPrefix         = "https://aws.amazon.com/SAML/Attributes/"
	samlRoleAttr           = samlAttrPrefix + "Role"
	samlSessionNameAttr    = samlAttrPrefix + "RoleSessionName"
	samlSessionDuration    = samlAttrPrefix + "SessionDuration"
	samlPrincipalTagPrefix = samlAttrPrefix + "PrincipalTag:"
	samlTransitiveAttr     = samlAttrPrefix + "TransitiveTagKeys"
	samlSourceIdentity     = samlAttrPrefix + "SourceIdentity"
	samlNameIDPrefix       = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
)

// samlConditionKeys maps the SAML attributes AWS exposes as saml: condition
// keys, by their OID attribute names, to those keys (IAM User Guide,
// reference_policies_iam-condition-keys, "Available keys for SAML-based
// federation"). An attribute whose Name is the key's own name (e.g. "mail")
// matches as well; other attributes are not condition keys.
var samlConditionKeys = map[string]string{
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  "edupersonaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "edupersonassurance",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.7":  "edupersonentitlement",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.2":  "edupersonnickname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.3":  "edupersonorgdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.4":  "edupersonorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.5":  "edupersonprimaryaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.8":  "edupersonprimaryorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  "edupersonprincipalname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":  "edupersonscopedaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "edupersontargetedid",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.2":  "eduorghomepageuri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.3":  "eduorgidentityauthnpolicyuri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.4":  "eduorglegalname",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.5":  "eduorgsuperioruri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.6":  "eduorgwhitepagesuri",
	"urn:oid:2.5.4.3":                   "cn",
	"urn:oid:2.5.4.42":                  "givenname",
	"urn:oid:2.5.4.4":                   "surname",
	"urn:oid:0.9.2342.19200300.100.1.3": "mail",
	"urn:oid:2.5.4.41":                  "name",
	"urn:oid:0.9.2342.19200300.100.1.1": "uid",
	"urn:oid:2.5.4.45":                  "x500uniqueidentifier",
}

// samlKeyNames are the condition-key names of samlConditionKeys, for
// attributes named by them.
var samlKeyNames = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range samlConditionKeys {
		m[k] = true
	}
	return m
}()

// roleSessionName is the pattern of RoleSessionName and SourceIdentity.
var roleSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// samlAttributes are the AWS attributes of a verified assertion.
type samlAttributes struct {
	sessionName string
	duration    time.Duration // 0 when the SessionDuration attribute is absent
	tags        map[string]string
	tagKeys     []string
	transitive  []string
	source      string
}

// readSAMLAttributes reads and validates the AWS attributes: the role/provider
// pair must be among the Role values, RoleSessionName is required.
func readSAMLAttributes(a *samlAssertion, roleARN, providerARN string) (*samlAttributes, error) {
	paired := false
	for _, v := range a.values(samlRoleAttr) {
		first, second, ok := strings.Cut(v, ",")
		first, second = strings.TrimSpace(first), strings.TrimSpace(second)
		if ok && (first == roleARN && second == providerARN || first == providerARN && second == roleARN) {
			paired = true
		}
	}
	if !paired {
		return nil, awserr.New("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
	}
	out := &samlAttributes{tags: map[string]string{}}
	names := a.values(samlSessionNameAttr)
	if len(names) != 1 || !roleSessionName.MatchString(names[0]) {
		return nil, samlInvalid("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
	}
	out.sessionName = names[0]
	if vals := a.values(samlSessionDuration); len(vals) > 0 {
		n, err := strconv.ParseInt(vals[0], 10, 64)
		if len(vals) != 1 || err != nil || n < 900 || n > 43200 {
			return nil, samlInvalid("SessionDuration in AuthnResponse must be an integer from 900 to 43200")
		}
		out.duration = time.Duration(n) * time.Second
	}
	for _, at := range a.Attributes {
		k, ok := strings.CutPrefix(at.Name, samlPrincipalTagPrefix)
		if !ok {
			continue
		}
		if len(at.Values) != 1 || k == "" || len(k) > 128 || len(at.Values[0]) > 256 {
			return nil, samlInvalid("PrincipalTag attributes must have one value, a key of 1 to 128 characters and a value of at most 256")
		}
		for have := range out.tags {
			if strings.EqualFold(have, k) {
				return nil, samlInvalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
			}
		}
		out.tags[k] = at.Values[0]
		out.tagKeys = append(out.tagKeys, k)
	}
	if len(out.tags) > 50 {
		return nil, samlInvalid("An assertion can pass at most 50 session tags.")
	}
	for _, k := range a.values(samlTransitiveAttr) {
		if _, ok := out.tags[k]; !ok {
			return nil, samlInvalid("The specified transitive tag key must be included in the requested tags.")
		}
		out.transitive = append(out.transitive, k)
	}
	if vals := a.values(samlSourceIdentity); len(vals) > 0 {
		if len(vals) != 1 || !roleSessionName.MatchString(vals[0]) || strings.HasPrefix(strings.ToLower(vals[0]), "aws:") {
			return nil, samlInvalid("SourceIdentity in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64} and not start with aws:")
		}
		out.source = vals[0]
	}
	return out, nil
}

// samlSubjectType is the SubjectType output: the NameID format without
// SAML 2.0's prefix ("persistent", "transient"), other formats as they are.
func samlSubjectType(format string) string {
	if format == "" {
		return "unspecified"
	}
	return strings.TrimPrefix(format, samlNameIDPrefix)
}

// samlNameQualifier is the NameQualifier output and saml:namequalifier:
// BASE64(SHA1(issuer + account + "/" + provider name)).
func samlNameQualifier(issuer, account, providerName string) string {
	sum := sha1.Sum([]byte(issuer + account + "/" + providerName))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// setSAMLContext sets the saml: condition keys of an assertion.
func setSAMLContext(ctx authz.Context, a *samlAssertion, account, providerName, qualifier string) {
	ctx.Set("saml:aud", a.Recipient)
	ctx.Set("saml:iss", a.Issuer)
	ctx.Set("saml:sub", a.NameID)
	ctx.Set("saml:sub_type", samlSubjectType(a.NameIDFormat))
	ctx.Set("saml:namequalifier", qualifier)
	ctx.Set("saml:doc", account+"/"+providerName)
	for _, at := range a.Attributes {
		key, ok := samlConditionKeys[at.Name]
		if !ok && samlKeyNames[strings.ToLower(at.Name)] {
			key, ok = strings.ToLower(at.Name), true
		}
		if ok && len(at.Values) > 0 {
			ctx.Set("saml:"+key, at.Values...)
		}
	}
}

// assumeRoleWithSAML exchanges a SAML authentication response from an IAM
// SAML provider for role credentials.
func (s *Service) assumeRoleWithSAML(c *iam.Call) (any, error) {
	roleARN, providerARN := c.Params.String("RoleArn"), c.Params.String("PrincipalArn")
	a, err := arn.Parse(roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return nil, awserr.New("ValidationError", roleARN+" is invalid")
	}
	pa, err := arn.Parse(providerARN)
	providerName, isSAML := strings.CutPrefix(pa.Resource, "saml-provider/")
	if err != nil || pa.Service != "iam" || !isSAML || providerName == "" {
		return nil, awserr.New("ValidationError", providerARN+" is invalid")
	}
	if pa.Account != a.Account {
		return nil, samlInvalid("Specified provider doesn't exist")
	}
	provider, err := s.iam.SAMLProvider(c.Ctx, a.Account, providerARN)
	if err != nil {
		if ae := awserr.As(err); ae != nil && ae.Code == "NoSuchEntity" {
			return nil, samlInvalid("Specified provider doesn't exist")
		}
		return nil, err
	}
	if provider.ValidUntil != nil && !c.Now.Before(*provider.ValidUntil) {
		return nil, samlInvalid("The SAML provider's metadata is no longer valid (validUntil " + provider.ValidUntil.Format(time.RFC3339) + ")")
	}
	assertion, err := readSAMLResponse(c.Params.String("SAMLAssertion"), &samlCheck{EntityID: provider.EntityID,
		Certs: provider.SigningCertificates, ProviderID: provider.SAMLProviderUUID, DecryptionKeys: provider.DecryptionKeys,
		EncryptionRequired: provider.AssertionEncryptionMode == "Required", Now: c.Now})
	if err != nil {
		return nil, err
	}
	attrs, err := readSAMLAttributes(assertion, roleARN, provider.Arn)
	if err != nil {
		return nil, err
	}
	qualifier := samlNameQualifier(assertion.Issuer, a.Account, provider.Name)
	caller := (&authz.Principal{Type: authz.IdentityProvider, Provider: provider.Arn}).Prepare()
	c.Caller, c.Account = caller, a.Account
	setSAMLContext(c.Context, assertion, a.Account, provider.Name, qualifier)
	c.Context.Set("sts:RoleSessionName", attrs.sessionName)
	for k, v := range attrs.tags {
		c.Context.Set("aws:RequestTag/"+k, v)
	}
	if len(attrs.tagKeys) > 0 {
		c.Context.Set("aws:TagKeys", attrs.tagKeys...)
	}
	if len(attrs.transitive) > 0 {
		c.Context.Set("sts:TransitiveTagKeys", attrs.transitive...)
	}
	if attrs.source != "" {
		c.Context.Set("sts:SourceIdentity", attrs.source)
	}
	denied := awserr.New("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
	role, ok := s.iam.Snapshot().Role(a.Account, a.Resource[strings.LastIndexByte(a.Resource, '/')+1:])
	if !ok {
		return nil, denied
	}
	trust, err := s.compiled.set(roleARN+"/trust-policy", role.AssumeRolePolicyDocument, policy.Trust)
	if err != nil {
		return nil, denied
	}
	pol := s.iam.Guard(&authz.Policies{Resource: trust}, caller, a.Account)
	actions := []string{"sts:AssumeRoleWithSAML"}
	if len(attrs.tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if attrs.source != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		req := &authz.Request{Principal: caller, Action: action, Resource: roleARN, ResourceAccount: a.Account, Context: c.Context}
		if authz.Evaluate(pol, req, nil) != authz.Allow {
			return nil, awserr.New("AccessDenied", "Not authorized to perform "+action)
		}
	}
	docs, arns, err := s.sessionPolicies(c)
	if err != nil {
		return nil, err
	}
	d, err := duration(c, 3600, 900, role.MaxSessionDuration, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	if err != nil {
		return nil, err
	}
	if attrs.duration > 0 && attrs.duration < d {
		d = attrs.duration
	}
	expires := c.Now.Add(d)
	if !assertion.SessionNotOnOrAfter.IsZero() && assertion.SessionNotOnOrAfter.Before(expires) {
		expires = assertion.SessionNotOnOrAfter.UTC()
	}
	if !c.Now.Before(expires) {
		return nil, samlExpired(c.Now, expires)
	}
	packed := packedSize(docs, arns, attrs.tags)
	if packed > 100 {
		return nil, awserr.New("PackedPolicyTooLarge", fmt.Sprintf("Packed size of consumed session policies and session tags exceeds limit (%d%%).", packed))
	}
	name := attrs.sessionName
	claims := &Claims{Kind: "role", Account: a.Account, Issued: c.Now, Expires: expires,
		RoleARN: role.Arn, RoleID: role.RoleId, SessionName: name, Policies: docs, PolicyARNs: arns,
		Tags: attrs.tags, Transitive: attrs.transitive, SourceIdentity: attrs.source, Provider: provider.Arn}
	if len(claims.Tags) == 0 {
		claims.Tags = nil
	}
	creds, err := s.issue(claims)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"Credentials": creds,
		"AssumedRoleUser": map[string]any{"AssumedRoleId": role.RoleId + ":" + name,
			"Arn": "arn:" + s.partition + ":sts::" + a.Account + ":assumed-role/" + role.RoleName + "/" + name},
		"Subject":       assertion.NameID,
		"SubjectType":   samlSubjectType(assertion.NameIDFormat),
		"Issuer":        assertion.Issuer,
		"Audience":      assertion.Recipient,
		"NameQualifier": qualifier,
	}
	if len(docs) > 0 || len(arns) > 0 || len(attrs.tags) > 0 {
		out["PackedPolicySize"] = packed
	}
	if attrs.source != "" {
		out["SourceIdentity"] = attrs.source
	}
	return out, nil
}
