package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/pgtest"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open opens a store on a fresh schema of the shared test server.
func open(t testing.TB) *Store {
	t.Helper()
	url, schema := pgtest.NewSchema(t)
	s, err := Open(t.Context(), url, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
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

// TestReopen checks that two stores on one schema (two nodes) see each
// other's writes and that opening an existing schema keeps its data.
func TestReopen(t *testing.T) {
	url, schema := pgtest.NewSchema(t)
	a, err := Open(t.Context(), url, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	put(t, a, "kept")
	b, err := Open(t.Context(), url, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if seq, err := b.LastSeq(t.Context()); err != nil || seq != 1 {
		t.Errorf("LastSeq on second store = %d, %v; want 1", seq, err)
	}
	put(t, b, "second")
	cs, err := a.Changes(t.Context(), 0, 0)
	if err != nil || len(cs) != 2 || cs[1].Key.ID != "second" || cs[1].Seq != 2 {
		t.Errorf("Changes on first store = %+v, %v; want both creates", cs, err)
	}
}

// TestSchemasAreSeparate checks that stores on different schemas of one
// database share nothing (entity and audit stores).
func TestSchemasAreSeparate(t *testing.T) {
	a, b := open(t), open(t)
	defer a.Close()
	defer b.Close()
	put(t, a, "x")
	err := b.View(t.Context(), func(tx store.Tx) error { _, err := tx.Get(t.Context(), key("x")); return err })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second schema sees the first's record: %v", err)
	}
}

// TestSchemaNameQuoted checks that a schema name that is not a plain
// lower-case identifier works.
func TestSchemaNameQuoted(t *testing.T) {
	url, schema := pgtest.NewSchema(t)
	s, err := Open(t.Context(), url, Options{Schema: "Mixed Case-" + schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put(t, s, "x")
	if seq, err := s.LastSeq(t.Context()); err != nil || seq != 1 {
		t.Errorf("LastSeq = %d, %v; want 1", seq, err)
	}
}

// TestConcurrentOpen checks that nodes starting at once on an empty schema
// all succeed: the migration race is retried.
func TestConcurrentOpen(t *testing.T) {
	url, schema := pgtest.NewSchema(t)
	const nodes = 4
	errs := make(chan error, nodes)
	for range nodes {
		go func() {
			s, err := Open(t.Context(), url, Options{Schema: schema})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestNewerSchemaRefused checks that Open does not touch a schema written by
// a newer version.
func TestNewerSchemaRefused(t *testing.T) {
	url, schema := pgtest.NewSchema(t)
	s, err := Open(t.Context(), url, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(t.Context(), `UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), url, Options{Schema: schema}); err == nil || !strings.Contains(err.Error(), "newer") {
		if err == nil {
			s.Close()
		}
		t.Errorf("Open of a newer schema = %v, want a refusal", err)
	}
}

// TestInvalidText checks that strings PostgreSQL text cannot hold are
// ErrInvalid, not a failure of the store.
func TestInvalidText(t *testing.T) {
	s := open(t)
	defer s.Close()
	for _, id := range []string{"nul\x00", "bad\xff"} {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			_, err := tx.Create(t.Context(), store.Record{Kind: "test.item", ID: id, Data: []byte(`{}`)})
			return err
		})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Create %q = %v, want ErrInvalid", id, err)
		}
	}
}

// TestListen checks that a commit wakes a listener.
func TestListen(t *testing.T) {
	s := open(t)
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wake := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- s.Listen(ctx, wake) }()
	// Listen has subscribed once a notification sent after it arrives: keep
	// committing until one does.
	for i := range 50 {
		put(t, s, fmt.Sprintf("w%d", i))
		select {
		case <-wake:
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Listen after cancel = %v, want context.Canceled", err)
			}
			return
		case err := <-done:
			t.Fatalf("Listen: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatal("no notification after 50 commits")
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix, end string
		ok          bool
	}{
		{"a", "b", true},
		{"ab", "ac", true},
		{"é", "ê", true},
		{"a\U0010FFFF", "b", true},
		{"\uD7FF", "\uE000", true},
		{"\U0010FFFF", "", false},
		{"a\xff", "b", true},
	}
	for _, tc := range tests {
		end, ok := prefixEnd(tc.prefix)
		if end != tc.end || ok != tc.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tc.prefix, end, ok, tc.end, tc.ok)
		}
	}
}

// FuzzPrefixEnd checks that, for UTF-8 strings, [p, prefixEnd(p)) holds
// exactly the strings with prefix p, and the bound is UTF-8 itself.
func FuzzPrefixEnd(f *testing.F) {
	for _, s := range [][2]string{{"a", "ab"}, {"é", "ê"}, {"\U0010FFFF", "\U0010FFFFa"}, {"ab", "aa"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		if p == "" || !utf8.ValidString(p) || !utf8.ValidString(s) {
			return
		}
		end, ok := prefixEnd(p)
		if ok && !utf8.ValidString(end) {
			t.Fatalf("prefixEnd(%q) = %q, not UTF-8", p, end)
		}
		inRange := s >= p && (!ok || s < end)
		if inRange != strings.HasPrefix(s, p) {
			t.Errorf("prefix %q, end %q (%v): %q in range = %v", p, end, ok, s, inRange)
		}
	})
}
