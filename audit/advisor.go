package audit

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
)

// Use is the last use of something: when, in which Region, through which
// service, and by which IAM entity (user or role ARN).
type Use struct {
	Time    time.Time
	Region  string
	Service string // service prefix: "iam", "sts", …
	Entity  string
}

// Activity answers "when was this last used" from the audit trail, for
// Access Advisor, GetAccessKeyLastUsed, RoleLastUsed and the credential
// report. It indexes the audit store's change feed, so each question costs
// only the records written since the previous one. Every authenticated call
// counts, allowed or denied, as AWS's last-accessed data does.
type Activity struct {
	st store.Store

	mu      sync.Mutex
	seq     int64
	keys    map[string]Use            // access key id → last request signed with it
	roles   map[string]Use            // role ARN → last assumption or session activity
	actions map[string]map[string]Use // entity ARN → "svc:Action" → last use
}

// NewActivity indexes the events of an audit store.
func NewActivity(st store.Store) *Activity {
	a := &Activity{st: st}
	a.reset()
	return a
}

func (a *Activity) reset() {
	a.seq, a.keys, a.roles, a.actions = 0, map[string]Use{}, map[string]Use{}, map[string]map[string]Use{}
}

// indexedEvent is the part of an event the index reads.
type indexedEvent struct {
	EventTime         string         `json:"eventTime"`
	EventSource       string         `json:"eventSource"`
	EventName         string         `json:"eventName"`
	AWSRegion         string         `json:"awsRegion"`
	ErrorCode         string         `json:"errorCode"`
	UserIdentity      UserIdentity   `json:"userIdentity"`
	RequestParameters map[string]any `json:"requestParameters"`
}

// syncLocked applies the changes written since the last call.
func (a *Activity) syncLocked(ctx context.Context) error {
	last, err := a.st.LastSeq(ctx)
	if err != nil {
		return err
	}
	if last < a.seq { // the store was reset
		a.reset()
	}
	for a.seq < last {
		changes, err := a.st.Changes(ctx, a.seq, 5000)
		if errors.Is(err, store.ErrPruned) {
			// The history before the horizon is gone: start over from it.
			a.reset()
			a.seq = last
			return nil
		}
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			break
		}
		for _, c := range changes {
			a.seq = c.Seq
			if c.Op != store.OpCreate || c.Key.Kind != kindBatch {
				continue
			}
			var batch []json.RawMessage
			if json.Unmarshal(c.Record.Data, &batch) != nil {
				continue
			}
			for _, ev := range batch {
				a.index(ev)
			}
		}
	}
	return nil
}

// index records one event's uses.
func (a *Activity) index(data []byte) {
	var ev indexedEvent
	if json.Unmarshal(data, &ev) != nil {
		return
	}
	t, err := time.Parse(time.RFC3339, ev.EventTime)
	if err != nil {
		return
	}
	svc, _, _ := strings.Cut(ev.EventSource, ".")
	u := ev.UserIdentity
	entity := u.ARN
	if sc := u.SessionContext; sc != nil && sc.SessionIssuer != nil {
		entity = sc.SessionIssuer.ARN
	}
	use := Use{Time: t, Region: ev.AWSRegion, Service: svc, Entity: entity}
	later := func(m map[string]Use, k string) {
		if old, ok := m[k]; !ok || !old.Time.After(t) {
			m[k] = use
		}
	}
	if u.AccessKeyID != "" {
		later(a.keys, u.AccessKeyID)
	}
	if entity == "" {
		return
	}
	if u.Type == "AssumedRole" {
		later(a.roles, entity)
	}
	if strings.HasPrefix(ev.EventName, "AssumeRole") && ev.ErrorCode == "" {
		if role, ok := ev.RequestParameters["roleArn"].(string); ok {
			later(a.roles, role)
		}
	}
	m := a.actions[entity]
	if m == nil {
		m = map[string]Use{}
		a.actions[entity] = m
	}
	later(m, svc+":"+ev.EventName)
}

// KeyLastUsed is the last request signed with an access key.
func (a *Activity) KeyLastUsed(ctx context.Context, keyID string) (Use, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.syncLocked(ctx); err != nil {
		return Use{}, false, err
	}
	u, ok := a.keys[keyID]
	return u, ok, nil
}

// RoleLastUsed is the last time a role was assumed or its sessions called.
func (a *Activity) RoleLastUsed(ctx context.Context, roleARN string) (Use, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.syncLocked(ctx); err != nil {
		return Use{}, false, err
	}
	u, ok := a.roles[roleARN]
	return u, ok, nil
}

// ActionsLastUsed maps each action ("iam:GetUser") an entity (a user ARN,
// or a role ARN for its sessions) has called to its last use.
func (a *Activity) ActionsLastUsed(ctx context.Context, entityARN string) (map[string]Use, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.syncLocked(ctx); err != nil {
		return nil, err
	}
	return maps.Clone(a.actions[entityARN]), nil
}
