// Package evaldoc reads and answers authorization documents: the JSON form of
// an evaluation (policies of every type, the organization, and one or more
// requests) that `gatehouse eval` takes, the golden corpus is written in, and
// users can write by hand to ask "would AWS allow this?".
//
// A document looks like
//
//	{"policies": {"identity": [DOC...], "resource": DOC, "boundary": [DOC], "session": [DOC...],
//	              "scps": {"target_account": "111122223333", "levels": [{"id": "r-root", "policies": [DOC...]}]},
//	              "rcps": {"target_account": "...", "levels": [...]}},
//	 "org": {"management_account": "...", "org_id": "o-..."},
//	 "request": {"principal": {"type": "iam_user", "arn": "...", "account": "..."},
//	             "action": "s3:GetObject",
//	             "resource": {"arn": "arn:aws:s3:::bucket/key", "account": "111122223333"},
//	             "context": {"aws:SourceIp": "10.1.2.3", "aws:TagKeys": ["a", "b"]}}}
//
// where DOC is a policy document as a JSON object or a string. "requests"
// (a list) may replace "request".
package evaldoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// Document is a parsed authorization document, ready to evaluate.
type Document struct {
	Policies *authz.Policies
	Requests []*authz.Request
	// Batch is set when the document used "requests" rather than "request".
	Batch bool

	orgID, management string
	scps, rcps        *rawOrgPolicies
}

type rawDocument struct {
	Policies struct {
		Identity []json.RawMessage `json:"identity"`
		Resource json.RawMessage   `json:"resource"`
		Boundary []json.RawMessage `json:"boundary"`
		Session  []json.RawMessage `json:"session"`
		SCPs     *rawOrgPolicies   `json:"scps"`
		RCPs     *rawOrgPolicies   `json:"rcps"`
	} `json:"policies"`
	Org struct {
		ManagementAccount string `json:"management_account"`
		OrgID             string `json:"org_id"`
	} `json:"org"`
	Request  *rawRequest  `json:"request"`
	Requests []rawRequest `json:"requests"`
}

type rawOrgPolicies struct {
	TargetAccount string `json:"target_account"`
	Levels        []struct {
		ID       string            `json:"id"`
		Policies []json.RawMessage `json:"policies"`
	} `json:"levels"`
}

type rawRequest struct {
	Principal struct {
		Type              string            `json:"type"`
		ARN               string            `json:"arn"`
		Account           string            `json:"account"`
		RoleARN           string            `json:"role_arn"`
		SessionName       string            `json:"session_name"`
		Username          string            `json:"username"`
		ID                string            `json:"id"`
		Tags              map[string]string `json:"tags"`
		Service           string            `json:"service"`
		Provider          string            `json:"provider"`
		ServiceLinkedRole bool              `json:"service_linked_role"`
	} `json:"principal"`
	Action   string `json:"action"`
	Resource struct {
		ARN     string `json:"arn"`
		Account string `json:"account"`
	} `json:"resource"`
	Context map[string]json.RawMessage `json:"context"`
}

// Parse reads an authorization document. Errors name the offending part,
// e.g. `policies.identity[0]: Syntax errors in policy. (… at line 3, column 5)`.
func Parse(data []byte) (*Document, error) {
	var raw rawDocument
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("reading the document: %w", err)
	}
	doc := &Document{}
	switch {
	case raw.Request != nil && raw.Requests != nil:
		return nil, fmt.Errorf(`give either "request" or "requests", not both`)
	case raw.Request != nil:
		raw.Requests = []rawRequest{*raw.Request}
	case raw.Requests != nil:
		doc.Batch = true
	default:
		return nil, fmt.Errorf(`the document has no "request"`)
	}
	for i := range raw.Requests {
		r, err := raw.Requests[i].request()
		if err != nil {
			if doc.Batch {
				return nil, fmt.Errorf("requests[%d]: %w", i, err)
			}
			return nil, fmt.Errorf("request: %w", err)
		}
		doc.Requests = append(doc.Requests, r)
	}
	pol, err := raw.policies(resourceKind(doc.Requests))
	if err != nil {
		return nil, err
	}
	doc.Policies = pol
	doc.orgID, doc.management = raw.Org.OrgID, raw.Org.ManagementAccount
	doc.scps, doc.rcps = raw.Policies.SCPs, raw.Policies.RCPs
	return doc, nil
}

// resourceKind picks the grammar for the resource policy: a role's trust
// policy when every request assumes a role, otherwise a resource policy.
func resourceKind(reqs []*authz.Request) policy.Kind {
	for _, r := range reqs {
		if !strings.Contains(r.Resource, ":role/") || !strings.HasPrefix(strings.ToLower(r.Action), "sts:") {
			return policy.Resource
		}
	}
	return policy.Trust
}

func (raw *rawDocument) policies(resKind policy.Kind) (*authz.Policies, error) {
	rp := &raw.Policies
	pol := &authz.Policies{ManagementAccount: raw.Org.ManagementAccount}
	var err error
	if pol.Identity, err = compileList("identity", rp.Identity, policy.Identity); err != nil {
		return nil, err
	}
	if rp.Boundary != nil {
		if pol.Boundary, err = compileList("boundary", rp.Boundary, policy.Identity); err != nil {
			return nil, err
		}
	}
	if rp.Session != nil {
		if pol.Session, err = compileList("session", rp.Session, policy.Identity); err != nil {
			return nil, err
		}
	}
	if len(rp.Resource) > 0 && !isNull(rp.Resource) {
		c, err := compileOne("resource", rp.Resource, resKind)
		if err != nil {
			return nil, err
		}
		pol.Resource = policy.NewSet(c)
	}
	if pol.SCPs, err = rp.SCPs.compile("scps", policy.SCP); err != nil {
		return nil, err
	}
	if pol.RCPs, err = rp.RCPs.compile("rcps", policy.RCP); err != nil {
		return nil, err
	}
	return pol, nil
}

// PoliciesFor returns the policies for one of the document's requests, with
// the organization keys of its principal and resource filled in: the accounts
// that the SCP and RCP chains bind, and the management account, are members
// of the document's organization; without either chain every account is.
func (d *Document) PoliciesFor(r *authz.Request) *authz.Policies {
	pol := *d.Policies
	org := d.orgID
	if org == "" {
		return &pol
	}
	member := func(acct string) *authz.Membership {
		for _, chain := range []*rawOrgPolicies{d.scps, d.rcps} {
			if chain != nil && acct == chain.TargetAccount {
				return authz.NewMembership(org, orgPath(org, chain))
			}
		}
		if acct != "" && (acct == d.management || d.scps == nil && d.rcps == nil) {
			return authz.NewMembership(org)
		}
		return nil
	}
	if r.Principal.Type != authz.Service && r.Principal.Type != authz.Anonymous {
		pol.PrincipalOrg = member(r.Principal.Account)
	}
	pol.ResourceOrg = member(resourceAccountOf(r))
	return &pol
}

// orgPath renders the aws:PrincipalOrgPaths value of a chain's account:
// the organization, then the root and OUs ("o-x/r-ab12/ou-ab12-1111/").
func orgPath(org string, chain *rawOrgPolicies) string {
	var b strings.Builder
	b.WriteString(org)
	b.WriteByte('/')
	for _, lv := range chain.Levels {
		if lv.ID == chain.TargetAccount {
			continue
		}
		b.WriteString(lv.ID)
		b.WriteByte('/')
	}
	return b.String()
}

func resourceAccountOf(r *authz.Request) string {
	if r.ResourceAccount != "" {
		return r.ResourceAccount
	}
	if parts := strings.SplitN(r.Resource, ":", 6); len(parts) == 6 && parts[4] != "" {
		return parts[4]
	}
	return r.Principal.Account
}

func (o *rawOrgPolicies) compile(name string, kind policy.Kind) (*authz.OrgPolicies, error) {
	if o == nil {
		return nil, nil
	}
	out := &authz.OrgPolicies{TargetAccount: o.TargetAccount}
	for i, lv := range o.Levels {
		if lv.ID == "" {
			return nil, fmt.Errorf("%s.levels[%d]: a level needs an id", name, i)
		}
		set, err := compileList(fmt.Sprintf("%s.levels[%d].policies", name, i), lv.Policies, kind)
		if err != nil {
			return nil, err
		}
		out.Levels = append(out.Levels, authz.Level{ID: lv.ID, Policies: set})
	}
	return out, nil
}

func compileList(name string, docs []json.RawMessage, kind policy.Kind) (*policy.Set, error) {
	var list []*policy.Compiled
	for i, d := range docs {
		c, err := compileOne(fmt.Sprintf("%s[%d]", name, i), d, kind)
		if err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	return policy.NewSet(list...), nil
}

// compileOne compiles a DOC: a JSON object, or a string holding one.
func compileOne(name string, raw json.RawMessage, kind policy.Kind) (*policy.Compiled, error) {
	text := string(raw)
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
		if err := json.Unmarshal(t, &text); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	c, err := policy.ParseAndCompile(name, text, kind)
	if err != nil {
		return nil, fmt.Errorf("policies.%s: %w", name, err)
	}
	return c, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func (rr *rawRequest) request() (*authz.Request, error) {
	rp := &rr.Principal
	t := authz.PrincipalType(rp.Type)
	if !t.Valid() {
		return nil, fmt.Errorf("principal.type %q is not one of iam_user, assumed_role_session, federated_user_session, root, service, anonymous, identity_provider", rp.Type)
	}
	if rr.Action == "" || !strings.Contains(rr.Action, ":") {
		return nil, fmt.Errorf(`action %q must be "service:Name"`, rr.Action)
	}
	p := &authz.Principal{
		Type: t, ARN: rp.ARN, Account: rp.Account, RoleARN: rp.RoleARN, SessionName: rp.SessionName,
		Username: rp.Username, ID: rp.ID, Tags: rp.Tags, Service: rp.Service, Provider: rp.Provider,
		ServiceLinkedRole: rp.ServiceLinkedRole,
	}
	if p.Account == "" {
		p.Account = accountOf(p.ARN)
	}
	if p.Type == authz.AssumedRole {
		fillSession(p)
	}
	r := &authz.Request{Principal: p, Action: rr.Action, Resource: rr.Resource.ARN,
		ResourceAccount: rr.Resource.Account, Context: authz.Context{}}
	if r.Resource == "" {
		r.Resource = "*"
	}
	for k, v := range rr.Context {
		vals, err := contextValues(v)
		if err != nil {
			return nil, fmt.Errorf("context key %q: %w", k, err)
		}
		r.Context.Set(k, vals...)
	}
	return r, nil
}

// fillSession derives a role session's role ARN and session name from its
// ARN (arn:aws:sts::A:assumed-role/R/S) when the document leaves them out.
func fillSession(p *authz.Principal) {
	parts := strings.SplitN(p.ARN, ":", 6)
	if len(parts) != 6 {
		return
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "assumed-role" {
		return
	}
	if p.RoleARN == "" {
		p.RoleARN = "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + res[1]
	}
	if p.SessionName == "" {
		p.SessionName = res[2]
	}
}

func accountOf(s string) string {
	if parts := strings.SplitN(s, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// contextValues reads a context value: a string, number or boolean, or a
// list of them.
func contextValues(raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, err := scalar(item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", fmt.Errorf("values must be strings, numbers, booleans or lists of them")
}
