package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/store"
)

// changeData returns each change that has not been pruned as Changes
// reports it: seq, op, ID, version and data ("-" for a nil Data).
func changeData(t *testing.T, s *Store) []string {
	t.Helper()
	var pruned int64
	if err := s.writer.QueryRow(qPruned).Scan(&pruned); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Changes(t.Context(), pruned, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		d := "-"
		if c.Record.Data != nil {
			d = string(c.Record.Data)
		}
		out = append(out, fmt.Sprintf("%d %s %s v%d %s", c.Seq, c.Op, c.Key.ID, c.Record.Version, d))
	}
	return out
}

// storedData returns the sequence numbers of the change rows that hold data
// of their own.
func storedData(t *testing.T, s *Store) []int64 {
	t.Helper()
	rows, err := s.writer.Query(`SELECT seq FROM changes WHERE data IS NOT NULL ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			t.Fatal(err)
		}
		out = append(out, seq)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// write runs fn in one Update and fails the test on an error.
func write(t *testing.T, s *Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
}

func item(id, data string) store.Record {
	return store.Record{Kind: "test.item", Account: "111122223333", ID: id, Data: []byte(data)}
}

// TestDataStoredOnce checks where the data of each change lives: a create
// or update leaves it in the record row only, and the update or delete that
// supersedes it copies it into the change first, unless the change has been
// pruned; the feed reads the same either way.
func TestDataStoredOnce(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *Store{"File": openFile, "Memory": openMemory} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			ctx := t.Context()
			create := func(id, data string) func(tx store.Tx) error {
				return func(tx store.Tx) error { _, err := tx.Create(ctx, item(id, data)); return err }
			}
			update := func(id, data string) func(tx store.Tx) error {
				return func(tx store.Tx) error { _, err := tx.Update(ctx, item(id, data)); return err }
			}
			steps := []struct {
				name   string
				fn     func(tx store.Tx) error
				prune  int64 // Prune(prune) before fn, when not 0
				stored []int64
				feed   []string
			}{
				{name: "create", fn: create("a", `1`), feed: []string{"1 create a v1 1"}},
				{name: "create another", fn: create("b", `1`), feed: []string{"1 create a v1 1", "2 create b v1 1"}},
				{name: "update keeps the create's data", fn: update("a", `2`), stored: []int64{1},
					feed: []string{"1 create a v1 1", "2 create b v1 1", "3 update a v2 2"}},
				{name: "delete keeps the create's data", fn: func(tx store.Tx) error { return tx.Delete(ctx, key("b"), 1) }, stored: []int64{1, 2},
					feed: []string{"1 create a v1 1", "2 create b v1 1", "3 update a v2 2", "4 delete b v0 -"}},
				{name: "conflicting writes copy nothing", fn: func(tx store.Tx) error {
					if err := tx.Delete(ctx, key("a"), 1); err == nil {
						return fmt.Errorf("stale delete succeeded")
					}
					r := item("a", `stale`)
					r.Version = 1
					if _, err := tx.Update(ctx, r); err == nil {
						return fmt.Errorf("stale update succeeded")
					}
					return nil
				}, stored: []int64{1, 2},
					feed: []string{"1 create a v1 1", "2 create b v1 1", "3 update a v2 2", "4 delete b v0 -"}},
				{name: "pruned change is not written back", prune: 4, fn: update("a", `3`), stored: nil,
					feed: []string{"4 delete b v0 -", "5 update a v3 3"}},
				{name: "create, update and delete in one transaction", fn: func(tx store.Tx) error {
					for _, f := range []func(store.Tx) error{create("c", `1`), update("c", `2`), update("a", `4`)} {
						if err := f(tx); err != nil {
							return err
						}
					}
					return tx.Delete(ctx, key("c"), 0)
				}, stored: []int64{5, 6, 7},
					feed: []string{"4 delete b v0 -", "5 update a v3 3", "6 create c v1 1", "7 update c v2 2", "8 update a v4 4", "9 delete c v0 -"}},
			}
			for _, st := range steps {
				if st.prune != 0 {
					if err := s.Prune(ctx, st.prune); err != nil {
						t.Fatal(err)
					}
				}
				write(t, s, st.fn)
				if got := storedData(t, s); !slices.Equal(got, st.stored) {
					t.Errorf("%s: changes holding data = %v, want %v", st.name, got, st.stored)
				}
				if got := changeData(t, s); !slices.Equal(got, st.feed) {
					t.Errorf("%s: feed = %q, want %q", st.name, got, st.feed)
				}
			}
			// After a reset the store starts over: new changes read their
			// data from the new rows.
			if err := s.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			write(t, s, create("a", `5`))
			if cs, err := s.Changes(ctx, 10, 0); err != nil || len(cs) != 1 || string(cs[0].Record.Data) != `5` {
				t.Errorf("Changes after Reset = %+v, %v; want the new create with its data", cs, err)
			}
		})
	}
}

// TestMigrateFromV2 builds a database at schema version 2 with data, as the
// second release wrote it (every change holding its data), and checks that
// Open upgrades it: the old changes read as before, writes to old records
// keep them, and new changes store their data once.
func TestMigrateFromV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), db, migrations[:2]); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO records VALUES
			('test.item', '111122223333', 'a', '', '{"a":2}', 2, 1700000000000000000),
			('test.item', '111122223333', 'b', 'p', '{"b":1}', 1, 1700000000000000000)`,
		`INSERT INTO changes (seq, op, kind, account, id, parent, data, version, at) VALUES
			(1, 'create', 'test.item', '111122223333', 'a', '', '{"a":1}', 1, 1600000000000000000),
			(2, 'create', 'test.item', '111122223333', 'b', 'p', '{"b":1}', 1, 1700000000000000000),
			(3, 'update', 'test.item', '111122223333', 'a', '', '{"a":2}', 2, 1700000000000000000),
			(4, 'create', 'test.item', '111122223333', 'gone', '', '{}', 1, 1700000000000000000),
			(5, 'delete', 'test.item', '111122223333', 'gone', '', NULL, 0, 1700000000000000000)`,
		`UPDATE counters SET value = 5 WHERE name = 'seq'`,
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
		t.Fatalf("Open v2 database: %v", err)
	}
	defer s.Close()
	old := []string{"1 create a v1 {\"a\":1}", "2 create b v1 {\"b\":1}", "3 update a v2 {\"a\":2}", "4 create gone v1 {}", "5 delete gone v0 -"}
	if got := changeData(t, s); !slices.Equal(got, old) {
		t.Errorf("feed after upgrade = %q, want %q", got, old)
	}
	ctx := t.Context()
	write(t, s, func(tx store.Tx) error {
		if _, err := tx.Update(ctx, item("a", `{"a":3}`)); err != nil {
			return err
		}
		if err := tx.Delete(ctx, key("b"), 1); err != nil {
			return err
		}
		_, err := tx.Create(ctx, item("c", `{"c":1}`))
		return err
	})
	write(t, s, func(tx store.Tx) error { _, err := tx.Update(ctx, item("c", `{"c":2}`)); return err })
	want := append(old, "6 update a v3 {\"a\":3}", "7 delete b v0 -", "8 create c v1 {\"c\":1}", "9 update c v2 {\"c\":2}")
	if got := changeData(t, s); !slices.Equal(got, want) {
		t.Errorf("feed after writes = %q, want %q", got, want)
	}
	if got, wantStored := storedData(t, s), []int64{1, 2, 3, 4, 8}; !slices.Equal(got, wantStored) {
		t.Errorf("changes holding data = %v, want %v", got, wantStored)
	}
}

// TestQueryPlans checks that the statements that join records and changes
// find their rows through a primary key, never by scanning a table.
func TestQueryPlans(t *testing.T) {
	s := openMemory(t)
	defer s.Close()
	tests := []struct {
		name, query string
		want        []string // lines the plan must have
	}{
		{"qChanges", qChanges, []string{
			"SEARCH c USING INTEGER PRIMARY KEY (rowid>?)",
			"SEARCH r USING INDEX sqlite_autoindex_records_1 (kind=? AND account=? AND id=?) LEFT-JOIN",
		}},
		{"qKeepData", qKeepData, []string{
			"SEARCH r USING INDEX sqlite_autoindex_records_1 (kind=? AND account=? AND id=?)",
			"SEARCH changes USING INTEGER PRIMARY KEY (rowid=?)",
		}},
	}
	for _, tc := range tests {
		rows, err := s.writer.Query("EXPLAIN QUERY PLAN "+tc.query, 1, 2, 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !slices.Contains(plan, w) {
				t.Errorf("%s: plan %q lacks %q", tc.name, plan, w)
			}
		}
		for _, line := range plan {
			if strings.HasPrefix(line, "SCAN") {
				t.Errorf("%s: plan %q scans a table", tc.name, plan)
			}
		}
	}
}
