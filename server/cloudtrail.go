package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol/jsonrpc"
)

// cloudTrailTargets are the X-Amz-Target prefixes of CloudTrail: botocore
// sends the full one, the Go SDK the short one.
var cloudTrailTargets = []string{"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.", "CloudTrail_20131101."}

func isCloudTrail(target string) bool {
	for _, p := range cloudTrailTargets {
		if strings.HasPrefix(target, p) {
			return true
		}
	}
	return false
}

// serveCloudTrail answers LookupEvents from the audit store, for the
// caller's account.
func (s *Server) serveCloudTrail(w http.ResponseWriter, r *http.Request, body []byte, requestID string, api *jsonrpc.Codec) {
	res, err := s.verifier.Verify(r, body)
	if err != nil {
		api.WriteError(w, err, requestID)
		return
	}
	id := res.Credential.Principal.(*identity)
	r.Body = io.NopCloser(bytes.NewReader(body))
	req, err := api.Decode(r)
	if err != nil {
		api.WriteError(w, err, requestID)
		return
	}
	if req.Operation.Name != "LookupEvents" || s.events == nil {
		api.WriteError(w, awserr.New("UnsupportedOperationException", "Gatehouse supports only LookupEvents."), requestID)
		return
	}
	now := s.now()
	areq := &authz.Request{Principal: id.principal, Action: "cloudtrail:LookupEvents", Resource: "*",
		Context: requestContext(r, res, now)}
	var ex authz.Explanation
	if authz.Evaluate(s.policies(id), areq, &ex) != authz.Allow {
		api.WriteError(w, awserr.New("AccessDeniedException", ex.Message(areq)), requestID)
		return
	}
	p := req.Params
	q := audit.Query{Account: id.principal.Account}
	if t, ok := p.Time("StartTime"); ok {
		q.Start = t
	}
	if t, ok := p.Time("EndTime"); ok {
		q.End = t
	}
	if attrs := p.Structs("LookupAttributes"); len(attrs) > 0 {
		key, value := attrs[0].String("AttributeKey"), attrs[0].String("AttributeValue")
		q.Match = func(ev *audit.Event) bool { return matchAttribute(ev, key, value) }
	}
	events, err := audit.Events(r.Context(), s.events, q)
	if err != nil {
		s.log.Error("lookup failed", "request_id", requestID, "error", err)
		api.WriteError(w, awserr.New("InternalFailure", "The events could not be read."), requestID)
		return
	}
	start := 0
	if tok := p.String("NextToken"); tok != "" {
		if n, err := strconv.Atoi(tok); err == nil && n >= 0 && n <= len(events) {
			start = n
		} else {
			api.WriteError(w, awserr.New("InvalidNextTokenException", "A token that is not valid was specified."), requestID)
			return
		}
	}
	max := 50
	if m, ok := p.Int("MaxResults"); ok && m > 0 && m < 50 {
		max = int(m)
	}
	end := min(start+max, len(events))
	out := []map[string]any{}
	for _, ev := range events[start:end] {
		raw, _ := json.Marshal(ev)
		t, _ := time.Parse(time.RFC3339, ev.EventTime)
		item := map[string]any{"EventId": ev.EventID, "EventName": ev.EventName, "ReadOnly": strconv.FormatBool(ev.ReadOnly),
			"EventTime": t, "EventSource": ev.EventSource, "CloudTrailEvent": string(raw), "Resources": []map[string]any{}}
		if ev.UserIdentity.AccessKeyID != "" {
			item["AccessKeyId"] = ev.UserIdentity.AccessKeyID
		}
		if u := username(ev); u != "" {
			item["Username"] = u
		}
		out = append(out, item)
	}
	result := map[string]any{"Events": out}
	if end < len(events) {
		result["NextToken"] = strconv.Itoa(end)
	}
	api.WriteResponse(w, req.Operation, result, requestID)
}

// username is the name CloudTrail shows for an event's caller.
func username(ev *audit.Event) string {
	u := ev.UserIdentity
	switch {
	case u.UserName != "":
		return u.UserName
	case u.Type == "Root":
		return "root"
	case u.SessionContext != nil && u.SessionContext.SessionIssuer != nil:
		return u.PrincipalID[strings.IndexByte(u.PrincipalID, ':')+1:]
	}
	return ""
}

// matchAttribute implements LookupAttributes.
func matchAttribute(ev *audit.Event, key, value string) bool {
	switch key {
	case "EventId":
		return ev.EventID == value
	case "EventName":
		return ev.EventName == value
	case "ReadOnly":
		return strconv.FormatBool(ev.ReadOnly) == value
	case "Username":
		return username(ev) == value
	case "EventSource":
		return ev.EventSource == value
	case "AccessKeyId":
		return ev.UserIdentity.AccessKeyID == value
	case "ResourceName":
		for _, v := range ev.RequestParameters {
			if s, ok := v.(string); ok && s == value {
				return true
			}
		}
		return false
	}
	return false
}
