package sts

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Key rotation. A new key seals every token issued after it is added; older
// keys stay in the ring, for opening the tokens they sealed, until the
// longest session they can have sealed has ended: keyRetention after the
// key that replaced them was added (36 hours, GetSessionToken's and
// GetFederationToken's maximum, plus the time other nodes may keep sealing
// with the key before they see the new one).
const (
	maxSession   = 36 * time.Hour
	keyRetention = maxSession + keyRefresh
)

// Rotate adds a new key to the deployment's ring, drops the keys no live
// token can have been sealed with, and makes this node seal with the new
// key at once. Other nodes pick it up within keyRefresh, or as soon as
// they are shown a token it sealed.
func (kr *KeyRing) Rotate(ctx context.Context, st store.Store, sealer *iam.Sealer) error {
	_, err := kr.rotate(ctx, st, sealer, time.Now(), 0)
	return err
}

// RotateEvery rotates the ring whenever its newest key is older than every,
// checking once per check interval until ctx ends. Nodes of one
// deployment may all run it: the age test and the rotation happen in one
// store transaction, so only one of them adds the key.
func (kr *KeyRing) RotateEvery(ctx context.Context, st store.Store, sealer *iam.Sealer, every, check time.Duration, log *slog.Logger) {
	t := time.NewTicker(check)
	defer t.Stop()
	for {
		if rotated, err := kr.rotate(ctx, st, sealer, time.Now(), every); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("rotating the STS key ring", "error", err)
		} else if rotated {
			log.Info("rotated the STS key ring", "key_id", kr.CurrentKeyID())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rotate adds a key unless olderThan > 0 and the newest key is younger than
// that, and reports whether it did.
func (kr *KeyRing) rotate(ctx context.Context, st store.Store, sealer *iam.Sealer, now time.Time, olderThan time.Duration) (bool, error) {
	var rec keyRecord
	rotated := false
	err := st.Update(ctx, func(tx store.Tx) error {
		rec = keyRecord{}
		r, err := tx.Get(ctx, ringKey)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// The store was wiped (an ephemeral server's reset): start a
			// new ring; tokens of the old one die with it.
			r = store.Record{Kind: kindKeyRing, ID: ringKey.ID}
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(r.Data, &rec); err != nil {
				return err
			}
		}
		if n := len(rec.Keys); olderThan > 0 && n > 0 && now.Sub(rec.Keys[n-1].Created) < olderThan {
			return nil
		}
		var id uint32
		for _, k := range rec.Keys {
			id = max(id, k.ID)
		}
		k, err := newSealedKey(sealer, id+1, now)
		if err != nil {
			return err
		}
		rec.Keys = prune(append(rec.Keys, k), now)
		r.Data, _ = json.Marshal(&rec)
		if r.Version == 0 {
			_, err = tx.Create(ctx, r)
		} else {
			_, err = tx.Update(ctx, r)
		}
		if err != nil {
			return err
		}
		rotated = true
		return nil
	})
	if err != nil {
		return false, err
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return rotated, kr.install(&rec, sealer)
}

// prune keeps the keys that may still open live tokens: the newest, and
// every key replaced less than keyRetention ago. A key's replacement time
// is its successor's creation; keys without one (written before rotation
// existed) count as replaced when their successor was created.
func prune(keys []sealedKey, now time.Time) []sealedKey {
	out := keys[:0]
	for i, k := range keys {
		if i == len(keys)-1 || now.Sub(keys[i+1].Created) < keyRetention {
			out = append(out, k)
		}
	}
	return out
}
