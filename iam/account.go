package iam

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
)

// Bootstrap creates an account and, when the account has no root access
// key yet, a root access key with the given id and secret. It is what
// `gatehouse serve` does on first start; running it again changes nothing.
func (s *Service) Bootstrap(ctx context.Context, account, keyID, secret string) error {
	now := s.now().UTC().Truncate(time.Second)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Get(ctx, store.Key{Kind: kindAccount, ID: account})
		if errors.Is(err, store.ErrNotFound) {
			err = put(ctx, tx, kindAccount, "", account, "", &Account{ID: account, Created: now}, true)
		}
		if err != nil {
			return err
		}
		if keyID == "" {
			return nil
		}
		_, err = tx.Get(ctx, store.Key{Kind: kindAccessKey, ID: keyID})
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return err
		}
		k := &AccessKey{AccessKeyId: keyID, Account: account, Status: "Active", CreateDate: now,
			SecretEncrypted: s.sealer.Seal(secret, keyID)}
		return put(ctx, tx, kindAccessKey, "", keyID, keyParent(account, ""), k, true)
	})
	if err != nil {
		return err
	}
	return s.snap.Sync(ctx)
}

// accountCreated is when the account was created (the root user's
// CreateDate).
func (s *Service) accountCreated(account string) time.Time {
	s.snap.mu.RLock()
	defer s.snap.mu.RUnlock()
	if a, ok := s.snap.accounts[account]; ok {
		return a.Created
	}
	return time.Time{}
}
