package sts

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// Encoded authorization messages.
//
// AWS attaches an encoded authorization message to some services'
// authorization failures (EC2's UnauthorizedOperation ends with "Encoded
// authorization failure message: …"); IAM and STS never do, and their
// AccessDenied bodies stay exactly as AWS writes them. Gatehouse encodes a
// message for every AccessDenied its engine decides on an IAM or STS call and
// sends it in the MessageHeader response header, which SDKs and the CLI
// ignore; sts:DecodeAuthorizationMessage turns it back into the decision's
// explanation for principals allowed to call it.

// MessageHeader is the response header that carries the encoded
// authorization message of an AccessDenied.
const MessageHeader = "X-Gatehouse-Authorization-Message"

// maxMessage bounds a decoded message (its encoding is about 4/3 of it).
const maxMessage = 16 << 10

// DeniedError is an AccessDenied decided by the engine, with the decision's
// encoded authorization message.
type DeniedError struct {
	Err     *awserr.Error
	Encoded string
}

func (e *DeniedError) Error() string { return e.Err.Error() }

// Unwrap returns the AccessDenied, so that awserr.As finds it.
func (e *DeniedError) Unwrap() error { return e.Err }

// EncodedMessage returns the encoded authorization message err carries, ""
// when it carries none.
func EncodedMessage(err error) string {
	var d *DeniedError
	if errors.As(err, &d) {
		return d.Encoded
	}
	return ""
}

// Denied returns AWS's AccessDenied for a decision, carrying its encoded
// authorization message.
func (s *Service) Denied(ex *authz.Explanation, req *authz.Request) error {
	return &DeniedError{Err: awserr.New("AccessDenied", ex.Message(req)), Encoded: s.EncodeAuthorizationMessage(ex, req)}
}

// decodedMessage is the JSON document DecodeAuthorizationMessage returns,
// shaped like AWS's: lists are {"items": […]}, and values lists of
// {"value": …}.
type decodedMessage struct {
	Allowed           bool                    `json:"allowed"`
	ExplicitDeny      bool                    `json:"explicitDeny"`
	MatchedStatements items[matchedStatement] `json:"matchedStatements"`
	Failures          items[string]           `json:"failures"`
	Context           messageContext          `json:"context"`
}

type items[T any] struct {
	Items []T `json:"items"`
}

type value struct {
	Value string `json:"value"`
}

// matchedStatement names a statement that applied. AWS lists a statement's
// principals, actions, resources and conditions; Gatehouse names the
// statement instead (policyType, policyId, statementIndex: its position in
// the policy, from 0), from which `gatehouse eval` or the policy itself
// gives the rest.
type matchedStatement struct {
	StatementID    string `json:"statementId"`
	Effect         string `json:"effect"` // "ALLOW" or "DENY", as AWS writes it
	PolicyType     string `json:"policyType"`
	PolicyID       string `json:"policyId"`
	StatementIndex int    `json:"statementIndex"`
}

type messageContext struct {
	Principal  messagePrincipal           `json:"principal"`
	Action     string                     `json:"action"`
	Resource   string                     `json:"resource"`
	Conditions items[messageConditionKey] `json:"conditions"`
}

type messagePrincipal struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	ARN  string `json:"arn"`
}

type messageConditionKey struct {
	Key    string       `json:"key"`
	Values items[value] `json:"values"`
}

// EncodeAuthorizationMessage seals a decision's explanation with the token
// key ring: only this deployment can read it, and only through
// DecodeAuthorizationMessage. It returns "" if sealing fails (no
// randomness), in which case the denial simply carries no message.
func (s *Service) EncodeAuthorizationMessage(ex *authz.Explanation, req *authz.Request) string {
	m := decodedMessage{
		Allowed:           ex.Decision == authz.Allow,
		ExplicitDeny:      ex.Decision == authz.ExplicitDeny,
		MatchedStatements: items[matchedStatement]{Items: []matchedStatement{}},
		Failures:          items[string]{Items: []string{}},
		Context: messageContext{Action: req.Action, Resource: req.Resource,
			Conditions: items[messageConditionKey]{Items: []messageConditionKey{}}},
	}
	for _, st := range ex.Statements {
		effect := "ALLOW"
		if st.Effect == policy.Deny {
			effect = "DENY"
		}
		m.MatchedStatements.Items = append(m.MatchedStatements.Items, matchedStatement{StatementID: st.Sid,
			Effect: effect, PolicyType: st.PolicyType.String(), PolicyID: st.PolicyID, StatementIndex: st.Index})
	}
	if p := req.Principal; p != nil {
		m.Context.Principal = messagePrincipal{ID: userID(p), ARN: p.ARN}
		if p.Type == authz.User {
			m.Context.Principal.Name = p.Username
		}
	}
	keys := make([]string, 0, len(req.Context))
	for k := range req.Context {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ck := messageConditionKey{Key: k, Values: items[value]{Items: []value{}}}
		for _, v := range req.Context[k] {
			ck.Values.Items = append(ck.Values.Items, value{v})
		}
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, ck)
	}
	plain, err := json.Marshal(&m)
	if err == nil && len(plain) > maxMessage {
		// Keep the header small enough for every HTTP client (Python's
		// http.client refuses header lines over 64 KiB): the request's
		// condition keys (session tags can be 50 × 384 characters) go first.
		m.Context.Conditions.Items = []messageConditionKey{}
		plain, err = json.Marshal(&m)
	}
	if err != nil || len(plain) > maxMessage {
		return ""
	}
	sealed, err := s.ring.seal(messageVersion, plain)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(sealed)
}

// decodeAuthorizationMessage is sts:DecodeAuthorizationMessage, allowed to
// principals whose policies allow the action on "*".
func (s *Service) decodeAuthorizationMessage(c *iam.Call, sess *Session) (any, error) {
	if err := s.authorize(c, sess, "sts:DecodeAuthorizationMessage", "*", c.Account, nil); err != nil {
		return nil, err
	}
	invalid := awserr.New("InvalidAuthorizationMessageException", "The error message could not be decoded: it is invalid or was not issued by this service.")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(c.Params.String("EncodedMessage")))
	if err != nil {
		return nil, invalid
	}
	plain, err := s.ring.open(messageVersion, raw)
	if err != nil {
		return nil, invalid
	}
	return map[string]any{"DecodedMessage": string(plain)}, nil
}

// userID is a principal's aws:userid as GetCallerIdentity reports it: the
// user's AIDA… id, ROLEID:session for role sessions, ACCOUNT:name for
// federated users, the account id for root.
func userID(p *authz.Principal) string {
	switch p.Type {
	case authz.User:
		return p.ID
	case authz.AssumedRole:
		return p.ID + ":" + p.SessionName
	case authz.FederatedUser:
		return p.Account + ":" + p.SessionName
	}
	return p.Account
}
