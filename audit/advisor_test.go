package audit

import (
	"context"
	"testing"
	"time"
)

// TestActivityOutlivesThePrunedFeed checks that the last-used index comes
// from the store's batches, not only from its change feed: a new index after
// the feed was pruned, and an index whose position was pruned away, both
// find every use the store holds, and a use whose batch retention deleted is
// gone after a reload.
func TestActivityOutlivesThePrunedFeed(t *testing.T) {
	ctx := context.Background()
	st := openFileStore(t, t.TempDir())
	defer st.Close()
	rec := NewRecorder(st)
	defer rec.Close()
	accounts := func(context.Context) ([]string, error) { return []string{"123456789012"}, nil }
	base := time.Now().Truncate(time.Second)
	call := func(at time.Time, key string) {
		t.Helper()
		c := benchCall()
		c.Time, c.AccessKeyID = at, key
		if err := rec.Record(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	lastUsed := func(a *Activity, key string) (time.Time, bool) {
		t.Helper()
		u, ok, err := a.KeyLastUsed(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return u.Time, ok
	}
	pruneFeed := func() {
		t.Helper()
		last, err := st.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Prune(ctx, last+1); err != nil {
			t.Fatal(err)
		}
	}

	call(base, "AKIAOLD")
	old := NewActivity(st, accounts)
	if at, ok := lastUsed(old, "AKIAOLD"); !ok || !at.Equal(base) {
		t.Fatalf("AKIAOLD last used %v %v, want %v", at, ok, base)
	}
	pruneFeed()
	fresh := NewActivity(st, accounts)
	if at, ok := lastUsed(fresh, "AKIAOLD"); !ok || !at.Equal(base) {
		t.Errorf("a new index after the feed was pruned: AKIAOLD last used %v %v, want %v", at, ok, base)
	}

	// The old index's position is pruned away with the next batch.
	cut := time.Now() // after the first batch's commit, before the second's
	call(base.Add(time.Minute), "AKIANEW")
	pruneFeed()
	if at, ok := lastUsed(old, "AKIANEW"); !ok || !at.Equal(base.Add(time.Minute)) {
		t.Errorf("an index behind the pruned feed: AKIANEW last used %v %v, want %v", at, ok, base.Add(time.Minute))
	}

	// Retention deletes the first batch: a reloaded index no longer has it.
	if n, err := Prune(ctx, st, []string{"123456789012"}, cut); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 batch", n, err)
	}
	reloaded := NewActivity(st, accounts)
	if _, ok := lastUsed(reloaded, "AKIAOLD"); ok {
		t.Error("AKIAOLD's use outlived its batch")
	}
	if _, ok := lastUsed(reloaded, "AKIANEW"); !ok {
		t.Error("AKIANEW's use is gone")
	}
}
