package sts

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// newRing opens a key ring over a fresh in-memory store.
func newRing(t testing.TB) (*KeyRing, store.Store, *iam.Sealer) {
	t.Helper()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := iam.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := LoadKeyRing(context.Background(), st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	return kr, st, sealer
}

// keyID is the id of the key that sealed a token.
func keyID(t *testing.T, token string) uint32 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 5 {
		t.Fatalf("token %q does not decode", token)
	}
	return binary.BigEndian.Uint32(raw[1:5])
}

func storedIDs(t *testing.T, st store.Store) []uint32 {
	t.Helper()
	var rec keyRecord
	err := st.View(context.Background(), func(tx store.Tx) error {
		r, err := tx.Get(context.Background(), ringKey)
		if err != nil {
			return err
		}
		return json.Unmarshal(r.Data, &rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, k := range rec.Keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func TestRotateKeepsOldTokensValid(t *testing.T) {
	ctx := context.Background()
	kr, st, sealer := newRing(t)
	old, err := kr.Seal(&Claims{Kind: "user", AccessKeyID: "ASIAOLD"})
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.Rotate(ctx, st, sealer); err != nil {
		t.Fatal(err)
	}
	fresh, err := kr.Seal(&Claims{Kind: "user", AccessKeyID: "ASIANEW"})
	if err != nil {
		t.Fatal(err)
	}
	if keyID(t, old) != 1 || keyID(t, fresh) != 2 || kr.CurrentKeyID() != 2 {
		t.Fatalf("key ids: old token %d, new token %d, current %d", keyID(t, old), keyID(t, fresh), kr.CurrentKeyID())
	}
	for _, tok := range []string{old, fresh} {
		if _, err := kr.Open(tok); err != nil {
			t.Fatalf("token sealed with key %d does not open after rotation: %v", keyID(t, tok), err)
		}
	}
	// Another node of the deployment, loaded before the rotation, opens the
	// new key's tokens by reading the ring again.
	other, err := LoadKeyRing(ctx, st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.Rotate(ctx, st, sealer); err != nil {
		t.Fatal(err)
	}
	third, err := kr.Seal(&Claims{Kind: "user", AccessKeyID: "ASIA3"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := other.Open(third); err != nil || c.AccessKeyID != "ASIA3" {
		t.Fatalf("node loaded before the rotation: %v %+v", err, c)
	}
	if other.CurrentKeyID() != 3 {
		t.Fatalf("the other node seals with key %d after reloading, want 3", other.CurrentKeyID())
	}
}

func TestRotatePrunesKeysAfterLongestSession(t *testing.T) {
	ctx := context.Background()
	kr, st, sealer := newRing(t)
	t0 := time.Now()
	tok1, _ := kr.Seal(&Claims{Kind: "user"})
	if _, err := kr.rotate(ctx, st, sealer, t0, 0); err != nil { // key 2 replaces key 1 at t0
		t.Fatal(err)
	}
	tok2, _ := kr.Seal(&Claims{Kind: "user"})
	// Within the longest session, key 1 stays.
	if _, err := kr.rotate(ctx, st, sealer, t0.Add(maxSession), 0); err != nil { // key 3 at t0+36h
		t.Fatal(err)
	}
	if got := storedIDs(t, st); len(got) != 3 {
		t.Fatalf("keys 36 h after replacing key 1: %v", got)
	}
	// Once it has passed (plus the refresh margin), key 1 goes, key 2 stays.
	if _, err := kr.rotate(ctx, st, sealer, t0.Add(keyRetention+time.Second), 0); err != nil {
		t.Fatal(err)
	}
	if got := storedIDs(t, st); len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Fatalf("keys after the retention: %v, want [2 3 4]", got)
	}
	kr.next.Store(0) // allow the reload an unknown key id triggers
	if _, err := kr.Open(tok1); err == nil {
		t.Fatal("a token sealed with a pruned key still opens")
	}
	if _, err := kr.Open(tok2); err != nil {
		t.Fatalf("a token sealed with a retained key: %v", err)
	}
}

func TestRotateEveryRotatesOnlyOldRings(t *testing.T) {
	ctx := context.Background()
	kr, st, sealer := newRing(t)
	now := time.Now()
	for _, tc := range []struct {
		at      time.Time
		rotated bool
	}{
		{now.Add(time.Hour), false},     // key 1 is an hour old
		{now.Add(25 * time.Hour), true}, // a day old: key 2
		{now.Add(26 * time.Hour), false},
	} {
		rotated, err := kr.rotate(ctx, st, sealer, tc.at, 24*time.Hour)
		if err != nil || rotated != tc.rotated {
			t.Fatalf("rotate at +%v: rotated %v, %v; want %v", tc.at.Sub(now), rotated, err, tc.rotated)
		}
	}
	if kr.CurrentKeyID() != 2 {
		t.Fatalf("current key %d, want 2", kr.CurrentKeyID())
	}
}

func TestOpenRefusesForeignAndAlteredBlobs(t *testing.T) {
	kr, _, _ := newRing(t)
	tok, err := kr.Seal(&Claims{Kind: "role", AccessKeyID: "ASIAX"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	msg, err := kr.seal(messageVersion, []byte(`{"allowed":false}`))
	if err != nil {
		t.Fatal(err)
	}
	otherRing, _, _ := newRing(t) // another deployment (same master key, its own token key)
	foreign, _ := otherRing.Seal(&Claims{Kind: "role"})
	for name, tok := range map[string]string{
		"not base64":            "!!!",
		"empty":                 "",
		"short":                 base64.StdEncoding.EncodeToString(raw[:4]),
		"altered format byte":   flip(0),
		"unknown key id":        flip(4),
		"altered nonce":         flip(6),
		"altered ciphertext":    flip(len(raw) - 20),
		"altered tag":           flip(len(raw) - 1),
		"authorization message": base64.StdEncoding.EncodeToString(msg),
		"other deployment":      foreign,
	} {
		if _, err := kr.Open(tok); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestRotateRecreatesAWipedRing(t *testing.T) {
	ctx := context.Background()
	kr, st, sealer := newRing(t)
	before, err := kr.Seal(&Claims{Kind: "user"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.Delete(ctx, ringKey, 0) }); err != nil {
		t.Fatal(err)
	}
	if err := kr.Rotate(ctx, st, sealer); err != nil {
		t.Fatal(err)
	}
	if got := storedIDs(t, st); len(got) != 1 || got[0] != 1 {
		t.Fatalf("keys of the recreated ring: %v", got)
	}
	tok, err := kr.Seal(&Claims{Kind: "user"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Open(tok); err != nil {
		t.Fatal(err)
	}
	// The new key 1 is not the old key 1: the old ring's tokens are dead,
	// and another node reading the new ring opens the new tokens.
	if _, err := kr.Open(before); err == nil {
		t.Fatal("a token of the wiped ring still opens")
	}
	other, err := LoadKeyRing(ctx, st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(tok); err != nil {
		t.Fatalf("another node: %v", err)
	}
}
