package iam

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Snapshot is the in-memory view of IAM that authentication and
// authorization read: access keys with their secrets, users, groups, roles
// and policies, and each principal's compiled policies. It follows the
// store's change feed, applying only what changed; compiled policies are
// built on first use and dropped when anything in their account changes.
type Snapshot struct {
	svc *Service

	mu         sync.RWMutex
	seq        int64
	accounts   map[string]*Account
	users      map[string]*User   // account/lower(name)
	groups     map[string]*Group  // account/lower(name)
	roles      map[string]*Role   // account/lower(name)
	policies   map[string]*Policy // account/lower(name)
	policyARNs map[string]*Policy // by ARN
	keys       map[string]*AccessKey
	secrets    map[string]string                     // access key id → secret
	compiled   map[string]map[string]*authz.Policies // account → principal ARN → policies
	// principals caches the prepared principal of each access key
	// (access key id → *authz.Principal): filled by Credential under mu's
	// read lock, emptied by every change under its write lock.
	principals sync.Map
	// resourcePolicies are the resource-based policies of users' own
	// resources, by ARN.
	resourcePolicies map[string]*resourcePolicyEntry
	syncMu           sync.Mutex
	onChange         atomic.Pointer[func(kind string)] // see SetOnChange
}

func newSnapshot(s *Service) *Snapshot {
	return &Snapshot{svc: s, accounts: map[string]*Account{}, users: map[string]*User{}, groups: map[string]*Group{},
		roles: map[string]*Role{}, policies: map[string]*Policy{}, policyARNs: map[string]*Policy{}, keys: map[string]*AccessKey{},
		secrets: map[string]string{}, compiled: map[string]map[string]*authz.Policies{},
		resourcePolicies: map[string]*resourcePolicyEntry{}}
}

// Seq is the change-feed position the snapshot reflects.
func (sn *Snapshot) Seq() int64 {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	return sn.seq
}

// load (re)reads everything from the store in one consistent view.
func (sn *Snapshot) load(ctx context.Context) error {
	sn.syncMu.Lock()
	defer sn.syncMu.Unlock()
	sn.mu.Lock()
	defer sn.mu.Unlock()
	fresh := newSnapshot(sn.svc)
	sn.accounts, sn.users, sn.groups, sn.roles = fresh.accounts, fresh.users, fresh.groups, fresh.roles
	sn.policies, sn.policyARNs, sn.keys, sn.secrets, sn.compiled = fresh.policies, fresh.policyARNs, fresh.keys, fresh.secrets, fresh.compiled
	sn.resourcePolicies = fresh.resourcePolicies
	sn.principals.Clear()
	return sn.svc.store.View(ctx, func(tx store.Tx) error {
		seq, err := tx.LastSeq(ctx)
		if err != nil {
			return err
		}
		global := []string{kindAccount, kindAccessKey}
		for _, kind := range global {
			recs, err := tx.List(ctx, store.ListOptions{Kind: kind})
			if err != nil {
				return err
			}
			for _, r := range recs {
				sn.apply(store.Change{Op: store.OpCreate, Key: r.Key(), Record: r})
			}
		}
		for acct := range sn.accounts {
			for _, kind := range []string{kindUser, kindGroup, kindRole, kindPolicy, kindResourcePolicy} {
				recs, err := tx.List(ctx, store.ListOptions{Kind: kind, Account: acct})
				if err != nil {
					return err
				}
				for _, r := range recs {
					sn.apply(store.Change{Op: store.OpCreate, Key: r.Key(), Record: r})
				}
			}
		}
		sn.seq = seq
		return nil
	})
}

// Sync applies the changes committed since the snapshot's position. When
// the feed was pruned past that position it reloads the whole snapshot. The
// hook installed with SetOnChange then hears every kind that changed, or "*"
// after a reload.
func (sn *Snapshot) Sync(ctx context.Context) error {
	kinds, err := sn.sync(ctx)
	if errors.Is(err, store.ErrPruned) {
		kinds, err = map[string]bool{"*": true}, sn.load(ctx)
	}
	if fn := sn.onChange.Load(); fn != nil {
		for kind := range kinds {
			(*fn)(kind)
		}
	}
	return err
}

// sync applies the pending changes and returns the kinds they touched.
func (sn *Snapshot) sync(ctx context.Context) (map[string]bool, error) {
	sn.syncMu.Lock()
	defer sn.syncMu.Unlock()
	kinds := map[string]bool{}
	for {
		changes, err := sn.svc.store.Changes(ctx, sn.Seq(), 1000)
		if err != nil || len(changes) == 0 {
			return kinds, err
		}
		sn.mu.Lock()
		for _, c := range changes {
			sn.apply(c)
			sn.seq = c.Seq
			kinds[c.Key.Kind] = true
		}
		sn.mu.Unlock()
	}
}

// StoreSeq returns the store's last committed change-feed position; minus
// Seq it is how far this node's snapshot is behind (metrics).
func (sn *Snapshot) StoreSeq(ctx context.Context) (int64, error) {
	return sn.svc.store.LastSeq(ctx)
}

// SetOnChange installs fn, which Sync calls (outside the snapshot's locks)
// with each record kind that the changes it applied touched, such as
// "orgs.policy": a node following other nodes' writes uses it to refresh
// state kept outside the snapshot. nil removes the hook.
func (sn *Snapshot) SetOnChange(fn func(kind string)) {
	if fn == nil {
		sn.onChange.Store(nil)
		return
	}
	sn.onChange.Store(&fn)
}

// apply folds one change into the maps. The caller holds mu (or is loading).
func (sn *Snapshot) apply(c store.Change) {
	k := c.Key
	if !strings.HasPrefix(k.Kind, "iam.") {
		return
	}
	del := c.Op == store.OpDelete
	id := k.Account + "/" + k.ID
	switch k.Kind {
	case kindAccount:
		applyTo(sn.accounts, k.ID, c.Record.Data, del)
	case kindUser:
		applyTo(sn.users, id, c.Record.Data, del)
	case kindGroup:
		applyTo(sn.groups, id, c.Record.Data, del)
	case kindRole:
		applyTo(sn.roles, id, c.Record.Data, del)
	case kindPolicy:
		if old, ok := sn.policies[id]; ok {
			delete(sn.policyARNs, old.Arn)
		}
		applyTo(sn.policies, id, c.Record.Data, del)
		if p, ok := sn.policies[id]; ok {
			sn.policyARNs[p.Arn] = p
		}
	case kindResourcePolicy:
		sn.applyResourcePolicy(k.ID, c.Record.Data, del)
	case kindAccessKey:
		if del {
			delete(sn.keys, k.ID)
			delete(sn.secrets, k.ID)
		} else {
			var ak AccessKey
			if json.Unmarshal(c.Record.Data, &ak) == nil {
				sn.keys[k.ID] = &ak
				if secret, err := sn.svc.sealer.Open(ak.SecretEncrypted, ak.AccessKeyId); err == nil {
					sn.secrets[k.ID] = secret
				}
			}
		}
		k.Account = accountOfParent(c.Record.Parent)
	}
	// Anything that changes in an account may change what its principals
	// may do; managed policies may be attached across the account only.
	delete(sn.compiled, k.Account)
	// A user's name, tags or key may have changed: principals are rebuilt
	// on their next use.
	sn.principals.Clear()
}

func accountOfParent(parent string) string {
	a, _, _ := strings.Cut(parent, "/")
	return a
}

func applyTo[T any](m map[string]*T, id string, data []byte, del bool) {
	if del {
		delete(m, id)
		return
	}
	v := new(T)
	if json.Unmarshal(data, v) == nil {
		m[id] = v
	}
}

// Credential is what an access key authenticates as.
type Credential struct {
	Secret    string
	Principal *authz.Principal
	Active    bool
}

// Credential looks up a long-term access key.
func (sn *Snapshot) Credential(accessKeyID string) (Credential, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	ak, ok := sn.keys[accessKeyID]
	if !ok {
		return Credential{}, false
	}
	secret, ok := sn.secrets[accessKeyID]
	if !ok {
		return Credential{}, false
	}
	// A prepared principal is never modified, so every request signed with
	// the key can share it.
	if p, ok := sn.principals.Load(accessKeyID); ok {
		return Credential{Secret: secret, Principal: p.(*authz.Principal), Active: ak.Status == "Active"}, true
	}
	p := sn.principalLocked(ak.Account, ak.UserName)
	if p == nil {
		return Credential{}, false
	}
	sn.principals.Store(accessKeyID, p)
	return Credential{Secret: secret, Principal: p, Active: ak.Status == "Active"}, true
}

// principalLocked returns the principal for a user (the root user when name
// is empty).
func (sn *Snapshot) principalLocked(account, userName string) *authz.Principal {
	if userName == "" {
		return (&authz.Principal{Type: authz.Root, Account: account,
			ARN: "arn:" + sn.svc.partition + ":iam::" + account + ":root"}).Prepare()
	}
	u, ok := sn.users[account+"/"+lower(userName)]
	if !ok {
		return nil
	}
	return userPrincipal(account, u)
}

func userPrincipal(account string, u *User) *authz.Principal {
	tags := make(map[string]string, len(u.Tags))
	for _, t := range u.Tags {
		tags[t.Key] = t.Value
	}
	return (&authz.Principal{Type: authz.User, ARN: u.Arn, Account: account, Username: u.UserName,
		ID: u.UserId, Tags: tags}).Prepare()
}

// User returns a user by name.
func (sn *Snapshot) User(account, name string) (*User, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	u, ok := sn.users[account+"/"+lower(name)]
	return u, ok
}

// Role returns a role by name.
func (sn *Snapshot) Role(account, name string) (*Role, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	r, ok := sn.roles[account+"/"+lower(name)]
	return r, ok
}

// Group returns a group by name.
func (sn *Snapshot) Group(account, name string) (*Group, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	g, ok := sn.groups[account+"/"+lower(name)]
	return g, ok
}

// Policies returns the policies that apply to a principal's requests: for a
// user its inline and attached policies and its groups', and its permissions
// boundary. Root and principals without IAM policies get empty policies.
func (sn *Snapshot) Policies(p *authz.Principal) *authz.Policies {
	key := p.ARN
	if p.Type == authz.AssumedRole {
		// Every session of a role has the role's policies.
		key = p.RoleARN
	}
	sn.mu.RLock()
	if pol, ok := sn.compiled[p.Account][key]; ok {
		sn.mu.RUnlock()
		return pol
	}
	pol := sn.build(p)
	sn.mu.RUnlock()
	sn.mu.Lock()
	m := sn.compiled[p.Account]
	if m == nil {
		m = map[string]*authz.Policies{}
		sn.compiled[p.Account] = m
	}
	m[key] = pol
	sn.mu.Unlock()
	return pol
}

// build compiles a principal's policies. The caller holds mu for reading.
func (sn *Snapshot) build(p *authz.Principal) *authz.Policies {
	pol := &authz.Policies{}
	var docs []*policy.Compiled
	var boundary *Boundary
	switch p.Type {
	case authz.User:
		u, ok := sn.users[p.Account+"/"+lower(p.Username)]
		if !ok {
			break
		}
		docs = sn.compileAll(docs, "user/"+u.UserName, u.Inline, u.Attached)
		for _, g := range u.Groups {
			if grp, ok := sn.groups[p.Account+"/"+lower(g)]; ok {
				docs = sn.compileAll(docs, "group/"+grp.GroupName, grp.Inline, grp.Attached)
			}
		}
		boundary = u.PermissionsBoundary
	case authz.AssumedRole:
		name := p.RoleARN[strings.LastIndexByte(p.RoleARN, '/')+1:]
		if r, ok := sn.roles[p.Account+"/"+lower(name)]; ok {
			docs = sn.compileAll(docs, "role/"+r.RoleName, r.Inline, r.Attached)
			boundary = r.PermissionsBoundary
		}
	}
	pol.Identity = policy.NewSet(docs...)
	if boundary != nil {
		if c := sn.managed(boundary.PermissionsBoundaryArn); c != nil {
			pol.Boundary = policy.NewSet(c)
		} else {
			pol.Boundary = policy.NewSet()
		}
	}
	return pol
}

func (sn *Snapshot) compileAll(out []*policy.Compiled, owner string, inline []InlinePolicy, attached []AttachedPolicy) []*policy.Compiled {
	for _, ip := range inline {
		if c, err := policy.ParseAndCompile(owner+"/"+ip.Name, ip.Document, policy.Identity); err == nil {
			out = append(out, c)
		}
	}
	for _, ap := range attached {
		if c := sn.managed(ap.PolicyArn); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// managed compiles the default version of a managed policy, or nil.
func (sn *Snapshot) managed(arn string) *policy.Compiled {
	doc, ok := sn.managedDocument(arn)
	if !ok {
		return nil
	}
	c, err := policy.ParseAndCompile(arn, doc, policy.Identity)
	if err != nil {
		return nil
	}
	return c
}

// managedDocument returns the default version of a customer or AWS managed
// policy. The caller holds mu.
func (sn *Snapshot) managedDocument(arn string) (string, bool) {
	if p, ok := sn.policyARNs[arn]; ok {
		for _, v := range p.Versions {
			if v.IsDefaultVersion {
				return v.Document, true
			}
		}
		return "", false
	}
	if ap, ok := awsManagedPolicy(arn); ok {
		return ap.Document, true
	}
	return "", false
}

// managedPolicy returns a customer managed policy by ARN.
func (sn *Snapshot) managedPolicy(account, arn string) (*Policy, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	p, ok := sn.policyARNs[arn]
	return p, ok
}

// key returns an access key's metadata.
func (sn *Snapshot) key(id string) (*AccessKey, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	k, ok := sn.keys[id]
	return k, ok
}

// UserPrincipal returns the principal of an IAM user, or of the account's
// root user when name is empty; nil when the user does not exist.
func (sn *Snapshot) UserPrincipal(account, name string) *authz.Principal {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	return sn.principalLocked(account, name)
}

// ManagedPolicyDocument returns the default version of a customer managed
// policy (in any account) or of an AWS managed policy.
func (sn *Snapshot) ManagedPolicyDocument(arn string) (string, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	return sn.managedDocument(arn)
}

// userByARN returns the principal of a user given its ARN.
func (sn *Snapshot) userByARN(account, userARN string) (*authz.Principal, bool) {
	name := userARN[strings.LastIndexByte(userARN, '/')+1:]
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	u, ok := sn.users[account+"/"+lower(name)]
	if !ok || u.Arn != userARN {
		return nil, false
	}
	return userPrincipal(account, u), true
}

// Users returns an account's users (shared: not to be modified).
func (sn *Snapshot) Users(account string) []*User {
	prefix := account + "/"
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	out := make([]*User, 0, 16)
	for k, u := range sn.users {
		if strings.HasPrefix(k, prefix) {
			out = append(out, u)
		}
	}
	return out
}
