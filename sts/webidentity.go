package sts

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// Unsigned reports whether an STS operation is called without SigV4: the
// caller proves itself with an identity provider's token or assertion.
func Unsigned(action string) bool {
	return action == "AssumeRoleWithWebIdentity" || action == "AssumeRoleWithSAML"
}

// keySets caches identity providers' signing keys (JWKS) by issuer.
type keySets struct {
	mu       sync.Mutex
	byIssuer map[string]*keySet
}

type keySet struct {
	keys    map[string]crypto.PublicKey // by kid ("" for keys without one)
	fetched time.Time
}

// jwksTTL is how long fetched keys are used before they are fetched again;
// an unknown key id triggers a refetch sooner (at most once a minute).
const jwksTTL = 10 * time.Minute

// SetHTTPClient sets the client used to reach identity providers (their
// discovery documents and key sets). The default is a client with a
// 10-second timeout.
func (s *Service) SetHTTPClient(c *http.Client) { s.http = c }

func (s *Service) client() *http.Client {
	if s.http != nil {
		return s.http
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func idpError(msg string) error { return awserr.New("IDPCommunicationError", msg) }

// getJSON fetches a JSON document from an identity provider.
func (s *Service) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return idpError("Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return idpError("Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(data, v) != nil {
		return idpError("Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	return nil
}

// signingKey finds the issuer's key for a token, through OpenID Connect
// discovery (issuer/.well-known/openid-configuration → jwks_uri).
func (s *Service) signingKey(ctx context.Context, issuer, kid string, now time.Time) (crypto.PublicKey, error) {
	s.jwks.mu.Lock()
	if s.jwks.byIssuer == nil {
		s.jwks.byIssuer = map[string]*keySet{}
	}
	ks := s.jwks.byIssuer[issuer]
	s.jwks.mu.Unlock()
	if ks != nil && now.Sub(ks.fetched) < jwksTTL {
		if k, ok := ks.keys[kid]; ok {
			return k, nil
		}
		if now.Sub(ks.fetched) < time.Minute {
			return nil, awserr.New("InvalidIdentityToken", "The key ID in the token does not match a key of the identity provider.")
		}
	}
	var disco struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &disco); err != nil {
		return nil, err
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if disco.JWKSURI == "" {
		return nil, idpError("The identity provider's discovery document has no jwks_uri.")
	}
	if err := s.getJSON(ctx, disco.JWKSURI, &set); err != nil {
		return nil, err
	}
	ks = &keySet{keys: map[string]crypto.PublicKey{}, fetched: now}
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if pub, err := k.publicKey(); err == nil {
			ks.keys[k.Kid] = pub
		}
	}
	s.jwks.mu.Lock()
	s.jwks.byIssuer[issuer] = ks
	s.jwks.mu.Unlock()
	if k, ok := ks.keys[kid]; ok {
		return k, nil
	}
	return nil, awserr.New("InvalidIdentityToken", "The key ID in the token does not match a key of the identity provider.")
}

func invalidToken(msg string) error { return awserr.New("InvalidIdentityToken", msg) }

// numericClaim reads a NumericDate claim (exp, nbf, iat).
func numericClaim(claims map[string]any, name string) (time.Time, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// audiences returns the aud claim as a list.
func audiences(claims map[string]any) []string {
	switch a := claims["aud"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, v := range a {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// claimStrings renders a claim as condition-key values.
func claimStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case json.Number:
		return []string{x.String()}
	case bool:
		return []string{fmt.Sprint(x)}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, claimStrings(e)...)
		}
		return out
	}
	return nil
}

const clockSkew = 5 * time.Minute

// assumeRoleWithWebIdentity exchanges an OIDC token for role credentials.
func (s *Service) assumeRoleWithWebIdentity(c *iam.Call) (any, error) {
	roleARN, name, token := c.Params.String("RoleArn"), c.Params.String("RoleSessionName"), c.Params.String("WebIdentityToken")
	a, err := arn.Parse(roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return nil, awserr.New("ValidationError", roleARN+" is invalid")
	}
	t, err := parseJWT(token)
	if err != nil {
		return nil, invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	iss, _ := t.claims["iss"].(string)
	if iss == "" {
		return nil, invalidToken("The token does not have an issuer.")
	}
	provider, err := s.iam.OIDCProviderByURL(c.Ctx, a.Account, iss)
	if err != nil {
		return nil, invalidToken("No OpenIDConnect provider found in your account for " + iss)
	}
	key, err := s.signingKey(c.Ctx, iss, t.header.Kid, c.Now)
	if err != nil {
		return nil, err
	}
	if err := t.verify(key); err != nil {
		return nil, invalidToken("The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
	}
	exp, ok := numericClaim(t.claims, "exp")
	if !ok {
		return nil, invalidToken("The token does not have an expiration time.")
	}
	if !c.Now.Before(exp.Add(clockSkew)) {
		return nil, awserr.New("ExpiredTokenException", "Token expired: current date/time "+c.Now.Format(time.RFC3339)+" must be before the expiration date/time "+exp.Format(time.RFC3339))
	}
	if nbf, ok := numericClaim(t.claims, "nbf"); ok && c.Now.Add(clockSkew).Before(nbf) {
		return nil, invalidToken("The token is not yet valid.")
	}
	auds := audiences(t.claims)
	var aud string
	for _, x := range auds {
		for _, id := range provider.ClientIDList {
			if x == id {
				aud = x
			}
		}
	}
	if aud == "" {
		return nil, invalidToken("Incorrect token audience")
	}
	host := strings.TrimPrefix(strings.TrimPrefix(iss, "https://"), "http://")
	caller := (&authz.Principal{Type: authz.IdentityProvider, Provider: provider.Arn}).Prepare()
	c.Caller, c.Account = caller, a.Account
	for k, v := range t.claims {
		if vals := claimStrings(v); len(vals) > 0 {
			c.Context.Set(host+":"+k, vals...)
		}
	}
	c.Context.Set(host+":aud", aud)
	c.Context.Set("sts:RoleSessionName", name)
	sub, _ := t.claims["sub"].(string)
	role, ok := s.iam.Snapshot().Role(a.Account, a.Resource[strings.LastIndexByte(a.Resource, '/')+1:])
	if !ok {
		return nil, awserr.New("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	trust, err := policy.ParseAndCompile(roleARN+"/trust-policy", role.AssumeRolePolicyDocument, policy.Trust)
	if err != nil {
		return nil, awserr.New("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	req := &authz.Request{Principal: caller, Action: "sts:AssumeRoleWithWebIdentity", Resource: roleARN,
		ResourceAccount: a.Account, Context: c.Context}
	if authz.Evaluate(s.iam.Guard(&authz.Policies{Resource: policy.NewSet(trust)}, caller, a.Account), req, nil) != authz.Allow {
		return nil, awserr.New("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	docs, arns, err := s.sessionPolicies(c)
	if err != nil {
		return nil, err
	}
	d, err := duration(c, 3600, 900, role.MaxSessionDuration, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	if err != nil {
		return nil, err
	}
	packed := packedSize(docs, arns, nil)
	if packed > 100 {
		return nil, awserr.New("PackedPolicyTooLarge", fmt.Sprintf("Packed size of consumed session policies and session tags exceeds limit (%d%%).", packed))
	}
	claims := &Claims{Kind: "role", Account: a.Account, Issued: c.Now, Expires: c.Now.Add(d),
		RoleARN: role.Arn, RoleID: role.RoleId, SessionName: name, Policies: docs, PolicyARNs: arns,
		Provider: provider.Arn}
	creds, err := s.issue(claims)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"Credentials":                 creds,
		"SubjectFromWebIdentityToken": sub,
		"AssumedRoleUser": map[string]any{"AssumedRoleId": role.RoleId + ":" + name,
			"Arn": "arn:" + s.partition + ":sts::" + a.Account + ":assumed-role/" + role.RoleName + "/" + name},
		"Provider": host,
		"Audience": aud,
	}
	if len(docs) > 0 || len(arns) > 0 {
		out["PackedPolicySize"] = packed
	}
	return out, nil
}
