package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/storetest"
)

func openFile(t testing.TB) *Store {
	s, err := Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openMemory(t testing.TB) *Store {
	s, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openFile(t) })
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openMemory(t) })
	})
}

// TestMemoryIsPrivate checks that two in-memory stores do not share data and
// that closing one discards it.
func TestMemoryIsPrivate(t *testing.T) {
	a, b := openMemory(t), openMemory(t)
	defer b.Close()
	put(t, a, "x")
	if err := b.View(t.Context(), func(tx store.Tx) error { _, err := tx.Get(t.Context(), key("x")); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second memory store sees the first's record: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

func key(id string) store.Key { return store.Key{Kind: "test.item", Account: "111122223333", ID: id} }

func put(t testing.TB, s store.Store, id string) {
	t.Helper()
	err := s.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.Create(context.Background(), store.Record{Kind: "test.item", Account: "111122223333", ID: id, Data: []byte(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReopen checks that a file store keeps records and the feed position
// across Close and Open.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g?#%.db") // URI metacharacters in the name
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "kept")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if seq, err := s.LastSeq(t.Context()); err != nil || seq != 1 {
		t.Errorf("LastSeq after reopen = %d, %v; want 1", seq, err)
	}
	if err := s.View(t.Context(), func(tx store.Tx) error { _, err := tx.Get(t.Context(), key("kept")); return err }); err != nil {
		t.Errorf("record after reopen: %v", err)
	}
}

// TestMigrateFromV1 builds a database at schema version 1 with data, as the
// first release wrote it, and checks that Open upgrades it: records survive
// and sequence numbering continues after the old feed.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), db, migrations[:1]); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO records VALUES ('test.item', '111122223333', 'old', '', '{"v":2}', 2, 1700000000000000000)`,
		`INSERT INTO changes (op, kind, account, id, parent, data, version, at) VALUES
			('create', 'test.item', '111122223333', 'old', '', '{"v":1}', 1, 1600000000000000000),
			('update', 'test.item', '111122223333', 'old', '', '{"v":2}', 2, 1700000000000000000)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open v1 database: %v", err)
	}
	defer s.Close()
	var version int
	if err := s.writer.QueryRow(`SELECT version FROM schema_version`).Scan(&version); err != nil || version != len(migrations) {
		t.Errorf("schema version = %d, %v; want %d", version, err, len(migrations))
	}
	if seq, err := s.LastSeq(t.Context()); err != nil || seq != 2 {
		t.Errorf("LastSeq after upgrade = %d, %v; want 2", seq, err)
	}
	err = s.Update(t.Context(), func(tx store.Tx) error {
		r, err := tx.Get(t.Context(), key("old"))
		if err != nil {
			return err
		}
		if string(r.Data) != `{"v":2}` || r.Version != 2 {
			return fmt.Errorf("old record = %s v%d", r.Data, r.Version)
		}
		_, err = tx.Update(t.Context(), r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.Changes(t.Context(), 0, 0)
	if err != nil || len(cs) != 3 || cs[2].Seq != 3 || cs[2].Record.Version != 3 || cs[0].Op != store.OpCreate {
		t.Errorf("feed after upgrade = %+v, %v; want the two old changes and seq 3", cs, err)
	}
}

// TestNewerSchemaRefused checks that Open does not touch a database written by
// a newer version.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(path); err == nil {
		s.Close()
		t.Fatal("Open accepted a newer schema")
	}
}

// TestReset checks that Reset empties the store, keeps numbering monotonic
// and sends followers back to a full reload.
func TestReset(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *Store{"File": openFile, "Memory": openMemory} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			put(t, s, "a")
			put(t, s, "b")
			if err := s.Reset(t.Context()); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.View(t.Context(), func(tx store.Tx) (err error) {
				n, err = tx.Count(t.Context(), store.ListOptions{Kind: "test.item", Account: "111122223333"})
				return err
			}); err != nil || n != 0 {
				t.Errorf("records after Reset = %d, %v", n, err)
			}
			for _, after := range []int64{0, 2} {
				if _, err := s.Changes(t.Context(), after, 0); !errors.Is(err, store.ErrPruned) {
					t.Errorf("Changes(after %d) following Reset = %v, want ErrPruned", after, err)
				}
			}
			last, err := s.LastSeq(t.Context())
			if err != nil || last <= 2 {
				t.Fatalf("LastSeq after Reset = %d, %v; want above 2", last, err)
			}
			put(t, s, "a")
			if cs, err := s.Changes(t.Context(), last, 0); err != nil || len(cs) != 1 || cs[0].Seq != last+1 {
				t.Errorf("Changes after reset = %+v, %v", cs, err)
			}
		})
	}
}

// TestTwoHandlesOneFile has two Stores on one file, as two processes would:
// their writers contend for the database lock, and no increment may be lost.
func TestTwoHandlesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	put(t, a, "counter")
	const perHandle = 40
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for range perHandle {
				err := s.Update(t.Context(), func(tx store.Tx) error {
					r, err := tx.Get(t.Context(), key("counter"))
					if err != nil {
						return err
					}
					_, err = tx.Update(t.Context(), r)
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	err = b.View(t.Context(), func(tx store.Tx) error {
		r, err := tx.Get(t.Context(), key("counter"))
		if err == nil && r.Version != 4*perHandle+1 {
			err = fmt.Errorf("counter at v%d, want v%d", r.Version, 4*perHandle+1)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// TestPanicRollsBack checks that a panicking fn leaves no transaction open.
func TestPanicRollsBack(t *testing.T) {
	s := openMemory(t)
	defer s.Close()
	func() {
		defer func() { recover() }()
		s.Update(t.Context(), func(tx store.Tx) error {
			tx.Create(t.Context(), store.Record{Kind: "test.item", Account: "111122223333", ID: "p", Data: []byte(`{}`)})
			panic("handler bug")
		})
	}()
	put(t, s, "after") // would block or fail if the writer were still in a transaction
	if err := s.View(t.Context(), func(tx store.Tx) error { _, err := tx.Get(t.Context(), key("p")); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record from the panicking fn: %v, want ErrNotFound", err)
	}
}

// contention returns real SQLite errors: SQLITE_BUSY from a second
// connection that finds the write lock taken, and a syntax error.
func contention(t *testing.T) (busy, syntax error) {
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close() })
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate&_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	_, busy = other.Begin()
	_, syntax = other.Exec(`SELEC 1`)
	if busy == nil || syntax == nil {
		t.Fatalf("want two errors, got %v and %v", busy, syntax)
	}
	return busy, syntax
}

func TestContended(t *testing.T) {
	busy, syntax := contention(t)
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"busy", busy, true},
		{"wrapped busy", fmt.Errorf("get: %w", busy), true},
		{"syntax", syntax, false},
		{"not found", store.ErrNotFound, false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := contended(tc.err); got != tc.want {
			t.Errorf("%s (%v): contended = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestRetry(t *testing.T) {
	busy, syntax := contention(t)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		errs      []error // returned by successive attempts; nil after the last
		wantCalls int
		wantErr   error
	}{
		{"success", t.Context(), nil, 1, nil},
		{"busy twice", t.Context(), []error{busy, busy}, 3, nil},
		{"fn error", t.Context(), []error{errBoom}, 1, errBoom},
		{"not retryable", t.Context(), []error{syntax}, 1, syntax},
		{"busy until the end", t.Context(), slices.Repeat([]error{busy}, maxAttempts), maxAttempts, store.ErrBusy},
		{"cancelled", cancelled, nil, 0, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retry(tc.ctx, func() error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			})
			if calls != tc.wantCalls || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("calls = %d, err = %v; want %d, %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

var errBoom = errors.New("boom")

func BenchmarkGet(b *testing.B) {
	for name, open := range map[string]func(testing.TB) *Store{"File": openFile, "Memory": openMemory} {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			put(b, s, "bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				err := s.View(ctx, func(tx store.Tx) error { _, err := tx.Get(ctx, key("bench")); return err })
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCreate(b *testing.B) {
	for name, open := range map[string]func(testing.TB) *Store{"File": openFile, "Memory": openMemory} {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			ctx := context.Background()
			data := []byte(`{"UserName":"bench","Path":"/","Arn":"arn:aws:iam::111122223333:user/bench"}`)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				err := s.Update(ctx, func(tx store.Tx) error {
					_, err := tx.Create(ctx, store.Record{Kind: "test.item", Account: "111122223333", ID: fmt.Sprint("u", i), Data: data})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestOpenLargeSetsPageSizeOfNewDatabases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "large.db")
	st, err := OpenLarge(path, 65536)
	if err != nil {
		t.Fatal(err)
	}
	var size int
	if err := st.writer.QueryRow("PRAGMA page_size").Scan(&size); err != nil || size != 65536 {
		t.Errorf("page_size = %d, %v; want 65536", size, err)
	}
	var pages int
	if err := st.writer.QueryRow("PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != 64 {
		t.Errorf("wal_autocheckpoint = %d, %v; want 64 pages (4 MiB)", pages, err)
	}
	st.Close()
	for _, bad := range []int{100, 3000, 131072} {
		if _, err := OpenLarge(path, bad); err == nil {
			t.Errorf("page size %d accepted", bad)
		}
	}
}
