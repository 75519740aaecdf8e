package audit

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/gatehouse-iam/gatehouse/internal/jsontext"
)

// AppendJSON appends the event's JSON encoding to b and returns the extended
// buffer. The bytes are exactly those json.Marshal(ev) writes (same member
// order, omitempty rules and string escaping), without its reflection: this
// runs once per request served. In RequestParameters and ResponseElements,
// values of other types than those rendered events hold are encoded by
// json.Marshal, whose error (an unsupported value, such as a NaN number) is
// returned where json.Marshal(ev) would fail.
func (ev *Event) AppendJSON(b []byte) ([]byte, error) {
	b = slices.Grow(b, ev.sizeHint())
	b = append(b, `{"eventVersion":`...)
	b = jsontext.AppendString(b, ev.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = ev.UserIdentity.appendJSON(b)
	b = append(b, `,"eventTime":`...)
	b = jsontext.AppendString(b, ev.EventTime)
	b = append(b, `,"eventSource":`...)
	b = jsontext.AppendString(b, ev.EventSource)
	b = append(b, `,"eventName":`...)
	b = jsontext.AppendString(b, ev.EventName)
	b = append(b, `,"awsRegion":`...)
	b = jsontext.AppendString(b, ev.AWSRegion)
	b = append(b, `,"sourceIPAddress":`...)
	b = jsontext.AppendString(b, ev.SourceIPAddress)
	b = append(b, `,"userAgent":`...)
	b = jsontext.AppendString(b, ev.UserAgent)
	b = appendOptional(b, `,"errorCode":`, ev.ErrorCode)
	b = appendOptional(b, `,"errorMessage":`, ev.ErrorMessage)
	var err error
	b = append(b, `,"requestParameters":`...)
	if b, err = appendMap(b, ev.RequestParameters, 0); err != nil {
		return nil, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendMap(b, ev.ResponseElements, 0); err != nil {
		return nil, err
	}
	b = append(b, `,"requestID":`...)
	b = jsontext.AppendString(b, ev.RequestID)
	b = append(b, `,"eventID":`...)
	b = jsontext.AppendString(b, ev.EventID)
	b = append(b, `,"readOnly":`...)
	b = appendBool(b, ev.ReadOnly)
	b = append(b, `,"eventType":`...)
	b = jsontext.AppendString(b, ev.EventType)
	b = append(b, `,"managementEvent":`...)
	b = appendBool(b, ev.ManagementEvent)
	b = append(b, `,"recipientAccountId":`...)
	b = jsontext.AppendString(b, ev.RecipientAccountID)
	b = append(b, `,"eventCategory":`...)
	b = jsontext.AppendString(b, ev.EventCategory)
	return append(b, '}'), nil
}

// sizeHint is about the length of the event's encoding, so that AppendJSON
// allocates once: its member names and punctuation (every optional member's
// counted), the strings' lengths (escaping adds to them) and a guess for
// each member of the maps.
func (ev *Event) sizeHint() int {
	const (
		fixed          = 320 + 127 // with every string empty; the optional members' names
		perMapMember   = 32
		sessionContext = 74
		issuer         = 104 // sessionIssuer's names, and sourceIdentity's
	)
	u := &ev.UserIdentity
	n := fixed + perMapMember*(len(ev.RequestParameters)+len(ev.ResponseElements))
	for _, s := range [...]string{ev.EventVersion, ev.EventTime, ev.EventSource, ev.EventName, ev.AWSRegion,
		ev.SourceIPAddress, ev.UserAgent, ev.ErrorCode, ev.ErrorMessage, ev.RequestID, ev.EventID, ev.EventType,
		ev.RecipientAccountID, ev.EventCategory, u.Type, u.PrincipalID, u.ARN, u.AccountID, u.AccessKeyID,
		u.UserName, u.IdentityProvider} {
		n += len(s)
	}
	if sc := u.SessionContext; sc != nil {
		n += sessionContext + issuer + len(sc.Attributes.CreationDate) + len(sc.Attributes.MFAAuthenticated) +
			len(sc.SourceIdentity)
		if si := sc.SessionIssuer; si != nil {
			n += len(si.Type) + len(si.PrincipalID) + len(si.ARN) + len(si.AccountID) + len(si.UserName)
		}
	}
	return n
}

// appendJSON appends userIdentity as json.Marshal writes it.
func (u *UserIdentity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = jsontext.AppendString(b, u.Type)
	b = appendOptional(b, `,"principalId":`, u.PrincipalID)
	b = appendOptional(b, `,"arn":`, u.ARN)
	b = appendOptional(b, `,"accountId":`, u.AccountID)
	b = appendOptional(b, `,"accessKeyId":`, u.AccessKeyID)
	b = appendOptional(b, `,"userName":`, u.UserName)
	if sc := u.SessionContext; sc != nil {
		b = append(b, `,"sessionContext":`...)
		b = sc.appendJSON(b)
	}
	b = appendOptional(b, `,"identityProvider":`, u.IdentityProvider)
	return append(b, '}')
}

// appendJSON appends sessionContext as json.Marshal writes it.
func (sc *SessionContext) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if si := sc.SessionIssuer; si != nil {
		b = append(b, `"sessionIssuer":{"type":`...)
		b = jsontext.AppendString(b, si.Type)
		b = append(b, `,"principalId":`...)
		b = jsontext.AppendString(b, si.PrincipalID)
		b = append(b, `,"arn":`...)
		b = jsontext.AppendString(b, si.ARN)
		b = append(b, `,"accountId":`...)
		b = jsontext.AppendString(b, si.AccountID)
		b = append(b, `,"userName":`...)
		b = jsontext.AppendString(b, si.UserName)
		b = append(b, "},"...)
	}
	b = append(b, `"attributes":{"creationDate":`...)
	b = jsontext.AppendString(b, sc.Attributes.CreationDate)
	b = append(b, `,"mfaAuthenticated":`...)
	b = jsontext.AppendString(b, sc.Attributes.MFAAuthenticated)
	b = append(b, '}')
	b = appendOptional(b, `,"sourceIdentity":`, sc.SourceIdentity)
	return append(b, '}')
}

// appendOptional appends an omitempty string member, name being its
// leading comma, quoted name and colon; nothing when s is empty.
func appendOptional(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return jsontext.AppendString(append(b, name...), s)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendMap appends requestParameters or responseElements (or a map
// within them) as encoding/json writes it: null when nil, members sorted by
// name.
func appendMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var small [8]string // a few names need no allocation
	names := small[:0]
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsontext.AppendString(b, name), ':')
		var err error
		if b, err = appendValue(b, m[name], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// maxDepth bounds the nesting that appendValue encodes itself; json.Marshal
// encodes what lies deeper (and reports a cycle as it would).
const maxDepth = 32

// appendValue appends a value of requestParameters or responseElements as
// encoding/json writes it: what rendered events hold (strings, booleans,
// integers, null, and maps and lists of them) by hand, anything else (such
// as floating-point numbers, or structures the server records) by
// json.Marshal.
// JSONAppender is a value in Call.Parameters or Call.Response that encodes
// itself, appending exactly what json.Marshal would write for it: large
// lists with a fixed shape (the decision API's decisions) are then written
// without reflection.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth < maxDepth {
		switch x := v.(type) {
		case nil:
			return append(b, "null"...), nil
		case string:
			return jsontext.AppendString(b, x), nil
		case bool:
			return appendBool(b, x), nil
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		case int:
			return strconv.AppendInt(b, int64(x), 10), nil
		case map[string]any:
			return appendMap(b, x, depth)
		case JSONAppender:
			return x.AppendJSON(b), nil
		case []any:
			if x == nil {
				return append(b, "null"...), nil
			}
			b = append(b, '[')
			for i, e := range x {
				if i > 0 {
					b = append(b, ',')
				}
				var err error
				if b, err = appendValue(b, e, depth+1); err != nil {
					return nil, err
				}
			}
			return append(b, ']'), nil
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}
