package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/pgtest"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/postgres"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is a small deployment: two accounts, global records about them,
// data that is not compact JSON, and an audit record.
var fixture = []store.Record{
	{Kind: "iam.account", ID: "111122223333", Data: []byte(`{"ID":"111122223333"}`)},
	{Kind: "iam.account", ID: "444455556666", Data: []byte(`{"ID":"444455556666"}`)},
	{Kind: "iam.user", Account: "111122223333", ID: "alice", Data: []byte(`{"UserName":"Alice","Tags":[{"Key":"k","Value":"é"}]}`)},
	{Kind: "iam.user", Account: "444455556666", ID: "bob", Data: []byte(`{"UserName":"bob"}`)},
	{Kind: "iam.accesskey", ID: "AKIAEXAMPLE000000001", Parent: "111122223333/alice", Data: []byte(`{"AccessKeyId":"AKIAEXAMPLE000000001"}`)},
	{Kind: "test.raw", Account: "111122223333", ID: "spaced", Data: []byte("{ \"x\": 1 }\n")},
	{Kind: "test.raw", Account: "111122223333", ID: "binary", Data: []byte{0, 1, 0xff}},
	{Kind: "test.raw", Account: "111122223333", ID: "empty", Data: []byte{}},
}

var auditFixture = store.Record{Kind: "audit.event", Account: "111122223333", ID: "0001", Data: []byte(`{"eventName":"GetUser"}`)}

func seed(t *testing.T, st store.Store, recs ...store.Record) {
	t.Helper()
	err := st.Update(t.Context(), func(tx store.Tx) error {
		for _, r := range recs {
			if _, err := tx.Create(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// gatehouse runs a subcommand and returns its standard output, failing the
// test unless it exits with want.
func gatehouse(t *testing.T, want int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, strings.NewReader(""), &stdout, &stderr); code != want {
		t.Fatalf("gatehouse %s = %d, want %d\n%s", strings.Join(args, " "), code, want, stderr.String())
	}
	return stdout.String()
}

// readDoc reads an export file without its timestamp.
func readDoc(t *testing.T, path string) exportDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc exportDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc.Exported = time.Time{}
	return doc
}

// TestExportImportRoundTrip moves a deployment from SQLite to PostgreSQL and
// back, and checks that every record arrives byte for byte.
func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "sqlite-a")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, part := range []struct {
		file string
		recs []store.Record
	}{{"gatehouse.db", fixture}, {"audit.db", []store.Record{auditFixture}}} {
		st, err := sqlite.Open(filepath.Join(src, part.file))
		if err != nil {
			t.Fatal(err)
		}
		seed(t, st, part.recs...)
		st.Close()
	}
	url, schema := pgtest.NewSchema(t)
	pg := []string{"--database-url", url, "--database-schema", schema}
	first, second, third := filepath.Join(dir, "1.json"), filepath.Join(dir, "2.json"), filepath.Join(dir, "3.json")

	gatehouse(t, 0, "export", "--data-dir", src, "-o", first)
	out := gatehouse(t, 0, append(append([]string{"import"}, pg...), first)...)
	if !strings.Contains(out, "entities: 8 records imported") || !strings.Contains(out, "audit: 1 records imported") {
		t.Errorf("import output = %q", out)
	}
	gatehouse(t, 0, append(append([]string{"export"}, pg...), "-o", second)...)
	dst := filepath.Join(dir, "sqlite-b")
	gatehouse(t, 0, "import", "--data-dir", dst, second)
	gatehouse(t, 0, "export", "--data-dir", dst, "-o", third)
	d1, d2, d3 := readDoc(t, first), readDoc(t, second), readDoc(t, third)
	if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(d2, d3) {
		t.Errorf("documents differ along SQLite → PostgreSQL → SQLite:\n%+v\n%+v\n%+v", d1, d2, d3)
	}

	// PostgreSQL holds the records byte for byte.
	st, err := postgres.Open(t.Context(), url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(t.Context(), func(tx store.Tx) error {
		for _, want := range fixture {
			got, err := tx.Get(context.Background(), want.Key())
			if err != nil {
				return err
			}
			if !bytes.Equal(got.Data, want.Data) || got.Parent != want.Parent {
				t.Errorf("%s: %q parent %q, want %q parent %q", want.Key(), got.Data, got.Parent, want.Data, want.Parent)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Importing again collides, changes nothing, and --overwrite replaces.
	seqBefore, _ := st.LastSeq(t.Context())
	gatehouse(t, 1, append(append([]string{"import"}, pg...), first)...)
	if seq, _ := st.LastSeq(t.Context()); seq != seqBefore {
		t.Errorf("a failed import moved the feed from %d to %d", seqBefore, seq)
	}
	gatehouse(t, 0, append(append([]string{"import", "--overwrite"}, pg...), first)...)
}

// TestExportAccount checks that --account keeps the account's records and
// the global records about it.
func TestExportAccount(t *testing.T) {
	src := t.TempDir()
	st, err := sqlite.Open(filepath.Join(src, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	seed(t, st, fixture...)
	st.Close()
	path := filepath.Join(t.TempDir(), "a.json")
	gatehouse(t, 0, "export", "--data-dir", src, "--account", "111122223333", "--no-audit", "-o", path)
	doc := readDoc(t, path)
	var got []string
	for kind, recs := range doc.Entities {
		for _, r := range recs {
			got = append(got, kind+"/"+r.Account+"/"+r.ID)
		}
	}
	slices.Sort(got)
	want := []string{"iam.accesskey//AKIAEXAMPLE000000001", "iam.account//111122223333", "iam.user/111122223333/alice",
		"test.raw/111122223333/binary", "test.raw/111122223333/empty", "test.raw/111122223333/spaced"}
	if !slices.Equal(got, want) || doc.Account != "111122223333" || doc.Audit != nil {
		t.Errorf("export --account = %q (audit %v), want %q", got, doc.Audit, want)
	}
}

// TestImportRejects checks the errors of import on bad input.
func TestImportRejects(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, doc string }{
		{"not json", `{`},
		{"other format", `{"format":"something-else/1","entities":{}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "doc.json")
			if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			gatehouse(t, 1, "import", "--data-dir", filepath.Join(dir, "target"), path)
		})
	}
}
