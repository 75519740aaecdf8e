package postgres

import (
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/internal/pgtest"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
)

// TestFollowerSync checks what a node following another one's writes
// sees: the IAM entities, and the kinds reported to its OnChange hook (which
// reloads organizations), including "*" after a pruned feed forces a reload.
func TestFollowerSync(t *testing.T) {
	ctx := t.Context()
	url, schema := pgtest.NewSchema(t)
	var stores [2]*Store
	var nodes [2]*iam.Service
	for i := range nodes {
		st, err := Open(ctx, url, Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
		sealer, _ := iam.NewSealer(make([]byte, 32))
		if nodes[i], err = iam.New(ctx, iam.Config{Store: st, Sealer: sealer}); err != nil {
			t.Fatal(err)
		}
	}
	writer, follower := nodes[0], nodes[1]
	if err := writer.Bootstrap(ctx, "111122223333", "", ""); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var heard []string
	follower.Snapshot().SetOnChange(func(kind string) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, kind)
	})
	takeHeard := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(heard)
		slices.Sort(out)
		heard = nil
		return out
	}

	if _, err := benchCallT(t, writer, "CreateUser", protocol.Params{"UserName": "Dana"}); err != nil {
		t.Fatal(err)
	}
	err := stores[0].Update(ctx, func(tx store.Tx) error {
		_, err := tx.Create(ctx, store.Record{Kind: "orgs.policy", Account: "111122223333", ID: "p-1", Data: []byte(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := follower.Snapshot().Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := follower.Snapshot().User("111122223333", "dana"); !ok {
		t.Error("the follower does not know the user created on the writer")
	}
	if got := takeHeard(); !slices.Contains(got, "orgs.policy") || !slices.Contains(got, "iam.user") {
		t.Errorf("hook heard %q, want iam.user and orgs.policy among them", got)
	}
	if seq, _ := stores[1].LastSeq(ctx); follower.Snapshot().Seq() != seq {
		t.Errorf("follower at %d, store at %d", follower.Snapshot().Seq(), seq)
	}

	// A feed pruned past the follower's position makes it reload.
	if _, err := benchCallT(t, writer, "CreateUser", protocol.Params{"UserName": "Eve"}); err != nil {
		t.Fatal(err)
	}
	last, _ := stores[0].LastSeq(ctx)
	if err := stores[0].Prune(ctx, last+1); err != nil {
		t.Fatal(err)
	}
	if err := follower.Snapshot().Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := follower.Snapshot().User("111122223333", "eve"); !ok {
		t.Error("the follower does not know the user created before the prune")
	}
	if got := takeHeard(); !slices.Equal(got, []string{"*"}) {
		t.Errorf("after a reload the hook heard %q, want [*]", got)
	}
}
