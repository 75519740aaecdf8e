package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Service is the Organizations service of a deployment. It implements
// iam.Guardrails.
type Service struct {
	store     store.Store
	iam       *iam.Service
	partition string
	now       func() time.Time

	mu   sync.Mutex // serializes view rebuilds
	view atomic.Pointer[view]
}

// New opens the Organizations service, loads every organization and installs
// itself as the IAM service's guardrails.
func New(ctx context.Context, st store.Store, iamSvc *iam.Service, partition string) (*Service, error) {
	if partition == "" {
		partition = "aws"
	}
	s := &Service{store: st, iam: iamSvc, partition: partition, now: time.Now}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	iamSvc.SetGuardrails(s)
	return s, nil
}

// view is the compiled, read-only form of every organization that
// authorization reads.
type view struct {
	byAccount map[string]*orgView
}

type orgView struct {
	st    *state
	scps  map[string]*authz.OrgPolicies // by account
	rcps  map[string]*authz.OrgPolicies
	paths map[string]*authz.Membership
	sets  map[string]*policy.Set // compiled policies attached to a target, per type: "type/target"
}

// Reload rebuilds the view from the store.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &view{byAccount: map[string]*orgView{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		recs, err := tx.List(ctx, store.ListOptions{Kind: kindOrganization})
		if err != nil {
			return err
		}
		for _, r := range recs {
			var st state
			if err := json.Unmarshal(r.Data, &st); err != nil {
				return err
			}
			ov := compileView(&st)
			v.byAccount[st.ManagementAccount] = ov
			for id := range st.Accounts {
				v.byAccount[id] = ov
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.view.Store(v)
	return nil
}

// compileView compiles an organization's policies per account.
func compileView(st *state) *orgView {
	ov := &orgView{st: st, scps: map[string]*authz.OrgPolicies{}, rcps: map[string]*authz.OrgPolicies{},
		paths: map[string]*authz.Membership{}, sets: map[string]*policy.Set{}}
	setFor := func(typ, target string) *policy.Set {
		key := typ + "/" + target
		if set, ok := ov.sets[key]; ok {
			return set
		}
		var list []*policy.Compiled
		for _, pid := range st.Attachments[target] {
			p, ok := st.policy(pid)
			if !ok || p.Type != typ {
				continue
			}
			kind := policy.SCP
			if typ == RCP {
				kind = policy.RCP
			}
			if c, err := policy.ParseAndCompile(p.ID, p.Content, kind); err == nil {
				list = append(list, c)
			}
		}
		set := policy.NewSet(list...)
		ov.sets[key] = set
		return set
	}
	for id := range st.Accounts {
		path := st.path(id)
		var b strings.Builder
		b.WriteString(st.ID + "/")
		for _, level := range path[:len(path)-1] {
			b.WriteString(level + "/")
		}
		ov.paths[id] = authz.NewMembership(st.ID, b.String())
		for _, typ := range []string{SCP, RCP} {
			if !st.enabled(typ) {
				continue
			}
			chain := &authz.OrgPolicies{TargetAccount: id}
			for _, level := range path {
				chain.Levels = append(chain.Levels, authz.Level{ID: level, Policies: setFor(typ, level)})
			}
			if typ == SCP {
				ov.scps[id] = chain
			} else {
				ov.rcps[id] = chain
			}
		}
	}
	return ov
}

// Apply implements iam.Guardrails: the SCPs of the principal's account and
// the RCPs of the resource's account, with the organization keys.
func (s *Service) Apply(pol *authz.Policies, principal *authz.Principal, resourceAccount string) *authz.Policies {
	v := s.view.Load()
	pv, rv := v.byAccount[principal.Account], v.byAccount[resourceAccount]
	if pv == nil && rv == nil {
		return pol
	}
	out := *pol
	if pv != nil {
		out.ManagementAccount = pv.st.ManagementAccount
		out.SCPs = pv.scps[principal.Account]
		out.PrincipalOrg = pv.paths[principal.Account]
	}
	if rv != nil {
		if out.ManagementAccount == "" {
			out.ManagementAccount = rv.st.ManagementAccount
		}
		out.RCPs = rv.rcps[resourceAccount]
		out.ResourceOrg = rv.paths[resourceAccount]
	}
	return &out
}

// errNotInUse is returned to accounts outside any organization.
func errNotInUse() error {
	return awserr.New("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
}

// orgIDOf finds the organization of an account.
func orgIDOf(ctx context.Context, tx store.Tx, account string) (string, error) {
	r, err := tx.Get(ctx, store.Key{Kind: kindMember, ID: account})
	if errors.Is(err, store.ErrNotFound) {
		return "", errNotInUse()
	}
	if err != nil {
		return "", err
	}
	return string(r.Data), nil
}

// load reads the caller's organization in a transaction.
func load(ctx context.Context, tx store.Tx, account string) (*state, error) {
	id, err := orgIDOf(ctx, tx, account)
	if err != nil {
		return nil, err
	}
	r, err := tx.Get(ctx, store.Key{Kind: kindOrganization, ID: id})
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(r.Data, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// save writes an organization back.
func save(ctx context.Context, tx store.Tx, st *state) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = tx.Update(ctx, store.Record{Kind: kindOrganization, ID: st.ID, Data: data})
	return err
}

// read runs fn on the caller's organization without changing it. Only the
// management account may read the organization's structure and policies.
func (s *Service) read(c *iam.Call, fn func(st *state) error) error {
	return s.readAs(c, true, fn)
}

// readAs is read, optionally open to member accounts (DescribeOrganization).
func (s *Service) readAs(c *iam.Call, managementOnly bool, fn func(st *state) error) error {
	return s.store.View(c.Ctx, func(tx store.Tx) error {
		st, err := load(c.Ctx, tx, c.Account)
		if err != nil {
			return err
		}
		if managementOnly && st.ManagementAccount != c.Account {
			return errNotManagement()
		}
		return fn(st)
	})
}

// modify runs fn on the caller's organization and saves it; only the
// management account may change an organization.
func (s *Service) modify(c *iam.Call, fn func(tx store.Tx, st *state) error) error {
	err := s.store.Update(c.Ctx, func(tx store.Tx) error {
		st, err := load(c.Ctx, tx, c.Account)
		if err != nil {
			return err
		}
		if st.ManagementAccount != c.Account {
			return errNotManagement()
		}
		if err := fn(tx, st); err != nil {
			return err
		}
		return save(c.Ctx, tx, st)
	})
	if err != nil {
		return err
	}
	return s.Reload(c.Ctx)
}

func errNotManagement() error {
	return awserr.New("AccessDeniedException", "You don't have permissions to access this resource.")
}
