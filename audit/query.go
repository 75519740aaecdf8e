package audit

import (
	"sort"
	"strings"
)

// Filter selects events for `gatehouse audit query`; empty fields match
// everything.
type Filter struct {
	// Principal is an ARN or a name. A role's ARN or name also matches the
	// role's sessions; a user's also matches sessions the user issued
	// (GetFederationToken, GetSessionToken).
	Principal string
	// Action is "service:EventName" or just "EventName".
	Action string
	// Service is an event source prefix such as "iam" or "sts".
	Service    string
	ErrorsOnly bool
}

// Match reports whether an event passes the filter.
func (f Filter) Match(ev *Event) bool {
	if f.ErrorsOnly && ev.ErrorCode == "" {
		return false
	}
	if f.Service != "" && !strings.EqualFold(ServiceOf(ev), f.Service) {
		return false
	}
	if f.Action != "" {
		if svc, name, ok := strings.Cut(f.Action, ":"); ok {
			if !strings.EqualFold(svc, ServiceOf(ev)) || !strings.EqualFold(name, ev.EventName) {
				return false
			}
		} else if !strings.EqualFold(f.Action, ev.EventName) {
			return false
		}
	}
	if f.Principal != "" && !matchPrincipal(ev, f.Principal) {
		return false
	}
	return true
}

// matchPrincipal matches an ARN or a name against the caller and the issuer
// of its session.
func matchPrincipal(ev *Event, p string) bool {
	u := ev.UserIdentity
	var issuer *SessionIssuer
	if u.SessionContext != nil {
		issuer = u.SessionContext.SessionIssuer
	}
	if strings.HasPrefix(p, "arn:") {
		return u.ARN == p || issuer != nil && issuer.ARN == p
	}
	return u.UserName == p || issuer != nil && issuer.UserName == p
}

// ServiceOf is the service prefix of an event ("iam" for iam.amazonaws.com).
func ServiceOf(ev *Event) string {
	s, _, _ := strings.Cut(ev.EventSource, ".")
	return s
}

// ActionOf is an event's action as policies name it ("iam:GetUser").
func ActionOf(ev *Event) string { return ServiceOf(ev) + ":" + ev.EventName }

// PrincipalOf is the ARN an event is attributed to: the role for a role
// session, else the caller's ARN (or its type when it has none).
func PrincipalOf(ev *Event) string {
	u := ev.UserIdentity
	if u.SessionContext != nil && u.SessionContext.SessionIssuer != nil && u.Type == "AssumedRole" {
		return u.SessionContext.SessionIssuer.ARN
	}
	if u.ARN != "" {
		return u.ARN
	}
	return u.Type
}

// Group is one row of a grouped query.
type Group struct {
	Key      string `json:"key"`
	Count    int    `json:"count"`
	Errors   int    `json:"errors"`
	Sessions int    `json:"sessions"` // distinct callers (role sessions count one each)
	First    string `json:"firstEventTime"`
	Last     string `json:"lastEventTime"`
}

// GroupKeys are the keys GroupEvents accepts.
var GroupKeys = map[string]func(*Event) string{
	"action":    ActionOf,
	"principal": PrincipalOf,
	"service":   ServiceOf,
	"error": func(ev *Event) string {
		if ev.ErrorCode == "" {
			return "(none)"
		}
		return ev.ErrorCode
	},
}

// GroupEvents counts events by key (one of GroupKeys), most frequent first.
func GroupEvents(events []*Event, key func(*Event) string) []Group {
	groups := map[string]*Group{}
	callers := map[string]map[string]bool{}
	for _, ev := range events {
		k := key(ev)
		g := groups[k]
		if g == nil {
			g = &Group{Key: k, First: ev.EventTime, Last: ev.EventTime}
			groups[k], callers[k] = g, map[string]bool{}
		}
		g.Count++
		if ev.ErrorCode != "" {
			g.Errors++
		}
		g.First, g.Last = min(g.First, ev.EventTime), max(g.Last, ev.EventTime)
		callers[k][ev.UserIdentity.ARN+"|"+ev.UserIdentity.PrincipalID] = true
	}
	out := make([]Group, 0, len(groups))
	for k, g := range groups {
		g.Sessions = len(callers[k])
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}
