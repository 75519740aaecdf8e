// Package storetest is the conformance suite every store.Store backend must
// pass: a backend's tests call Run with a function that opens a fresh, empty
// store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
)

// Run runs the conformance suite. open returns a new, empty store; Run closes
// it at the end of each subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateGet", testCreateGet},
		{"NotFound", testNotFound},
		{"Exists", testExists},
		{"UpdateVersions", testUpdateVersions},
		{"DeleteVersions", testDeleteVersions},
		{"KeyScope", testKeyScope},
		{"Invalid", testInvalid},
		{"List", testList},
		{"Paginate", testPaginate},
		{"Atomicity", testAtomicity},
		{"ReadYourWrites", testReadYourWrites},
		{"ViewReadOnly", testViewReadOnly},
		{"ViewIsolation", testViewIsolation},
		{"ChangeFeed", testChangeFeed},
		{"ChangeFeedReplay", testChangeFeedReplay},
		{"ChangeFeedHistory", testChangeFeedHistory},
		{"Prune", testPrune},
		{"ConcurrentCounter", testConcurrentCounter},
		{"ConcurrentCreate", testConcurrentCreate},
		{"Quota", testQuota},
		{"LargeData", testLargeData},
		{"ContextCancel", testContextCancel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

const kind = "test.item"

var errBoom = errors.New("boom")

func key(id string) store.Key { return store.Key{Kind: kind, Account: "111122223333", ID: id} }

func rec(id, parent, data string) store.Record {
	k := key(id)
	return store.Record{Kind: k.Kind, Account: k.Account, ID: k.ID, Parent: parent, Data: []byte(data)}
}

func ptr(s string) *string { return &s }

// create stores records in one transaction and returns them as stored.
func create(t *testing.T, s store.Store, recs ...store.Record) []store.Record {
	t.Helper()
	out := make([]store.Record, len(recs))
	err := s.Update(t.Context(), func(tx store.Tx) error {
		for i, r := range recs {
			var err error
			if out[i], err = tx.Create(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out
}

// get reads one record in a View.
func get(t *testing.T, s store.Store, k store.Key) (store.Record, error) {
	t.Helper()
	var r store.Record
	err := s.View(t.Context(), func(tx store.Tx) (err error) {
		r, err = tx.Get(t.Context(), k)
		return err
	})
	return r, err
}

// update runs one write through Update and returns fn's error.
func update(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return s.Update(t.Context(), func(tx store.Tx) error { return fn(t.Context(), tx) })
}

// list runs one List in a View.
func list(t *testing.T, s store.Store, o store.ListOptions) []store.Record {
	t.Helper()
	var out []store.Record
	err := s.View(t.Context(), func(tx store.Tx) (err error) {
		out, err = tx.List(t.Context(), o)
		return err
	})
	if err != nil {
		t.Fatalf("List(%+v): %v", o, err)
	}
	return out
}

func ids(recs []store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// sameRecord reports how got differs from want, ignoring Updated.
func sameRecord(got, want store.Record) error {
	if got.Kind != want.Kind || got.Account != want.Account || got.ID != want.ID || got.Parent != want.Parent ||
		got.Version != want.Version || !bytes.Equal(got.Data, want.Data) {
		return fmt.Errorf("got %s parent=%q v%d %.40q, want %s parent=%q v%d %.40q",
			got.Key(), got.Parent, got.Version, got.Data, want.Key(), want.Parent, want.Version, want.Data)
	}
	return nil
}

func testCreateGet(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	got := create(t, s, rec("alice", "", `{"name":"Alice"}`))[0]
	want := rec("alice", "", `{"name":"Alice"}`)
	want.Version = 1
	if err := sameRecord(got, want); err != nil {
		t.Errorf("Create: %v", err)
	}
	if got.Updated.Before(before) || got.Updated.After(time.Now().Add(time.Second)) {
		t.Errorf("Create: Updated = %v, want about now", got.Updated)
	}
	read, err := get(t, s, key("alice"))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if err := sameRecord(read, want); err != nil {
		t.Errorf("Get: %v", err)
	}
	if !read.Updated.Equal(got.Updated) {
		t.Errorf("Get: Updated = %v, Create returned %v", read.Updated, got.Updated)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	create(t, s, rec("present", "", `{}`))
	tests := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
	}{
		{"Get", func(ctx context.Context, tx store.Tx) error { _, err := tx.Get(ctx, key("absent")); return err }},
		{"GetOtherAccount", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Get(ctx, store.Key{Kind: kind, Account: "999999999999", ID: "present"})
			return err
		}},
		{"Update", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Update(ctx, rec("absent", "", `{}`))
			return err
		}},
		{"UpdateVersioned", func(ctx context.Context, tx store.Tx) error {
			r := rec("absent", "", `{}`)
			r.Version = 3
			_, err := tx.Update(ctx, r)
			return err
		}},
		{"Delete", func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, key("absent"), 0) }},
		{"DeleteVersioned", func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, key("absent"), 1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := update(t, s, tc.fn); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
}

func testExists(t *testing.T, s store.Store) {
	create(t, s, rec("bob", "", `{"n":1}`))
	err := update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Create(ctx, rec("bob", "", `{"n":2}`))
		return err
	})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate Create: err = %v, want ErrExists", err)
	}
	// A duplicate within one transaction is caught too.
	err = update(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Create(ctx, rec("carol", "", `{}`)); err != nil {
			return err
		}
		_, err := tx.Create(ctx, rec("carol", "", `{}`))
		return err
	})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate Create in one tx: err = %v, want ErrExists", err)
	}
	if r, _ := get(t, s, key("bob")); string(r.Data) != `{"n":1}` || r.Version != 1 {
		t.Errorf("bob after duplicate Create = v%d %s, want v1 {\"n\":1}", r.Version, r.Data)
	}
	if _, err := get(t, s, key("carol")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("carol after failed tx: err = %v, want ErrNotFound", err)
	}
}

func testUpdateVersions(t *testing.T, s store.Store) {
	create(t, s, rec("dave", "g1", `{"v":1}`))
	steps := []struct {
		name    string
		version int64 // expected version passed to Update
		parent  string
		wantErr error
		wantVer int64 // version afterwards
	}{
		{"current", 1, "g1", nil, 2},
		{"stale", 1, "g1", store.ErrConflict, 2},
		{"future", 7, "g1", store.ErrConflict, 2},
		{"unconditional", 0, "g2", nil, 3},
		{"current again", 3, "", nil, 4},
	}
	for i, st := range steps {
		r := rec("dave", st.parent, fmt.Sprintf(`{"v":%d}`, i+2))
		r.Version = st.version
		var got store.Record
		err := update(t, s, func(ctx context.Context, tx store.Tx) (err error) {
			got, err = tx.Update(ctx, r)
			return err
		})
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		stored, err := get(t, s, key("dave"))
		if err != nil {
			t.Fatal(err)
		}
		if stored.Version != st.wantVer {
			t.Errorf("%s: stored version %d, want %d", st.name, stored.Version, st.wantVer)
		}
		if st.wantErr == nil {
			r.Version = st.wantVer
			if err := sameRecord(got, r); err != nil {
				t.Errorf("%s: Update returned %v", st.name, err)
			}
			if err := sameRecord(stored, r); err != nil {
				t.Errorf("%s: stored %v", st.name, err)
			}
		}
		// Listing by parent follows the record's current Parent.
		for _, p := range []string{"", "g1", "g2"} {
			got := ids(list(t, s, store.ListOptions{Kind: kind, Account: "111122223333", Parent: ptr(p)}))
			if want := p == stored.Parent; want != slices.Equal(got, []string{"dave"}) {
				t.Errorf("%s: List(parent %q) = %q with the record's parent %q", st.name, p, got, stored.Parent)
			}
		}
	}
}

func testDeleteVersions(t *testing.T, s store.Store) {
	create(t, s, rec("erin", "", `{}`), rec("frank", "", `{}`))
	if err := update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Update(ctx, rec("erin", "", `{"x":1}`))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		id      string
		version int64
		wantErr error
	}{
		{"stale", "erin", 1, store.ErrConflict},
		{"current", "erin", 2, nil},
		{"gone", "erin", 2, store.ErrNotFound},
		{"unconditional", "frank", 0, nil},
	}
	for _, st := range steps {
		err := update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, key(st.id), st.version) })
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
	}
	for _, id := range []string{"erin", "frank"} {
		if _, err := get(t, s, key(id)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after delete: err = %v, want ErrNotFound", id, err)
		}
	}
}

func testKeyScope(t *testing.T, s store.Store) {
	variants := []store.Record{
		{Kind: "test.a", Account: "111122223333", ID: "x", Data: []byte(`"a/1"`)},
		{Kind: "test.b", Account: "111122223333", ID: "x", Data: []byte(`"b/1"`)},
		{Kind: "test.a", Account: "444455556666", ID: "x", Data: []byte(`"a/4"`)},
		{Kind: "test.a", Account: "", ID: "x", Data: []byte(`"a/global"`)},
		{Kind: "test.a", Account: "111122223333", ID: "X", Data: []byte(`"a/1/upper"`)},
	}
	create(t, s, variants...)
	for _, v := range variants {
		got, err := get(t, s, v.Key())
		if err != nil || !bytes.Equal(got.Data, v.Data) {
			t.Errorf("Get(%s) = %s, %v; want %s", v.Key(), got.Data, err, v.Data)
		}
	}
	if got := ids(list(t, s, store.ListOptions{Kind: "test.a", Account: ""})); !slices.Equal(got, []string{"x"}) {
		t.Errorf("global test.a records = %q, want [x]", got)
	}
}

func testInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
	}{
		{"GetNoKind", func(ctx context.Context, tx store.Tx) error { _, err := tx.Get(ctx, store.Key{ID: "x"}); return err }},
		{"GetNoID", func(ctx context.Context, tx store.Tx) error { _, err := tx.Get(ctx, store.Key{Kind: kind}); return err }},
		{"CreateNoID", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Create(ctx, store.Record{Kind: kind, Data: []byte(`{}`)})
			return err
		}},
		{"UpdateNegativeVersion", func(ctx context.Context, tx store.Tx) error {
			r := rec("x", "", `{}`)
			r.Version = -1
			_, err := tx.Update(ctx, r)
			return err
		}},
		{"DeleteNoKind", func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, store.Key{ID: "x"}, 0) }},
		{"DeleteNegativeVersion", func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, key("x"), -1) }},
		{"ListNoKind", func(ctx context.Context, tx store.Tx) error { _, err := tx.List(ctx, store.ListOptions{}); return err }},
		{"ListNegativeLimit", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.List(ctx, store.ListOptions{Kind: kind, Limit: -1})
			return err
		}},
		{"CountNoKind", func(ctx context.Context, tx store.Tx) error { _, err := tx.Count(ctx, store.ListOptions{}); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := update(t, s, tc.fn); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// listFixture is the data set of the List tests: IDs in byte order, with a
// multi-byte character and a byte above 'z' to pin bytewise ordering.
var listFixture = []struct{ id, parent string }{
	{"a", ""},
	{"ab", "p1"},
	{"abc", "p1"},
	{"ab~", "p2"},
	{"abé", "p1"},
	{"b", "p2"},
	{"ba", ""},
	{"c", "p1"},
	{"é", ""},
}

func testList(t *testing.T, s store.Store) {
	var recs []store.Record
	for _, f := range listFixture {
		recs = append(recs, rec(f.id, f.parent, `{"id":"`+f.id+`"}`))
	}
	// Created out of order, so ordering cannot come from insertion.
	slices.Reverse(recs)
	create(t, s, recs...)
	create(t, s, store.Record{Kind: "test.other", Account: "111122223333", ID: "aa", Data: []byte(`{}`)})
	tests := []struct {
		name      string
		opts      store.ListOptions
		want      []string
		wantCount int // -1: same as len(want)
	}{
		{"all", store.ListOptions{}, []string{"a", "ab", "abc", "ab~", "abé", "b", "ba", "c", "é"}, -1},
		{"prefix", store.ListOptions{Prefix: "ab"}, []string{"ab", "abc", "ab~", "abé"}, -1},
		{"prefix multibyte", store.ListOptions{Prefix: "é"}, []string{"é"}, -1},
		{"prefix none", store.ListOptions{Prefix: "d"}, nil, -1},
		{"parent", store.ListOptions{Parent: ptr("p1")}, []string{"ab", "abc", "abé", "c"}, -1},
		{"no parent", store.ListOptions{Parent: ptr("")}, []string{"a", "ba", "é"}, -1},
		{"after", store.ListOptions{After: "abé"}, []string{"b", "ba", "c", "é"}, -1},
		{"after absent id", store.ListOptions{After: "bb"}, []string{"c", "é"}, -1},
		{"limit", store.ListOptions{Limit: 2}, []string{"a", "ab"}, 9},
		{"prefix after limit", store.ListOptions{Prefix: "ab", After: "ab", Limit: 2}, []string{"abc", "ab~"}, 3},
		{"parent prefix", store.ListOptions{Parent: ptr("p1"), Prefix: "ab"}, []string{"ab", "abc", "abé"}, -1},
		{"other account", store.ListOptions{Account: "444455556666"}, nil, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.Kind = kind
			if o.Account == "" {
				o.Account = "111122223333"
			}
			got := list(t, s, o)
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("List = %q, want %q", ids(got), tc.want)
			}
			for _, r := range got {
				if string(r.Data) != `{"id":"`+r.ID+`"}` || r.Version != 1 || r.Kind != kind || r.Account != o.Account {
					t.Errorf("List returned %s %s v%d", r.Key(), r.Data, r.Version)
				}
			}
			want := tc.wantCount
			if want < 0 {
				want = len(tc.want)
			}
			var n int
			if err := s.View(t.Context(), func(tx store.Tx) (err error) { n, err = tx.Count(t.Context(), o); return err }); err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("Count = %d, want %d", n, want)
			}
		})
	}
}

func testPaginate(t *testing.T, s store.Store) {
	var recs []store.Record
	var want []string
	for i := range 23 {
		id := fmt.Sprintf("user-%03d", i)
		want = append(want, id)
		recs = append(recs, rec(id, "", `{}`))
	}
	create(t, s, recs...)
	var got []string
	after := ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("pagination does not end")
		}
		batch := list(t, s, store.ListOptions{Kind: kind, Account: "111122223333", After: after, Limit: 5})
		got = append(got, ids(batch)...)
		if len(batch) < 5 {
			break
		}
		after = batch[len(batch)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("paginated IDs = %q, want %q", got, want)
	}
}

// snapshot is the observable state of a store: its test records and change feed.
type snapshot struct {
	records []store.Record
	seq     int64
	changes []store.Change
}

func take(t *testing.T, s store.Store) snapshot {
	t.Helper()
	var sn snapshot
	sn.records = list(t, s, store.ListOptions{Kind: kind, Account: "111122223333"})
	var err error
	if sn.seq, err = s.LastSeq(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sn.changes, err = s.Changes(t.Context(), 0, 0); err != nil {
		t.Fatal(err)
	}
	return sn
}

func (sn snapshot) equal(o snapshot) bool {
	if len(sn.records) != len(o.records) || sn.seq != o.seq || len(sn.changes) != len(o.changes) {
		return false
	}
	for i := range sn.records {
		if sameRecord(sn.records[i], o.records[i]) != nil {
			return false
		}
	}
	return true
}

func testAtomicity(t *testing.T, s store.Store) {
	create(t, s, rec("keep", "", `{"n":1}`), rec("doomed", "", `{}`))
	before := take(t, s)
	calls := 0
	err := update(t, s, func(ctx context.Context, tx store.Tx) error {
		calls++
		if _, err := tx.Create(ctx, rec("new", "", `{}`)); err != nil {
			return err
		}
		if _, err := tx.Update(ctx, rec("keep", "p", `{"n":2}`)); err != nil {
			return err
		}
		if err := tx.Delete(ctx, key("doomed"), 0); err != nil {
			return err
		}
		return fmt.Errorf("handler failed: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	if calls != 1 {
		t.Errorf("fn ran %d times; a failing fn must not be retried", calls)
	}
	if after := take(t, s); !after.equal(before) {
		t.Errorf("a failed transaction left traces: before %+v, after %+v", before, after)
	}
	// A store error returned by fn rolls back too.
	err = update(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Create(ctx, rec("new", "", `{}`)); err != nil {
			return err
		}
		_, err := tx.Create(ctx, rec("keep", "", `{}`))
		return err
	})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("Update = %v, want ErrExists", err)
	}
	if after := take(t, s); !after.equal(before) {
		t.Errorf("a failed transaction left traces: before %+v, after %+v", before, after)
	}
}

func testReadYourWrites(t *testing.T, s store.Store) {
	base, err := s.LastSeq(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	err = update(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Create(ctx, rec("gina", "grp", `{"v":1}`)); err != nil {
			return err
		}
		got, err := tx.Get(ctx, key("gina"))
		if err != nil || got.Version != 1 || string(got.Data) != `{"v":1}` {
			return fmt.Errorf("Get after Create = %+v, %v", got, err)
		}
		if seq, err := tx.LastSeq(ctx); err != nil || seq != base+1 {
			return fmt.Errorf("tx.LastSeq after one write = %d, %v; want %d", seq, err, base+1)
		}
		o := store.ListOptions{Kind: kind, Account: "111122223333", Parent: ptr("grp")}
		if l, err := tx.List(ctx, o); err != nil || !slices.Equal(ids(l), []string{"gina"}) {
			return fmt.Errorf("List after Create = %q, %v", ids(l), err)
		}
		if n, err := tx.Count(ctx, o); err != nil || n != 1 {
			return fmt.Errorf("Count after Create = %d, %v", n, err)
		}
		if _, err := tx.Update(ctx, rec("gina", "grp", `{"v":2}`)); err != nil {
			return err
		}
		if got, err := tx.Get(ctx, key("gina")); err != nil || got.Version != 2 || string(got.Data) != `{"v":2}` {
			return fmt.Errorf("Get after Update = %+v, %v", got, err)
		}
		if err := tx.Delete(ctx, key("gina"), 2); err != nil {
			return err
		}
		if _, err := tx.Get(ctx, key("gina")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get after Delete: %v, want ErrNotFound", err)
		}
		if _, err := tx.Create(ctx, rec("gina", "", `{"v":3}`)); err != nil {
			return fmt.Errorf("re-Create after Delete: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := get(t, s, key("gina")); err != nil || got.Version != 1 || string(got.Data) != `{"v":3}` {
		t.Errorf("after commit: %+v, %v; want the re-created v1", got, err)
	}
}

func testViewReadOnly(t *testing.T, s store.Store) {
	create(t, s, rec("hank", "", `{}`))
	writes := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
	}{
		{"Create", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Create(ctx, rec("ivy", "", `{}`))
			return err
		}},
		{"Update", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Update(ctx, rec("hank", "", `{"x":1}`))
			return err
		}},
		{"Delete", func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, key("hank"), 0) }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := s.View(t.Context(), func(tx store.Tx) error { return w.fn(t.Context(), tx) })
			if !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("err = %v, want ErrReadOnly", err)
			}
		})
	}
	if got, err := get(t, s, key("hank")); err != nil || got.Version != 1 {
		t.Errorf("hank = %+v, %v; want untouched", got, err)
	}
}

// testViewIsolation checks that a View reads one snapshot: a transaction that
// commits while the View is open is invisible to it. Some backends make the
// writer wait for the View instead; the test allows both.
func testViewIsolation(t *testing.T, s store.Store) {
	create(t, s, rec("a", "", `{"n":1}`), rec("b", "", `{"n":1}`))
	seq0, err := s.LastSeq(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	writerDone := make(chan error, 1)
	err = s.View(t.Context(), func(tx store.Tx) error {
		a, err := tx.Get(t.Context(), key("a"))
		if err != nil {
			return err
		}
		go func() {
			writerDone <- update(t, s, func(ctx context.Context, tx store.Tx) error {
				for _, id := range []string{"a", "b"} {
					if _, err := tx.Update(ctx, rec(id, "", `{"n":2}`)); err != nil {
						return err
					}
				}
				_, err := tx.Create(ctx, rec("c", "", `{}`))
				return err
			})
		}()
		select {
		case err := <-writerDone:
			writerDone <- err // committed beside the View
		case <-time.After(200 * time.Millisecond): // or waiting for it
		}
		b, err := tx.Get(t.Context(), key("b"))
		if err != nil {
			return err
		}
		if string(a.Data) != `{"n":1}` || string(b.Data) != `{"n":1}` {
			return fmt.Errorf("View saw a=%s b=%s, want both from before the write", a.Data, b.Data)
		}
		if _, err := tx.Get(t.Context(), key("c")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("View saw c created after it began: %v", err)
		}
		if seq, err := tx.LastSeq(t.Context()); err != nil || seq != seq0 {
			return fmt.Errorf("View LastSeq = %d, %v; want %d", seq, err, seq0)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if err := <-writerDone; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if b, err := get(t, s, key("b")); err != nil || string(b.Data) != `{"n":2}` {
		t.Errorf("after the write, b = %s, %v", b.Data, err)
	}
}

func testChangeFeed(t *testing.T, s store.Store) {
	ctx := t.Context()
	start, err := s.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	create(t, s, rec("a", "p", `{"v":1}`), rec("b", "", `{"v":1}`))
	if err := update(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Update(ctx, rec("a", "q", `{"v":2}`)); err != nil {
			return err
		}
		return tx.Delete(ctx, key("b"), 0)
	}); err != nil {
		t.Fatal(err)
	}
	changes, err := s.Changes(ctx, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		op      store.Op
		id      string
		parent  string
		data    string
		version int64
	}{
		{store.OpCreate, "a", "p", `{"v":1}`, 1},
		{store.OpCreate, "b", "", `{"v":1}`, 1},
		{store.OpUpdate, "a", "q", `{"v":2}`, 2},
		{store.OpDelete, "b", "", "", 0},
	}
	if len(changes) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(changes), len(want), changes)
	}
	prev := start
	for i, w := range want {
		c := changes[i]
		if c.Seq <= prev {
			t.Errorf("change %d: seq %d after %d, want strictly increasing", i, c.Seq, prev)
		}
		prev = c.Seq
		if c.Op != w.op || c.Key != key(w.id) {
			t.Errorf("change %d = %s %s, want %s %s", i, c.Op, c.Key, w.op, key(w.id))
		}
		if c.At.IsZero() {
			t.Errorf("change %d: zero At", i)
		}
		if w.op == store.OpDelete {
			if c.Record.ID != "" || c.Record.Data != nil || c.Record.Version != 0 {
				t.Errorf("change %d: delete carries record %+v", i, c.Record)
			}
			continue
		}
		wr := rec(w.id, w.parent, w.data)
		wr.Version = w.version
		if err := sameRecord(c.Record, wr); err != nil {
			t.Errorf("change %d: %v", i, err)
		}
		if !c.Record.Updated.Equal(c.At) {
			t.Errorf("change %d: Record.Updated %v != At %v", i, c.Record.Updated, c.At)
		}
	}
	if last, err := s.LastSeq(ctx); err != nil || last != prev {
		t.Errorf("LastSeq = %d, %v; want %d", last, err, prev)
	}
	// Paging through the feed.
	page, err := s.Changes(ctx, changes[0].Seq, 2)
	if err != nil || len(page) != 2 || page[0].Seq != changes[1].Seq || page[1].Seq != changes[2].Seq {
		t.Errorf("Changes(after %d, limit 2) = %+v, %v", changes[0].Seq, page, err)
	}
	if tail, err := s.Changes(ctx, prev, 0); err != nil || len(tail) != 0 {
		t.Errorf("Changes after the last = %+v, %v; want none", tail, err)
	}
	// A View's LastSeq is the feed position of its snapshot.
	if err := s.View(ctx, func(tx store.Tx) error {
		seq, err := tx.LastSeq(ctx)
		if err == nil && seq != prev {
			err = fmt.Errorf("View LastSeq = %d, want %d", seq, prev)
		}
		return err
	}); err != nil {
		t.Error(err)
	}
}

// testChangeFeedReplay has concurrent writers and a follower polling the
// feed; replaying the feed must reproduce the store exactly, which fails if a
// poll ever skips a change that committed late with a lower number.
func testChangeFeedReplay(t *testing.T, s store.Store) {
	ctx := t.Context()
	const writers, rounds = 4, 15
	state := map[store.Key]store.Record{}
	var cursor int64
	// poll reads one page of the feed and reports whether it was full.
	poll := func() bool {
		cs, err := s.Changes(ctx, cursor, 7)
		if err != nil {
			t.Error(err)
			return false
		}
		for _, c := range cs {
			if c.Seq <= cursor {
				t.Errorf("seq %d after %d", c.Seq, cursor)
			}
			cursor = c.Seq
			if c.Op == store.OpDelete {
				delete(state, c.Key)
			} else {
				state[c.Key] = c.Record
			}
		}
		return len(cs) == 7
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				id := fmt.Sprintf("w%d-%d", w, i%4)
				err := update(t, s, func(ctx context.Context, tx store.Tx) error {
					r, err := tx.Get(ctx, key(id))
					switch {
					case errors.Is(err, store.ErrNotFound):
						_, err = tx.Create(ctx, rec(id, "", fmt.Sprintf(`{"i":%d}`, i)))
					case err != nil:
					case i%3 == 0:
						err = tx.Delete(ctx, r.Key(), r.Version)
					default:
						r.Data = fmt.Appendf(nil, `{"i":%d}`, i)
						_, err = tx.Update(ctx, r)
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			default:
				poll()
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-polled
	for poll() {
	}
	got := list(t, s, store.ListOptions{Kind: kind, Account: "111122223333"})
	if len(got) != len(state) {
		t.Errorf("store has %d records, replayed feed %d", len(got), len(state))
	}
	for _, r := range got {
		if err := sameRecord(state[r.Key()], r); err != nil {
			t.Errorf("replayed feed differs: %v", err)
		}
	}
}

// testChangeFeedHistory writes a record several times, in one transaction
// and in several, with writes that fail and are ignored, deletes it and
// creates it again: every change must keep the data it wrote, whatever
// happened to the record later, and the numbering must have no gaps.
func testChangeFeedHistory(t *testing.T, s store.Store) {
	ctx := t.Context()
	start, err := s.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	write := func(tx store.Tx, r store.Record, version int64) error {
		r.Version = version
		_, err := tx.Update(ctx, r)
		return err
	}
	txs := []struct {
		name    string
		fn      func(tx store.Tx) error
		wantErr error
	}{
		{"create and update", func(tx store.Tx) error {
			if _, err := tx.Create(ctx, rec("a", "", `{"a":1}`)); err != nil {
				return err
			}
			return write(tx, rec("a", "p", `{"a":2}`), 1)
		}, nil},
		{"update and create", func(tx store.Tx) error {
			if err := write(tx, rec("a", "", `{"a":3}`), 0); err != nil {
				return err
			}
			_, err := tx.Create(ctx, rec("b", "", `{"b":1}`))
			return err
		}, nil},
		{"failed writes ignored", func(tx store.Tx) error {
			if err := write(tx, rec("a", "", `{"a":"stale"}`), 1); !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("stale update: %v, want ErrConflict", err)
			}
			if err := tx.Delete(ctx, key("b"), 7); !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("stale delete: %v, want ErrConflict", err)
			}
			if _, err := tx.Create(ctx, rec("a", "", `{"a":"dup"}`)); !errors.Is(err, store.ErrExists) {
				return fmt.Errorf("duplicate create: %v, want ErrExists", err)
			}
			return nil
		}, nil},
		{"delete, create again, update", func(tx store.Tx) error {
			if err := tx.Delete(ctx, key("a"), 3); err != nil {
				return err
			}
			if _, err := tx.Create(ctx, rec("a", "", `{"a":4}`)); err != nil {
				return err
			}
			return write(tx, rec("b", "", `{"b":2}`), 1)
		}, nil},
		{"rolled back", func(tx store.Tx) error {
			if err := write(tx, rec("a", "", `{"a":"lost"}`), 0); err != nil {
				return err
			}
			if err := tx.Delete(ctx, key("b"), 0); err != nil {
				return err
			}
			return errBoom
		}, errBoom},
		{"delete", func(tx store.Tx) error { return tx.Delete(ctx, key("b"), 0) }, nil},
		{"update", func(tx store.Tx) error { return write(tx, rec("a", "", `{"a":5}`), 1) }, nil},
	}
	for _, tc := range txs {
		if err := update(t, s, func(_ context.Context, tx store.Tx) error { return tc.fn(tx) }); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Fatalf("%s: err = %v, want %v", tc.name, err, tc.wantErr)
		}
	}
	want := []struct {
		op      store.Op
		id      string
		parent  string
		data    string
		version int64
	}{
		{store.OpCreate, "a", "", `{"a":1}`, 1},
		{store.OpUpdate, "a", "p", `{"a":2}`, 2},
		{store.OpUpdate, "a", "", `{"a":3}`, 3},
		{store.OpCreate, "b", "", `{"b":1}`, 1},
		{store.OpDelete, "a", "", "", 0},
		{store.OpCreate, "a", "", `{"a":4}`, 1},
		{store.OpUpdate, "b", "", `{"b":2}`, 2},
		{store.OpDelete, "b", "", "", 0},
		{store.OpUpdate, "a", "", `{"a":5}`, 2},
	}
	// Read the feed whole and a change at a time: a page boundary must not
	// change what a change carries.
	whole, err := s.Changes(ctx, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	var single []store.Change
	for cursor := start; ; {
		cs, err := s.Changes(ctx, cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		single = append(single, cs...)
		cursor = cs[0].Seq
	}
	for name, changes := range map[string][]store.Change{"whole": whole, "one at a time": single} {
		if len(changes) != len(want) {
			t.Errorf("%s: got %d changes, want %d: %+v", name, len(changes), len(want), changes)
			continue
		}
		for i, w := range want {
			c := changes[i]
			if c.Seq != start+int64(i)+1 {
				t.Errorf("%s: change %d has seq %d, want %d (no gaps)", name, i, c.Seq, start+int64(i)+1)
			}
			if c.Op != w.op || c.Key != key(w.id) {
				t.Errorf("%s: change %d = %s %s, want %s %s", name, i, c.Op, c.Key, w.op, key(w.id))
				continue
			}
			if w.op == store.OpDelete {
				if c.Record.Data != nil || c.Record.Version != 0 {
					t.Errorf("%s: change %d: delete carries record %+v", name, i, c.Record)
				}
				continue
			}
			wr := rec(w.id, w.parent, w.data)
			wr.Version = w.version
			if err := sameRecord(c.Record, wr); err != nil {
				t.Errorf("%s: change %d: %v", name, i, err)
			}
		}
	}
}

func testPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 5 {
		create(t, s, rec(fmt.Sprintf("r%d", i), "", `{}`))
	}
	all, err := s.Changes(ctx, 0, 0)
	if err != nil || len(all) != 5 {
		t.Fatalf("Changes = %d, %v; want 5", len(all), err)
	}
	cut := all[2].Seq // prune the first two
	if err := s.Prune(ctx, cut); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		after   int64
		wantErr error
		want    int
	}{
		{0, store.ErrPruned, 0},
		{all[0].Seq, store.ErrPruned, 0},
		{all[1].Seq, nil, 3},
		{all[4].Seq, nil, 0},
	}
	for _, tc := range tests {
		cs, err := s.Changes(ctx, tc.after, 0)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) || len(cs) != tc.want {
			t.Errorf("Changes(after %d) = %d changes, %v; want %d, %v", tc.after, len(cs), err, tc.want, tc.wantErr)
		}
	}
	// Pruning past the end keeps the numbering going.
	last := all[4].Seq
	if err := s.Prune(ctx, last+100); err != nil {
		t.Fatal(err)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != last {
		t.Errorf("LastSeq after prune = %d, %v; want %d", seq, err, last)
	}
	create(t, s, rec("next", "", `{}`))
	cs, err := s.Changes(ctx, last, 0)
	if err != nil || len(cs) != 1 || cs[0].Seq <= last || cs[0].Key.ID != "next" {
		t.Errorf("Changes after pruning everything = %+v, %v; want the new create numbered after %d", cs, err, last)
	}
	if got := list(t, s, store.ListOptions{Kind: kind, Account: "111122223333"}); len(got) != 6 {
		t.Errorf("Prune touched records: %d left, want 6", len(got))
	}
}

func testConcurrentCounter(t *testing.T, s store.Store) {
	const workers, increments = 8, 25
	create(t, s, rec("counter", "", `0`))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range increments {
				err := update(t, s, func(ctx context.Context, tx store.Tx) error {
					r, err := tx.Get(ctx, key("counter"))
					if err != nil {
						return err
					}
					var n int
					if _, err := fmt.Sscan(string(r.Data), &n); err != nil {
						return err
					}
					r.Data = fmt.Append(nil, n+1)
					_, err = tx.Update(ctx, r)
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	r, err := get(t, s, key("counter"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(workers * increments); string(r.Data) != want || r.Version != workers*increments+1 {
		t.Errorf("counter = %s at v%d, want %s at v%d (lost updates)", r.Data, r.Version, want, workers*increments+1)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const racers = 16
	errs := make([]error, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = update(t, s, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Create(ctx, rec("winner", "", fmt.Sprintf(`{"racer":%d}`, i)))
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrExists):
			t.Errorf("racer %d: %v, want nil or ErrExists", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d racers created the record, want exactly 1", wins)
	}
	if r, err := get(t, s, key("winner")); err != nil || r.Version != 1 {
		t.Errorf("winner = %+v, %v", r, err)
	}
}

func testQuota(t *testing.T, s store.Store) {
	const racers, quota = 16, 2
	errQuota := errors.New("quota exceeded")
	errs := make([]error, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = update(t, s, func(ctx context.Context, tx store.Tx) error {
				n, err := tx.Count(ctx, store.ListOptions{Kind: kind, Account: "111122223333", Parent: ptr("user")})
				if err != nil {
					return err
				}
				if n >= quota {
					return errQuota
				}
				_, err = tx.Create(ctx, rec(fmt.Sprintf("key-%02d", i), "user", `{}`))
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, errQuota):
			t.Errorf("racer %d: %v", i, err)
		}
	}
	got := list(t, s, store.ListOptions{Kind: kind, Account: "111122223333", Parent: ptr("user")})
	if created != quota || len(got) != quota {
		t.Errorf("%d creates succeeded and %d records exist, want exactly %d", created, len(got), quota)
	}
}

func testLargeData(t *testing.T, s store.Store) {
	data := []byte(`{"blob":"` + strings.Repeat("0123456789abcdef", 1<<16) + `"}`) // just over 1 MiB
	create(t, s, rec("big", "", string(data)))
	r, err := get(t, s, key("big"))
	if err != nil || !bytes.Equal(r.Data, data) {
		t.Fatalf("Get big: %d bytes, %v; want %d bytes back", len(r.Data), err, len(data))
	}
	data[10] = 'X'
	r.Data = data
	if err := update(t, s, func(ctx context.Context, tx store.Tx) error { _, err := tx.Update(ctx, r); return err }); err != nil {
		t.Fatal(err)
	}
	if l := list(t, s, store.ListOptions{Kind: kind, Account: "111122223333"}); len(l) != 1 || !bytes.Equal(l[0].Data, data) {
		t.Errorf("List big: data differs")
	}
	cs, err := s.Changes(t.Context(), 0, 0)
	if err != nil || len(cs) != 2 || !bytes.Equal(cs[1].Record.Data, data) {
		t.Errorf("Changes big: %d changes, %v; want the update carrying the data", len(cs), err)
	}
}

func testContextCancel(t *testing.T, s store.Store) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := s.Update(cancelled, func(tx store.Tx) error {
		ran = true
		_, err := tx.Create(cancelled, rec("never", "", `{}`))
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context = %v, want context.Canceled", err)
	}
	if err := s.View(cancelled, func(tx store.Tx) error { _, err := tx.Get(cancelled, key("never")); return err }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := s.Changes(cancelled, 0, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Changes with a cancelled context = %v, want context.Canceled", err)
	}
	// Cancelled halfway through fn: nothing is committed, even though fn
	// itself reports success.
	ctx, cancel := context.WithCancel(t.Context())
	err = s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Create(ctx, rec("half", "", `{}`)); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update cancelled inside fn = %v, want context.Canceled", err)
	}
	for _, id := range []string{"never", "half"} {
		if _, err := get(t, s, key(id)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound (ran=%v)", id, err, ran)
		}
	}
	if seq, err := s.LastSeq(t.Context()); err != nil || seq != 0 {
		t.Errorf("LastSeq = %d, %v; want 0", seq, err)
	}
}
