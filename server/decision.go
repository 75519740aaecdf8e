package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/internal/jsontext"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/protocol"
)

// The Gatehouse-native API (JSON over HTTP under /_gatehouse/v1/, SigV4 with
// the signing name "gatehouse"): authorization decisions for users' own
// services and the resource policies of their resources.

// decisionRequest is one question of POST /_gatehouse/v1/authorize.
type decisionRequest struct {
	Action          string                   `json:"action"`
	Resource        string                   `json:"resource"`
	ResourceAccount string                   `json:"resource_account"`
	Context         map[string]contextValues `json:"context"`
}

// contextValues is one context key's value: a string, number or boolean,
// or a list of them, as text.
type contextValues []string

// UnmarshalJSON reads scalars directly and lists element by element, so
// that a question's context is decoded once.
func (c *contextValues) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		vals := make([]string, len(list))
		for i, e := range list {
			v, err := scalarJSON(e)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		*c = vals
		return nil
	}
	v, err := scalarJSON(b)
	if err != nil {
		return err
	}
	*c = contextValues{v}
	return nil
}

// scalarJSON is the text of a JSON string, number or boolean; other values
// (objects, null) keep their JSON text.
func scalarJSON(b []byte) (string, error) {
	if len(b) == 0 {
		return "", errors.New("empty context value")
	}
	switch b[0] {
	case '"':
		var s string
		err := json.Unmarshal(b, &s)
		return s, err
	case 't', 'f':
		var v bool
		err := json.Unmarshal(b, &v)
		return strconv.FormatBool(v), err
	case '{', '[', 'n':
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return "", err
		}
		out, _ := json.Marshal(v)
		return string(out), nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return "", fmt.Errorf("context value %s is not valid JSON", b)
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// maxQuestions is the most questions a batch may ask.
const maxQuestions = 1000

// authorizeBody is the body of POST /_gatehouse/v1/authorize: the principal
// (by ARN, already authenticated by the caller, or as the end user's signed
// request for Gatehouse to verify), and one question or a batch.
type authorizeBody struct {
	PrincipalARN  string            `json:"principal_arn"`
	SignedRequest *signedRequest    `json:"signed_request"`
	Requests      []decisionRequest `json:"requests"`
	decisionRequest
}

// signedRequest is an end user's SigV4-signed HTTP request.
type signedRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"` // base64
}

// v1Error writes a JSON error in the shape of AWS's JSON protocols.
func v1Error(w http.ResponseWriter, err error) {
	e := protocol.AWSError(err, "InternalFailure")
	writeJSON(w, e.Status, map[string]any{"__type": e.Code, "message": e.Message})
}

// serveV1 authenticates and routes a Gatehouse-native API request.
func (s *Server) serveV1(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	w.Header().Set(requestIDHeader, requestID)
	body, err := readRequestBody(r)
	if err != nil || len(body) > maxBody {
		v1Error(w, &awserr.Error{Code: "RequestEntityTooLarge", Message: "Request body too large.", Status: http.StatusRequestEntityTooLarge})
		return
	}
	res, err := s.verifier.Verify(r, body)
	if err != nil {
		v1Error(w, err)
		return
	}
	if res.Service != "gatehouse" {
		v1Error(w, awserr.New("InvalidSignatureException", "Credential should be scoped to correct service: 'gatehouse'."))
		return
	}
	id := res.Credential.Principal.(*identity)
	now := s.now()
	rec := s.auditCall(r, "gatehouse", requestID, now)
	rec.Region = res.Region
	s.auditIdentity(rec, id, res.AccessKeyID)
	var result any
	switch {
	case r.URL.Path == "/_gatehouse/v1/authorize" && r.Method == http.MethodPost:
		rec.OpName = "Authorize"
		result, err = s.authorizeAPI(r, id, body, rec)
	case r.URL.Path == "/_gatehouse/v1/resource-policies":
		result, err = s.resourcePoliciesAPI(r, id, body, rec)
	default:
		err = &awserr.Error{Code: "UnknownOperationException", Message: "No such endpoint.", Status: http.StatusNotFound}
	}
	rec.Err = err
	if aerr := s.record(r, rec); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		v1Error(w, err)
		return
	}
	if answer, ok := result.(encodedAnswer); ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(*answer.buf)
		answer.release()
		return
	}
	writeJSON(w, http.StatusOK, result)
}

// allowed authorizes the calling service for a Gatehouse action.
func (s *Server) allowed(_ *http.Request, id *identity, action, resource string) error {
	return s.allowedIn(id, action, resource, "")
}

// allowedIn authorizes the calling service for a Gatehouse action on a
// resource owned by account (empty: the resource ARN's account).
func (s *Server) allowedIn(id *identity, action, resource, account string) error {
	req := &authz.Request{Principal: id.principal, Action: action, Resource: resource, ResourceAccount: account, Context: authz.Context{}}
	pol := s.policies(id)
	if authz.Evaluate(pol, req, nil) == authz.Allow {
		return nil
	}
	// Denials are evaluated again, explained, for their message.
	var ex authz.Explanation
	authz.Evaluate(pol, req, &ex)
	return awserr.New("AccessDenied", ex.Message(req))
}

// authorizeAPI answers POST /_gatehouse/v1/authorize, with the answer
// encoded.
func (s *Server) authorizeAPI(r *http.Request, caller *identity, body []byte, rec *audit.Call) (encodedAnswer, error) {
	in, err := decodeAuthorizeBody(body)
	if err != nil {
		return encodedAnswer{}, awserr.New("ValidationException", "The request body is not valid: "+err.Error())
	}
	batch := in.Requests != nil
	if !batch {
		in.Requests = []decisionRequest{in.decisionRequest}
	}
	if len(in.Requests) == 0 || len(in.Requests) > maxQuestions {
		return encodedAnswer{}, awserr.New("ValidationException", "Give between 1 and 1,000 requests.")
	}
	subject, err := s.subjectOf(r, in)
	if err != nil {
		return encodedAnswer{}, err
	}
	// A verified signed request is the end user's own call to the asking
	// service, so asking about it is the asking account's business even for
	// a principal of another account (as any principal may call any
	// account's bucket); a principal named by ARN is asked about in its own
	// account, which must allow it.
	owner := ""
	if in.SignedRequest != nil {
		owner = caller.principal.Account
	}
	if err := s.allowedIn(caller, "gatehouse:Authorize", subject.principal.ARN, owner); err != nil {
		return encodedAnswer{}, err
	}
	base := s.policiesOf(subject)
	snap := s.iam.Snapshot()
	now := s.now()
	p := subject.principal
	buf := newAnswerBuffer(512 * len(in.Requests))
	out := appendPrincipal(*buf, answerPrincipal{ARN: p.ARN, Account: p.Account, Type: string(p.Type)})
	if batch {
		out = append(out, `,"results":[`...)
	}
	decisions := make(auditDecisions, 0, len(in.Requests))
	var (
		ctx          authz.Context
		ctxOf        map[string]contextValues // the question context ctx was made from
		withResource authz.Policies           // base with a resource policy
		areq         authz.Request
		ex           authz.Explanation
		res          resourceFacts // the last question's resource
	)
	w := newDecisionWriter()
	for i := range in.Requests {
		q := &in.Requests[i]
		if q.Action == "" || !strings.Contains(q.Action, ":") {
			return encodedAnswer{}, awserr.New("ValidationException", "requests["+itoa(i)+"]: action must be \"service:Name\".")
		}
		if ctx == nil || !sameContext(q.Context, ctxOf) {
			ctx, ctxOf = conditionContext(subject, q.Context, now), q.Context
		}
		resource := q.Resource
		if resource == "" {
			resource = "*"
		}
		if i == 0 || resource != res.arn {
			res = resourceFactsOf(snap, resource)
		}
		pol := base
		if res.hasPolicy {
			withResource = *base
			withResource.Resource = res.policy
			pol = &withResource
		}
		owner := q.ResourceAccount
		if owner == "" {
			owner = res.account
		}
		areq = authz.Request{Principal: p, Action: q.Action, Resource: resource, ResourceAccount: owner, Context: ctx}
		d := authz.Evaluate(s.iam.Guard(pol, p, owner), &areq, &ex)
		if batch {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, '{')
			out = w.appendDecision(out, d, &ex, &areq)
			out = append(out, '}')
		} else {
			out = append(out, ',')
			out = w.appendDecision(out, d, &ex, &areq)
		}
		decisions = append(decisions, auditDecision{Action: q.Action, Resource: resource, Decision: d.String()})
	}
	rec.Parameters = map[string]any{"principalArn": p.ARN, "requests": len(in.Requests)}
	rec.Response = map[string]any{"decisions": decisions}
	if batch {
		out = append(out, ']')
	}
	*buf = append(out, "}\n"...)
	return encodedAnswer{buf}, nil
}

// resourceFacts is what a question's resource brings to its evaluation,
// kept for the next question when it is about the same resource, as
// questions of a batch often are.
type resourceFacts struct {
	arn       string
	hasPolicy bool
	policy    *policy.Set // the resource policy that governs it
	// account owns the resource, unless the question says: the resource
	// policy's account, or else the ARN's.
	account string
}

// resourceFactsOf looks up a resource in the snapshot.
func resourceFactsOf(snap *iam.Snapshot, resource string) resourceFacts {
	set, account, ok := snap.ResourcePolicyFor(resource)
	if account == "" {
		account = arn.AccountOf(resource)
	}
	return resourceFacts{arn: resource, hasPolicy: ok, policy: set, account: account}
}

// conditionContext is the condition context of a question: its own keys
// and, for temporary credentials, the session's, which prevail.
func conditionContext(subject *identity, keys map[string]contextValues, now time.Time) authz.Context {
	size := len(keys)
	if subject.session != nil {
		size += sessionKeys
	}
	ctx := make(authz.Context, size)
	for k, v := range keys {
		ctx.Set(k, v...)
	}
	if subject.session != nil {
		subject.session.Context(ctx, now)
	}
	return ctx
}

// sessionKeys is how many condition keys a session may add to a context
// (see sts.Session.Context).
const sessionKeys = 5

// sameContext reports whether two questions carry the same context, as
// questions of a batch usually do.
func sameContext(a, b map[string]contextValues) bool {
	if len(a) != len(b) {
		return false
	}
	if reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true // one map, as the body scanner shares a repeated context
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// auditDecision is one question's decision in the audit record.
type auditDecision struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Decision string `json:"decision"`
}

// auditDecisions are a request's decisions in its audit record.
type auditDecisions []auditDecision

// AppendJSON implements audit.JSONAppender: the bytes json.Marshal writes.
func (ds auditDecisions) AppendJSON(b []byte) []byte {
	if ds == nil {
		return append(b, "null"...)
	}
	// One allocation at most: each decision's strings and its 40 bytes of
	// names and punctuation, escaping aside.
	n := 2
	for _, d := range ds {
		n += len(`{"action":"","resource":"","decision":""},`) + len(d.Action) + len(d.Resource) + len(d.Decision)
	}
	b = slices.Grow(b, n)
	b = append(b, '[')
	for i, d := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"action":`...)
		b = jsontext.AppendString(b, d.Action)
		b = append(b, `,"resource":`...)
		b = jsontext.AppendString(b, d.Resource)
		b = append(b, `,"decision":`...)
		b = jsontext.AppendString(b, d.Decision)
		b = append(b, '}')
	}
	return append(b, ']')
}

// answerPrincipal names whom a decision is about.
type answerPrincipal struct {
	ARN     string `json:"arn"`
	Account string `json:"account"`
	Type    string `json:"type"`
}

func itoa(i int) string { return strconv.Itoa(i) }

// subjectOf resolves whom the question is about: the end user's verified
// signed request, or a principal the calling service authenticated itself.
func (s *Server) subjectOf(r *http.Request, in *authorizeBody) (*identity, error) {
	switch {
	case in.SignedRequest != nil && in.PrincipalARN != "":
		return nil, awserr.New("ValidationException", "Give principal_arn or signed_request, not both.")
	case in.SignedRequest != nil:
		sr := in.SignedRequest
		body, err := base64.StdEncoding.DecodeString(sr.Body)
		if err != nil {
			return nil, awserr.New("ValidationException", "signed_request.body must be base64.")
		}
		req, err := http.NewRequestWithContext(r.Context(), sr.Method, sr.URL, bytes.NewReader(body))
		if err != nil {
			return nil, awserr.New("ValidationException", "signed_request is not a valid HTTP request.")
		}
		for k, v := range sr.Headers {
			if strings.EqualFold(k, "Host") {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		res, err := s.verifier.Verify(req, body)
		if err != nil {
			return nil, err
		}
		return res.Credential.Principal.(*identity), nil
	case in.PrincipalARN != "":
		p, ok := s.iam.Snapshot().PrincipalByARN(in.PrincipalARN)
		if !ok {
			return nil, awserr.New("ResourceNotFoundException", "No principal "+in.PrincipalARN+" is known.")
		}
		return &identity{principal: p}, nil
	}
	return nil, awserr.New("ValidationException", "Give principal_arn or signed_request.")
}

// policiesOf is the principal's own policies, without organization
// guardrails (they depend on each resource's account).
func (s *Server) policiesOf(id *identity) *authz.Policies {
	if id.session != nil {
		return s.sts.Policies(id.session)
	}
	return s.iam.Snapshot().Policies(id.principal)
}

// resourcePoliciesAPI manages resource policies:
// PUT    ?arn=ARN  body {"policy": DOC, "account": "…"} (account defaults to the caller's)
// GET    ?arn=ARN
// DELETE ?arn=ARN
// GET    ?prefix=P  (list)
func (s *Server) resourcePoliciesAPI(r *http.Request, caller *identity, body []byte, rec *audit.Call) (any, error) {
	q := r.URL.Query()
	target := q.Get("arn")
	account := caller.principal.Account
	switch {
	case r.Method == http.MethodGet && target == "":
		rec.OpName = "ListResourcePolicies"
		if err := s.allowed(r, caller, "gatehouse:ListResourcePolicies", "*"); err != nil {
			return nil, err
		}
		list := s.iam.ListResourcePolicies(account, q.Get("prefix"))
		if list == nil {
			list = []iam.ResourcePolicy{}
		}
		return map[string]any{"resource_policies": list}, nil
	case r.Method == http.MethodGet:
		rec.OpName = "GetResourcePolicy"
		if err := s.allowed(r, caller, "gatehouse:GetResourcePolicy", target); err != nil {
			return nil, err
		}
		return s.iam.GetResourcePolicy(account, target)
	case r.Method == http.MethodPut:
		rec.OpName = "PutResourcePolicy"
		var in struct {
			Policy  json.RawMessage `json:"policy"`
			Account string          `json:"account"`
		}
		if err := json.Unmarshal(body, &in); err != nil || len(in.Policy) == 0 {
			return nil, awserr.New("ValidationException", `The body must be {"policy": DOC}.`)
		}
		doc := string(in.Policy)
		var text string
		if json.Unmarshal(in.Policy, &text) == nil {
			doc = text
		}
		if in.Account != "" && in.Account != account {
			return nil, awserr.New("AccessDenied", "A resource policy can be put only by its owning account.")
		}
		if err := s.allowed(r, caller, "gatehouse:PutResourcePolicy", target); err != nil {
			return nil, err
		}
		rec.Parameters = map[string]any{"arn": target}
		return s.iam.PutResourcePolicy(r.Context(), iam.ResourcePolicy{ARN: target, Account: account, Policy: doc})
	case r.Method == http.MethodDelete:
		rec.OpName = "DeleteResourcePolicy"
		if err := s.allowed(r, caller, "gatehouse:DeleteResourcePolicy", target); err != nil {
			return nil, err
		}
		rec.Parameters = map[string]any{"arn": target}
		return map[string]any{}, s.iam.DeleteResourcePolicy(r.Context(), account, target)
	}
	return nil, &awserr.Error{Code: "MethodNotAllowed", Message: "Use GET, PUT or DELETE.", Status: http.StatusMethodNotAllowed}
}
