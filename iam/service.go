package iam

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Config configures the IAM service.
type Config struct {
	Store     store.Store
	Sealer    *Sealer
	Partition string // "aws" unless set
	Quotas    Quotas
	Now       func() time.Time
}

// Service is the IAM service of one deployment (every account).
type Service struct {
	store     store.Store
	sealer    *Sealer
	partition string
	quotas    Quotas
	now       func() time.Time
	snap      *Snapshot
	guard     atomic.Pointer[guardHolder]
	activity  ActivitySource // last-use data; see SetActivity
}

// New opens the IAM service over a store and loads its snapshot.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Sealer == nil {
		return nil, errors.New("iam: a store and a sealer are required")
	}
	s := &Service{store: cfg.Store, sealer: cfg.Sealer, partition: cfg.Partition, quotas: cfg.Quotas, now: cfg.Now}
	if s.partition == "" {
		s.partition = "aws"
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.quotas.fill()
	s.snap = newSnapshot(s)
	if err := s.snap.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload rebuilds the snapshot from the store, after the store was reset.
func (s *Service) Reload(ctx context.Context) error { return s.snap.load(ctx) }

// Snapshot returns the in-memory authorization view of the store.
func (s *Service) Snapshot() *Snapshot { return s.snap }

// Call is one IAM request as a handler sees it.
type Call struct {
	Ctx     context.Context
	Account string // the account the request acts in: the caller's
	Caller  *authz.Principal
	Params  protocol.Params
	Now     time.Time
	// Context collects the request's condition keys; operations add the
	// keys AWS sets for them (aws:RequestTag/…, iam:PolicyARN, …).
	Context authz.Context
}

// Operation is one IAM API operation: how to authorize it and what it does.
type Operation struct {
	Name string
	// Resource returns the ARN the action is authorized on, and may add
	// operation-specific condition keys to c.Context.
	Resource func(s *Service, c *Call) string
	// Handle performs the operation and returns a value shaped like the
	// operation's output (nil for operations without output).
	Handle func(s *Service, c *Call) (any, error)
}

var operations = map[string]*Operation{}

func register(ops ...*Operation) {
	for _, op := range ops {
		operations[op.Name] = op
	}
}

// Operation returns the named operation.
func (s *Service) Operation(name string) (*Operation, bool) {
	op, ok := operations[name]
	return op, ok
}

// Operations returns the names of every implemented operation.
func Operations() []string {
	out := make([]string, 0, len(operations))
	for n := range operations {
		out = append(out, n)
	}
	return out
}

// update runs fn in a store transaction and then brings the snapshot up to
// date, so that the caller's next request sees its own writes.
func (s *Service) update(ctx context.Context, fn func(tx store.Tx) error) error {
	err := s.store.Update(ctx, fn)
	if err != nil {
		return err
	}
	return s.snap.Sync(ctx)
}

// get reads and decodes a record; a missing record is NoSuchEntity with msg.
func get[T any](ctx context.Context, tx store.Tx, kind, account, id, missing string) (*T, int64, error) {
	rec, err := tx.Get(ctx, store.Key{Kind: kind, Account: account, ID: id})
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.New("NoSuchEntity", missing)
	}
	if err != nil {
		return nil, 0, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, 0, err
	}
	return v, rec.Version, nil
}

// put writes a record: created when version is 0, updated otherwise.
func put(ctx context.Context, tx store.Tx, kind, account, id, parent string, v any, create bool) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rec := store.Record{Kind: kind, Account: account, ID: id, Parent: parent, Data: data}
	if create {
		_, err = tx.Create(ctx, rec)
	} else {
		_, err = tx.Update(ctx, rec)
	}
	return err
}

// list reads and decodes every record of a kind in an account.
func list[T any](ctx context.Context, tx store.Tx, o store.ListOptions) ([]*T, error) {
	recs, err := tx.List(ctx, o)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(recs))
	for _, r := range recs {
		v := new(T)
		if err := json.Unmarshal(r.Data, v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func lower(s string) string { return strings.ToLower(s) }

// arn builds an IAM ARN in the account: arn:aws:iam::ACCOUNT:TYPE/PATH/NAME.
func (s *Service) arn(account, typ, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:" + s.partition + ":iam::" + account + ":" + typ + path + name
}

// pathOrRoot returns the Path parameter, "/" when absent.
func pathOrRoot(p protocol.Params) string {
	if v := p.String("Path"); v != "" {
		return v
	}
	return "/"
}
