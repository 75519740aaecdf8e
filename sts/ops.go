package sts

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// Handle runs an STS operation for an authenticated caller. sess is the
// caller's session, nil for long-term credentials. Each operation authorizes
// itself: AssumeRole against the role's trust policy and the caller's
// policies, GetCallerIdentity never needs permission.
func (s *Service) Handle(op string, c *iam.Call, sess *Session) (any, error) {
	switch op {
	case "GetCallerIdentity":
		return s.getCallerIdentity(c)
	case "GetAccessKeyInfo":
		return s.getAccessKeyInfo(c)
	case "AssumeRole":
		return s.assumeRole(c, sess)
	case "AssumeRoleWithWebIdentity":
		return s.assumeRoleWithWebIdentity(c)
	case "AssumeRoleWithSAML":
		return s.assumeRoleWithSAML(c)
	case "GetSessionToken":
		return s.getSessionToken(c, sess)
	case "GetFederationToken":
		return s.getFederationToken(c, sess)
	case "DecodeAuthorizationMessage":
		return s.decodeAuthorizationMessage(c, sess)
	}
	return nil, awserr.New("InvalidAction", "Could not find operation "+op+" for version 2011-06-15")
}

func (s *Service) getCallerIdentity(c *iam.Call) (any, error) {
	p := c.Caller
	return map[string]any{"UserId": userID(p), "Account": p.Account, "Arn": p.ARN}, nil
}

func (s *Service) getAccessKeyInfo(c *iam.Call) (any, error) {
	id := c.Params.String("AccessKeyId")
	if cred, ok := s.iam.Snapshot().Credential(id); ok {
		return map[string]any{"Account": cred.Principal.Account}, nil
	}
	return map[string]any{"Account": c.Account}, nil
}

// authorize evaluates one STS action for the caller, with the resource's
// policy (a role's trust policy) when given, and returns AWS's AccessDenied.
func (s *Service) authorize(c *iam.Call, sess *Session, action, resource, resAccount string, resourcePolicy *policy.Set) error {
	var pol authz.Policies
	if sess != nil {
		pol = *s.Policies(sess)
	} else {
		pol = *s.iam.Snapshot().Policies(c.Caller)
	}
	pol.Resource = resourcePolicy
	pol = *s.iam.Guard(&pol, c.Caller, resAccount)
	req := &authz.Request{Principal: c.Caller, Action: action, Resource: resource, ResourceAccount: resAccount, Context: c.Context}
	if authz.Evaluate(&pol, req, nil) == authz.Allow {
		return nil
	}
	// Denials are rare: explain them with a second evaluation rather than
	// collecting an explanation for every call.
	var ex authz.Explanation
	authz.Evaluate(&pol, req, &ex)
	return s.Denied(&ex, req)
}

// sessionLimits are the DurationSeconds bounds.
func duration(c *iam.Call, def, min, max int64, tooLong string) (time.Duration, error) {
	d, ok := c.Params.Int("DurationSeconds")
	if !ok {
		d = def
	}
	if d < min {
		return 0, awserr.New("ValidationError", fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", d, min))
	}
	if d > max {
		return 0, awserr.New("ValidationError", tooLong)
	}
	return time.Duration(d) * time.Second, nil
}

// maxPolicyARNs is how many managed session policies a request may name.
const maxPolicyARNs = 10

// sessionPolicies reads the Policy and PolicyArns parameters.
func (s *Service) sessionPolicies(c *iam.Call) ([]string, []string, error) {
	var docs []string
	if doc := c.Params.String("Policy"); doc != "" {
		if _, err := policy.Parse(doc, policy.Identity); err != nil {
			msg := "The policy is not in the valid JSON format."
			if pe, ok := err.(*policy.Error); ok {
				msg = pe.Message
			}
			return nil, nil, awserr.New("MalformedPolicyDocument", msg)
		}
		docs = append(docs, doc)
	}
	var arns []string
	list := c.Params.Structs("PolicyArns")
	if len(list) > maxPolicyARNs {
		return nil, nil, awserr.New("ValidationError", fmt.Sprintf("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyARNs))
	}
	for _, p := range list {
		a := p.String("arn")
		if _, ok := s.iam.Snapshot().ManagedPolicyDocument(a); !ok {
			return nil, nil, awserr.New("InvalidParameterValue", "Policy "+a+" does not exist or is not attachable.")
		}
		arns = append(arns, a)
	}
	return docs, arns, nil
}

// sessionTags reads the Tags parameter (at most 50, unique keys).
func sessionTags(c *iam.Call) (map[string]string, []string, error) {
	list := c.Params.Structs("Tags")
	if len(list) > 50 {
		return nil, nil, awserr.New("ValidationError", "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	tags := map[string]string{}
	var keys []string
	for _, t := range list {
		k := t.String("Key")
		for have := range tags {
			if strings.EqualFold(have, k) {
				return nil, nil, awserr.New("InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
			}
		}
		tags[k] = t.String("Value")
		keys = append(keys, k)
	}
	return tags, keys, nil
}

// packedSize is PackedPolicySize: how full the packed session policies and
// tags are, as a percentage of the limit. AWS does not publish its packing;
// Gatehouse counts the policies' non-white-space characters and the tags'
// characters against 2,048.
func packedSize(docs []string, arns []string, tags map[string]string) int64 {
	n := 0
	for _, d := range docs {
		for _, r := range d {
			if r != ' ' && r != '\n' && r != '\t' && r != '\r' {
				n++
			}
		}
	}
	for _, a := range arns {
		n += len(a) / 4
	}
	for k, v := range tags {
		n += len(k) + len(v)
	}
	return int64(n * 100 / 2048)
}

func randomKey(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// issue seals claims into credentials.
func (s *Service) issue(c *Claims) (map[string]any, error) {
	c.AccessKeyID = "ASIA" + randomKey(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	c.Secret = randomKey(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
	token, err := s.ring.Seal(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.Secret, "SessionToken": token,
		"Expiration": c.Expires}, nil
}

func (s *Service) assumeRole(c *iam.Call, sess *Session) (any, error) {
	roleARN, name := c.Params.String("RoleArn"), c.Params.String("RoleSessionName")
	a, err := arn.Parse(roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return nil, awserr.New("ValidationError", roleARN+" is invalid")
	}
	roleName := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	role, ok := s.iam.Snapshot().Role(a.Account, roleName)
	chained := sess != nil && sess.Claims.Kind == "role"
	// Condition keys of the AssumeRole request.
	if ext := c.Params.String("ExternalId"); ext != "" {
		c.Context.Set("sts:ExternalId", ext)
	}
	c.Context.Set("sts:RoleSessionName", name)
	docs, arns, err := s.sessionPolicies(c)
	if err != nil {
		return nil, err
	}
	tags, keys, err := sessionTags(c)
	if err != nil {
		return nil, err
	}
	transitive := c.Params.Strings("TransitiveTagKeys")
	for _, k := range transitive {
		if _, ok := tags[k]; !ok {
			return nil, awserr.New("InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.")
		}
	}
	// Transitive tags of the calling session carry over and cannot be replaced.
	if chained {
		for _, k := range sess.Claims.Transitive {
			if _, dup := tags[k]; dup {
				return nil, awserr.New("InvalidParameterValue", "One or more session tags conflict with transitive tags of the current session.")
			}
			tags[k] = sess.Claims.Tags[k]
			transitive = append(transitive, k)
		}
	}
	for k, v := range tags {
		c.Context.Set("aws:RequestTag/"+k, v)
	}
	if len(keys) > 0 {
		c.Context.Set("aws:TagKeys", keys...)
	}
	if len(transitive) > 0 {
		c.Context.Set("sts:TransitiveTagKeys", transitive...)
	}
	source := c.Params.String("SourceIdentity")
	if sess != nil && sess.Claims.SourceIdentity != "" {
		if source != "" && source != sess.Claims.SourceIdentity {
			return nil, awserr.New("InvalidParameterValue", "SourceIdentity cannot be changed in a role chain.")
		}
		source = sess.Claims.SourceIdentity
	}
	if source != "" {
		if strings.HasPrefix(strings.ToLower(source), "aws:") {
			return nil, awserr.New("ValidationError", "SourceIdentity cannot start with aws:")
		}
		c.Context.Set("sts:SourceIdentity", source)
	}
	mfa := sess != nil && sess.Claims.MFA
	if serial := c.Params.String("SerialNumber"); serial != "" {
		if err := s.verifyMFA(c, serial); err != nil {
			return nil, err
		}
		mfa = true
		c.Context.Set("aws:MultiFactorAuthAge", "0") // authenticated with this request
	}
	c.Context.Set("aws:MultiFactorAuthPresent", fmt.Sprint(mfa))
	if !ok {
		// AWS does not tell a caller whether a role exists.
		req := &authz.Request{Principal: c.Caller, Action: "sts:AssumeRole", Resource: roleARN, Context: c.Context}
		return nil, s.Denied(&authz.Explanation{Decision: authz.ImplicitDeny, DecidedBy: authz.Resource,
			Reason: "because no resource-based policy allows the sts:AssumeRole action"}, req)
	}
	trustSet, err := s.compiled.set(roleARN+"/trust-policy", role.AssumeRolePolicyDocument, policy.Trust)
	if err != nil {
		return nil, awserr.New("AccessDenied", "The role's trust policy is invalid.")
	}
	if err := s.authorize(c, sess, "sts:AssumeRole", roleARN, a.Account, trustSet); err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		if err := s.authorize(c, sess, "sts:TagSession", roleARN, a.Account, trustSet); err != nil {
			return nil, err
		}
	}
	if c.Params.String("SourceIdentity") != "" {
		if err := s.authorize(c, sess, "sts:SetSourceIdentity", roleARN, a.Account, trustSet); err != nil {
			return nil, err
		}
	}
	max := role.MaxSessionDuration
	tooLong := fmt.Sprintf("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	if chained {
		max = 3600
		tooLong = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
	}
	d, err := duration(c, 3600, 900, max, tooLong)
	if err != nil {
		return nil, err
	}
	packed := packedSize(docs, arns, tags)
	if packed > 100 {
		return nil, awserr.New("PackedPolicyTooLarge", fmt.Sprintf("Packed size of consumed session policies and session tags exceeds limit (%d%%).", packed))
	}
	claims := &Claims{Kind: "role", Account: a.Account, Issued: c.Now, Expires: c.Now.Add(d),
		RoleARN: role.Arn, RoleID: role.RoleId, SessionName: name, Chained: chained,
		Policies: docs, PolicyARNs: arns, Tags: tags, Transitive: transitive, SourceIdentity: source, MFA: mfa}
	if mfa {
		t := c.Now
		if sess != nil && sess.Claims.MFAAuthTime != nil {
			t = *sess.Claims.MFAAuthTime
		}
		claims.MFAAuthTime = &t
	}
	creds, err := s.issue(claims)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"Credentials": creds,
		"AssumedRoleUser": map[string]any{"AssumedRoleId": role.RoleId + ":" + name,
			"Arn": "arn:" + s.partition + ":sts::" + a.Account + ":assumed-role/" + role.RoleName + "/" + name},
	}
	if len(docs) > 0 || len(arns) > 0 || len(tags) > 0 {
		out["PackedPolicySize"] = packed
	}
	if source != "" {
		out["SourceIdentity"] = source
	}
	return out, nil
}

func (s *Service) getSessionToken(c *iam.Call, sess *Session) (any, error) {
	if sess != nil {
		return nil, awserr.New("AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
	max := int64(129600)
	if c.Caller.Type == authz.Root {
		max = 3600
	}
	d, err := duration(c, 43200, 900, max, fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", mustInt(c, "DurationSeconds"), max))
	if err != nil {
		return nil, err
	}
	claims := &Claims{Kind: "user", Account: c.Account, UserName: c.Caller.Username, Issued: c.Now, Expires: c.Now.Add(d)}
	if serial := c.Params.String("SerialNumber"); serial != "" {
		if err := s.verifyMFA(c, serial); err != nil {
			return nil, err
		}
		claims.MFA = true
		t := c.Now
		claims.MFAAuthTime = &t
	}
	creds, err := s.issue(claims)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Credentials": creds}, nil
}

func mustInt(c *iam.Call, name string) int64 {
	v, _ := c.Params.Int(name)
	return v
}

func (s *Service) getFederationToken(c *iam.Call, sess *Session) (any, error) {
	if sess != nil {
		return nil, awserr.New("AccessDenied", "Cannot call GetFederationToken with session credentials")
	}
	name := c.Params.String("Name")
	fedARN := "arn:" + s.partition + ":sts::" + c.Account + ":federated-user/" + name
	docs, arns, err := s.sessionPolicies(c)
	if err != nil {
		return nil, err
	}
	tags, keys, err := sessionTags(c)
	if err != nil {
		return nil, err
	}
	for k, v := range tags {
		c.Context.Set("aws:RequestTag/"+k, v)
	}
	if len(keys) > 0 {
		c.Context.Set("aws:TagKeys", keys...)
	}
	if c.Caller.Type != authz.Root {
		if err := s.authorize(c, nil, "sts:GetFederationToken", fedARN, c.Account, nil); err != nil {
			return nil, err
		}
	}
	max := int64(129600)
	if c.Caller.Type == authz.Root {
		max = 3600
	}
	d, err := duration(c, 43200, 900, max, fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", mustInt(c, "DurationSeconds"), max))
	if err != nil {
		return nil, err
	}
	packed := packedSize(docs, arns, tags)
	if packed > 100 {
		return nil, awserr.New("PackedPolicyTooLarge", fmt.Sprintf("Packed size of consumed session policies and session tags exceeds limit (%d%%).", packed))
	}
	claims := &Claims{Kind: "federated", Account: c.Account, UserName: c.Caller.Username, SessionName: name,
		Issued: c.Now, Expires: c.Now.Add(d), Policies: docs, PolicyARNs: arns, Tags: tags}
	creds, err := s.issue(claims)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Credentials": creds,
		"FederatedUser": map[string]any{"FederatedUserId": c.Account + ":" + name, "Arn": fedARN}}
	if len(docs) > 0 || len(arns) > 0 || len(tags) > 0 {
		out["PackedPolicySize"] = packed
	}
	return out, nil
}
