// Package audit records every request Gatehouse serves as a CloudTrail event:
// who called (userIdentity, with the session's context), what (eventSource,
// eventName, requestParameters with secrets redacted), and how it ended
// (responseElements, errorCode, errorMessage). Records are written to their
// own store in batches (group commit): a request's record is durable before
// the request is answered, and one commit serves many requests.
package audit

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// Call is what the server knows about one request when it has been
// answered.
type Call struct {
	Service     string // "iam", "sts", "organizations", …
	Operation   *model.Operation
	OpName      string // when Operation is unknown (undecodable requests)
	Caller      *authz.Principal
	AccessKeyID string
	// Session describes temporary credentials (nil for long-term keys).
	Session   *Session
	Params    protocol.Params
	Result    any
	Err       error
	RequestID string
	SourceIP  string
	UserAgent string
	Region    string
	Time      time.Time
	AccountID string // the account the request acted in (recipientAccountId)
	// Parameters and Response stand for requestParameters and
	// responseElements of calls without a service model (Gatehouse's own
	// endpoints).
	Parameters, Response map[string]any
}

// Session is the session context of temporary credentials.
type Session struct {
	IssuerType, IssuerARN, IssuerID, IssuerAccount, IssuerName string
	Created                                                    time.Time
	MFA                                                        bool
	SourceIdentity                                             string
	FederatedProvider                                          string
}

// Event is a CloudTrail record.
type Event struct {
	EventVersion       string         `json:"eventVersion"`
	UserIdentity       UserIdentity   `json:"userIdentity"`
	EventTime          string         `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	SourceIPAddress    string         `json:"sourceIPAddress"`
	UserAgent          string         `json:"userAgent"`
	ErrorCode          string         `json:"errorCode,omitempty"`
	ErrorMessage       string         `json:"errorMessage,omitempty"`
	RequestParameters  map[string]any `json:"requestParameters"`
	ResponseElements   map[string]any `json:"responseElements"`
	RequestID          string         `json:"requestID"`
	EventID            string         `json:"eventID"`
	ReadOnly           bool           `json:"readOnly"`
	EventType          string         `json:"eventType"`
	ManagementEvent    bool           `json:"managementEvent"`
	RecipientAccountID string         `json:"recipientAccountId"`
	EventCategory      string         `json:"eventCategory"`
}

// UserIdentity is CloudTrail's userIdentity element.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
}

// SessionContext is CloudTrail's sessionContext element.
type SessionContext struct {
	SessionIssuer  *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes     SessionAttributes `json:"attributes"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
}

// SessionIssuer names who issued the session (the role).
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are the session's creation date and MFA flag.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// hidden is what CloudTrail writes in place of secrets.
const hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// secretMembers are hidden whatever the service model says: credentials
// that the models do not mark sensitive (STS's session tokens are plain
// strings there).
var secretMembers = map[string]bool{"SessionToken": true, "SecretAccessKey": true, "WebIdentityToken": true,
	"SAMLAssertion": true, "Password": true, "OldPassword": true, "NewPassword": true, "ServicePassword": true,
	"PrivateKey": true, "Base32StringSeed": true, "QRCodePNG": true}

// NewEvent builds the CloudTrail record of a call.
func NewEvent(c *Call, eventID string) *Event {
	ev := &Event{
		EventVersion: "1.09", EventTime: c.Time.UTC().Format(time.RFC3339), EventSource: c.Service + ".amazonaws.com",
		EventName: c.OpName, AWSRegion: c.Region, SourceIPAddress: c.SourceIP, UserAgent: c.UserAgent,
		RequestID: c.RequestID, EventID: eventID, EventType: "AwsApiCall", ManagementEvent: true,
		RecipientAccountID: c.AccountID, EventCategory: "Management", ReadOnly: readOnly(c.OpName),
		UserIdentity: identity(c),
	}
	if c.Operation == nil {
		ev.RequestParameters, ev.ResponseElements = c.Parameters, c.Response
	} else {
		ev.EventName = c.Operation.Name
		if c.Operation.Input != nil {
			ev.RequestParameters = render(c.Params, c.Operation.Input)
		}
		if c.Err == nil && !ev.ReadOnly && c.Result != nil && c.Operation.Output != nil {
			ev.ResponseElements = render(c.Result, c.Operation.Output)
		}
	}
	if ev.AWSRegion == "" {
		ev.AWSRegion = "us-east-1"
	}
	if c.Err != nil {
		if e := awserr.As(c.Err); e != nil {
			ev.ErrorCode, ev.ErrorMessage = e.Code, e.Message
		} else {
			ev.ErrorCode = "InternalFailure"
		}
	}
	return ev
}

// readOnly reports whether an operation only reads, by AWS's naming.
func readOnly(op string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Simulate", "Lookup", "Decode"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// identity renders userIdentity.
func identity(c *Call) UserIdentity {
	p := c.Caller
	if p == nil {
		return UserIdentity{Type: "Unknown"}
	}
	u := UserIdentity{ARN: p.ARN, AccountID: p.Account, AccessKeyID: c.AccessKeyID}
	switch p.Type {
	case authz.User:
		u.Type, u.PrincipalID, u.UserName = "IAMUser", p.ID, p.Username
	case authz.Root:
		u.Type, u.PrincipalID = "Root", p.Account
	case authz.AssumedRole:
		u.Type, u.PrincipalID = "AssumedRole", p.ID+":"+p.SessionName
	case authz.FederatedUser:
		u.Type, u.PrincipalID = "FederatedUser", p.Account+":"+p.SessionName
	case authz.IdentityProvider:
		u.Type, u.IdentityProvider, u.AccountID, u.ARN = "WebIdentityUser", p.Provider, "", ""
	case authz.Service:
		u.Type, u.ARN = "AWSService", ""
	default:
		u.Type = "Unknown"
	}
	if s := c.Session; s != nil {
		sc := &SessionContext{Attributes: SessionAttributes{CreationDate: s.Created.UTC().Format(time.RFC3339),
			MFAAuthenticated: boolText(s.MFA)}, SourceIdentity: s.SourceIdentity}
		if s.IssuerARN != "" {
			sc.SessionIssuer = &SessionIssuer{Type: s.IssuerType, PrincipalID: s.IssuerID, ARN: s.IssuerARN,
				AccountID: s.IssuerAccount, UserName: s.IssuerName}
		}
		u.SessionContext = sc
	}
	return u
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// render converts a request's parameters or a result to CloudTrail's JSON
// form: member names in lowerCamelCase, timestamps as CloudTrail writes
// them, sensitive members (per the model) hidden.
func render(v any, shape *model.Shape) map[string]any {
	out, _ := renderValue(v, shape).(map[string]any)
	return out
}

func renderValue(v any, shape *model.Shape) any {
	if v == nil || shape == nil {
		return nil
	}
	if shape.Sensitive {
		return hidden
	}
	switch shape.Type {
	case model.Structure:
		out := map[string]any{}
		for _, m := range shape.Members {
			fv, ok := protocol.Field(v, m.Name)
			if !ok {
				continue
			}
			if secretMembers[m.Name] {
				out[lowerFirst(m.Name)] = hidden
			} else if r := renderValue(fv, m.Shape); r != nil {
				out[lowerFirst(m.Name)] = r
			}
		}
		return out
	case "list":
		elems, ok := protocol.Elems(v)
		if !ok {
			return nil
		}
		out := make([]any, 0, len(elems))
		for _, e := range elems {
			out = append(out, renderValue(e, shape.Member.Shape))
		}
		return out
	case "map":
		entries, ok := protocol.Entries(v)
		if !ok {
			return nil
		}
		out := map[string]any{}
		for _, e := range entries {
			out[e.Key] = renderValue(e.Value, shape.Value.Shape)
		}
		return out
	}
	s, ok := protocol.Scalar(v)
	if !ok {
		return nil
	}
	switch x := s.(type) {
	case time.Time:
		return x.UTC().Format("Jan 2, 2006, 3:04:05 PM")
	case []byte:
		return hidden
	}
	return s
}

func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}
