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
// report. It indexes the audit store's batches once, then follows the
// store's change feed, so each question costs only the records written
// since the previous one. Every authenticated call counts, allowed or
// denied, as AWS's last-accessed data does. The data covers the events the
// store keeps: with a retention set, the retention period.
type Activity struct {
	st       store.Store
	accounts func(context.Context) ([]string, error)

	mu      sync.Mutex
	loaded  bool                      // the store's batches are indexed up to seq
	seq     int64                     // the change feed's position of the index
	keys    map[string]Use            // access key id → last request signed with it
	roles   map[string]Use            // role ARN → last assumption or session activity
	actions map[string]map[string]Use // entity ARN → "svc:Action" → last use
}

// NewActivity indexes the events of an audit store, whose batches belong to
// the accounts that accounts lists (and to "", events of no account).
func NewActivity(st store.Store, accounts func(context.Context) ([]string, error)) *Activity {
	a := &Activity{st: st, accounts: accounts}
	a.reset()
	return a
}

func (a *Activity) reset() {
	a.loaded, a.seq = false, 0
	a.keys, a.roles, a.actions = map[string]Use{}, map[string]Use{}, map[string]map[string]Use{}
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

// syncLocked indexes the batches written since the last call: every batch
// in the store the first time, and again when the feed it follows was
// pruned past its position or the store was reset.
func (a *Activity) syncLocked(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		if !a.loaded {
			if err := a.loadLocked(ctx); err != nil {
				return err
			}
		}
		err := a.followLocked(ctx)
		if errors.Is(err, store.ErrPruned) && attempt == 0 {
			a.reset()
			continue
		}
		return err
	}
}

// followLocked indexes the batches the change feed has after the index's
// position.
func (a *Activity) followLocked(ctx context.Context) error {
	last, err := a.st.LastSeq(ctx)
	if err != nil {
		return err
	}
	if last < a.seq {
		return store.ErrPruned // the store was reset and numbers anew
	}
	for a.seq < last {
		changes, err := a.st.Changes(ctx, a.seq, 5000)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			break
		}
		for _, c := range changes {
			a.seq = c.Seq
			if c.Op == store.OpCreate && c.Key.Kind == kindBatch {
				a.indexBatch(c.Record.Data)
			}
		}
	}
	return nil
}

// loadLocked indexes every batch in the store, in one snapshot, and sets
// the index's position to the snapshot's.
func (a *Activity) loadLocked(ctx context.Context) error {
	accounts, err := a.accounts(ctx)
	if err != nil {
		return err
	}
	accounts = append(accounts, "")
	err = a.st.View(ctx, func(tx store.Tx) error {
		last, err := tx.LastSeq(ctx)
		if err != nil {
			return err
		}
		const page = 256
		for _, account := range accounts {
			o := store.ListOptions{Kind: kindBatch, Account: account, Limit: page}
			for {
				recs, err := tx.List(ctx, o)
				if err != nil {
					return err
				}
				for _, r := range recs {
					a.indexBatch(r.Data)
				}
				if len(recs) < page {
					break
				}
				o.After = recs[len(recs)-1].ID
			}
		}
		a.seq = last
		return nil
	})
	if err != nil {
		a.reset()
		return err
	}
	a.loaded = true
	return nil
}

// Sync brings the index up to date and returns its position in the audit
// store's change feed: changes up to it are no longer needed by this index.
func (a *Activity) Sync(ctx context.Context) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.syncLocked(ctx)
	return a.seq, err
}

// indexBatch records the uses of a batch's events.
func (a *Activity) indexBatch(data []byte) {
	var batch []json.RawMessage
	if json.Unmarshal(data, &batch) != nil {
		return
	}
	for _, ev := range batch {
		a.index(ev)
	}
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
