package iam

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindResourcePolicy holds resource-based policies of resources that users'
// own services manage (a bucket, a queue, a key, or any ARN), keyed by ARN.
// Account is the resource's owning account.
const kindResourcePolicy = "iam.resourcepolicy"

// ResourcePolicy is a resource-based policy attached to an ARN.
type ResourcePolicy struct {
	ARN     string    `json:"arn"`
	Account string    `json:"account"`
	Policy  string    `json:"policy"`
	Updated time.Time `json:"updated"`
}

// resourcePolicyEntry is a resource policy as the snapshot keeps it.
type resourcePolicyEntry struct {
	doc ResourcePolicy
	set *policy.Set
}

// PutResourcePolicy validates and stores the policy of a resource.
func (s *Service) PutResourcePolicy(ctx context.Context, rp ResourcePolicy) (*ResourcePolicy, error) {
	if rp.ARN == "" || !strings.HasPrefix(rp.ARN, "arn:") {
		return nil, awserr.New("ValidationError", "The resource ARN is not valid.")
	}
	if rp.Account == "" {
		return nil, awserr.New("ValidationError", "The resource's owning account is required.")
	}
	if _, err := policy.Parse(rp.Policy, policy.Resource); err != nil {
		msg := "Syntax errors in policy."
		if pe, ok := err.(*policy.Error); ok {
			msg = pe.Error()
		}
		return nil, awserr.New("MalformedPolicyDocument", msg)
	}
	if n := policySize(rp.Policy); n > 20480 {
		return nil, awserr.New("LimitExceeded", "Maximum policy size of 20480 bytes exceeded.")
	}
	rp.Updated = s.now().UTC().Truncate(time.Second)
	data, _ := json.Marshal(&rp)
	err := s.update(ctx, func(tx store.Tx) error {
		rec := store.Record{Kind: kindResourcePolicy, Account: rp.Account, ID: rp.ARN, Data: data}
		_, err := tx.Update(ctx, rec)
		if errors.Is(err, store.ErrNotFound) {
			_, err = tx.Create(ctx, rec)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rp, nil
}

// GetResourcePolicy returns a resource's policy.
func (s *Service) GetResourcePolicy(account, arn string) (*ResourcePolicy, error) {
	s.snap.mu.RLock()
	defer s.snap.mu.RUnlock()
	e, ok := s.snap.resourcePolicies[arn]
	if !ok || e.doc.Account != account {
		return nil, awserr.New("NoSuchEntity", "No resource policy is attached to "+arn+".")
	}
	doc := e.doc
	return &doc, nil
}

// DeleteResourcePolicy removes a resource's policy.
func (s *Service) DeleteResourcePolicy(ctx context.Context, account, arn string) error {
	return s.update(ctx, func(tx store.Tx) error {
		err := tx.Delete(ctx, store.Key{Kind: kindResourcePolicy, Account: account, ID: arn}, 0)
		if errors.Is(err, store.ErrNotFound) {
			return awserr.New("NoSuchEntity", "No resource policy is attached to "+arn+".")
		}
		return err
	})
}

// ListResourcePolicies lists an account's resource policies whose ARN
// starts with prefix.
func (s *Service) ListResourcePolicies(account, prefix string) []ResourcePolicy {
	s.snap.mu.RLock()
	defer s.snap.mu.RUnlock()
	var out []ResourcePolicy
	for arn, e := range s.snap.resourcePolicies {
		if e.doc.Account == account && strings.HasPrefix(arn, prefix) {
			out = append(out, e.doc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// ResourcePolicyFor returns the compiled policy that governs a resource and
// the resource's owning account: the policy attached to the ARN itself, or
// else to the nearest enclosing resource (an S3 object is governed by its
// bucket's policy: arn:aws:s3:::bucket/key → arn:aws:s3:::bucket).
func (sn *Snapshot) ResourcePolicyFor(arn string) (*policy.Set, string, bool) {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	if len(sn.resourcePolicies) == 0 {
		return nil, "", false // as in many deployments: no walk up the ARN
	}
	for a := arn; a != ""; {
		if e, ok := sn.resourcePolicies[a]; ok {
			return e.set, e.doc.Account, true
		}
		i := strings.LastIndexByte(a, '/')
		if i < 0 {
			break
		}
		a = a[:i]
	}
	return nil, "", false
}

// applyResourcePolicy folds a resource-policy change into the snapshot.
func (sn *Snapshot) applyResourcePolicy(id string, data []byte, del bool) {
	if del {
		delete(sn.resourcePolicies, id)
		return
	}
	var rp ResourcePolicy
	if json.Unmarshal(data, &rp) != nil {
		return
	}
	c, err := policy.ParseAndCompile(rp.ARN, rp.Policy, policy.Resource)
	if err != nil {
		return
	}
	sn.resourcePolicies[id] = &resourcePolicyEntry{doc: rp, set: policy.NewSet(c)}
}
