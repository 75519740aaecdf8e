package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/pgtest"
	"github.com/gatehouse-iam/gatehouse/store"
)

// TestDatabaseRestart stops PostgreSQL (immediate shutdown, as a crash)
// while writers commit pairs of records, then starts it again: while it is
// down every write fails with store.ErrBusy, the store reconnects by itself
// once it is back, every acknowledged write is there, and no pair is half
// written.
func TestDatabaseRestart(t *testing.T) {
	pg := pgtest.New(t)
	ctx := t.Context()
	s, err := Open(ctx, pg.URL(), Options{Schema: "fault"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var (
		next      atomic.Int64
		mu        sync.Mutex
		acked     []int64
		failures  atomic.Int64
		otherErrs []error
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	writePair := func(n int64) error {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return s.Update(wctx, func(tx store.Tx) error {
			for _, side := range []string{"a", "b"} {
				if _, err := tx.Create(wctx, store.Record{Kind: "test.pair", ID: fmt.Sprintf("%s-%06d", side, n), Data: []byte(`{}`)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := next.Add(1)
				err := writePair(n)
				mu.Lock()
				switch {
				case err == nil:
					acked = append(acked, n)
				case errors.Is(err, store.ErrBusy):
					failures.Add(1)
				default:
					otherErrs = append(otherErrs, err)
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("writes before the stop", func() bool { return ackedNow() >= 50 })
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor("failures while stopped", func() bool { return failures.Load() >= 4 })
	before := ackedNow()
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	waitFor("writes after the restart", func() bool { return ackedNow() >= before+50 })
	t.Logf("%d pairs acknowledged, %d writes failed with ErrBusy; writes resumed %v after the restart",
		ackedNow(), failures.Load(), time.Since(restarted).Round(time.Millisecond))
	close(stop)
	wg.Wait()
	for _, err := range otherErrs {
		t.Errorf("write failed with %v, want store.ErrBusy", err)
	}

	present := map[string]bool{}
	err = s.View(ctx, func(tx store.Tx) error {
		recs, err := tx.List(ctx, store.ListOptions{Kind: "test.pair"})
		for _, r := range recs {
			present[r.ID] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range acked {
		if !present[fmt.Sprintf("a-%06d", n)] || !present[fmt.Sprintf("b-%06d", n)] {
			t.Errorf("acknowledged pair %d is missing", n)
		}
	}
	for id := range present {
		other := map[byte]string{'a': "b", 'b': "a"}[id[0]] + id[1:]
		if !present[other] {
			t.Errorf("%s is stored without %s: a half-written transaction", id, other)
		}
	}
	// The feed has one change per record, numbered without gaps.
	cs, err := s.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(present) {
		t.Errorf("%d changes for %d records", len(cs), len(present))
	}
	for i, c := range cs {
		if c.Seq != int64(i+1) {
			t.Fatalf("change %d has seq %d: the feed has a gap", i, c.Seq)
		}
	}
}
