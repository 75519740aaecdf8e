package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/postgres"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// exportFormat names the version of the export document.
const exportFormat = "gatehouse-export/1"

// exportDoc is what `gatehouse export` writes and `gatehouse import` reads:
// every record of the entity store and of the audit store, grouped by kind.
// Records keep their data, not their versions or timestamps: an import
// creates them anew (version 1). Secrets inside records stay sealed with the
// deployment's master key, so the target must run with the same key.
type exportDoc struct {
	Format   string                    `json:"format"`
	Exported time.Time                 `json:"exported"`
	Account  string                    `json:"account,omitempty"` // set when one account was exported
	Entities map[string][]exportRecord `json:"entities"`
	Audit    map[string][]exportRecord `json:"audit,omitempty"`
}

// exportRecord is one record. Data is inlined as JSON when the stored bytes
// are compact JSON (which every Gatehouse service writes), and base64 in
// DataBase64 otherwise, so that import restores them byte for byte.
type exportRecord struct {
	Account    string          `json:"account"`
	ID         string          `json:"id"`
	Parent     string          `json:"parent,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	DataBase64 []byte          `json:"data_base64,omitempty"`
}

// storeFlags select the deployment's stores: the SQLite databases of a data
// directory, or a PostgreSQL database.
type storeFlags struct {
	dataDir, databaseURL, schema string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	home, _ := os.UserHomeDir()
	fs.StringVar(&f.dataDir, "data-dir", envOr("GATEHOUSE_DATA_DIR", filepath.Join(home, ".gatehouse")), "data directory of a SQLite deployment")
	fs.StringVar(&f.databaseURL, "database-url", os.Getenv("GATEHOUSE_DATABASE_URL"), "PostgreSQL URL of a shared deployment (instead of --data-dir)")
	fs.StringVar(&f.schema, "database-schema", envOr("GATEHOUSE_DATABASE_SCHEMA", "gatehouse"), "PostgreSQL schema of the entities (the audit trail is in SCHEMA_audit)")
}

// dumper reads every record of a store from one snapshot.
type dumper interface {
	store.Store
	Scan(ctx context.Context, fn func(store.Record) error) error
}

// open opens the entity store, or the audit store, for writing.
func (f storeFlags) open(ctx context.Context, audit bool) (store.Store, error) {
	if f.databaseURL != "" {
		schema := f.schema
		if audit {
			schema += "_audit"
		}
		return postgres.Open(ctx, f.databaseURL, postgres.Options{Schema: schema})
	}
	if err := os.MkdirAll(f.dataDir, 0o700); err != nil {
		return nil, err
	}
	return sqlite.Open(f.sqlitePath(audit))
}

func (f storeFlags) sqlitePath(audit bool) string {
	if audit {
		return filepath.Join(f.dataDir, "audit.db")
	}
	return filepath.Join(f.dataDir, "gatehouse.db")
}

// dump returns every record of the entity or audit store, from one snapshot.
// PostgreSQL stores scan themselves; a SQLite database is read through its
// records table, read-only (nothing is created when it is missing).
func (f storeFlags) dump(ctx context.Context, audit bool) ([]store.Record, error) {
	var out []store.Record
	collect := func(r store.Record) error { out = append(out, r); return nil }
	if f.databaseURL != "" {
		st, err := f.open(ctx, audit)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		return out, st.(dumper).Scan(ctx, collect)
	}
	path := f.sqlitePath(audit)
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+esc+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT kind, account, id, parent, data FROM records ORDER BY kind, account, id`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.Record
		if err := rows.Scan(&r.Kind, &r.Account, &r.ID, &r.Parent, &r.Data); err != nil {
			return nil, err
		}
		collect(r)
	}
	return out, rows.Err()
}

// inAccount reports whether rec belongs to account: records owned by it, and
// global records about it (the account itself, its access keys, whose parent
// starts with the account id).
func inAccount(rec store.Record, account string) bool {
	if rec.Account != "" {
		return rec.Account == account
	}
	return rec.ID == account || rec.Parent == account || strings.HasPrefix(rec.Parent, account+"/")
}

// group turns records into the export's by-kind form.
func group(recs []store.Record, account string) map[string][]exportRecord {
	out := map[string][]exportRecord{}
	for _, r := range recs {
		if account != "" && !inAccount(r, account) {
			continue
		}
		er := exportRecord{Account: r.Account, ID: r.ID, Parent: r.Parent}
		var compact bytes.Buffer
		if json.Compact(&compact, r.Data) == nil && bytes.Equal(compact.Bytes(), r.Data) {
			er.Data = r.Data
		} else {
			er.DataBase64 = r.Data
		}
		out[r.Kind] = append(out[r.Kind], er)
	}
	return out
}

func runExport(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gatehouse export [--data-dir DIR | --database-url URL] [--account ID] [--no-audit] [-o FILE]")
		fs.PrintDefaults()
	}
	var sf storeFlags
	sf.register(fs)
	account := fs.String("account", "", "export only this account's records")
	noAudit := fs.Bool("no-audit", false, "leave the audit trail out")
	output := fs.String("o", "-", "write the JSON document to FILE (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	doc := exportDoc{Format: exportFormat, Exported: time.Now().UTC().Truncate(time.Second), Account: *account}
	recs, err := sf.dump(ctx, false)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse export: entities: %v\n", err)
		return 1
	}
	doc.Entities = group(recs, *account)
	if !*noAudit {
		recs, err := sf.dump(ctx, true)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "gatehouse export: audit: %v\n", err)
			return 1
		}
		doc.Audit = group(recs, *account)
	}
	data, err := json.MarshalIndent(&doc, "", " ")
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse export: %v\n", err)
		return 1
	}
	data = append(data, '\n')
	if *output == "-" {
		_, err = stdout.Write(data)
	} else {
		err = os.WriteFile(*output, data, 0o600)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse export: %v\n", err)
		return 1
	}
	return 0
}

func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gatehouse import [--data-dir DIR | --database-url URL] [--overwrite] [FILE|-]")
		fs.PrintDefaults()
	}
	var sf storeFlags
	sf.register(fs)
	overwrite := fs.Bool("overwrite", false, "replace records that exist in the target (default: refuse)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	in := stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse import: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	var doc exportDoc
	if err := json.NewDecoder(in).Decode(&doc); err != nil {
		fmt.Fprintf(stderr, "gatehouse import: reading the document: %v\n", err)
		return 1
	}
	if doc.Format != exportFormat {
		fmt.Fprintf(stderr, "gatehouse import: format %q, want %q\n", doc.Format, exportFormat)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	for _, part := range []struct {
		name  string
		audit bool
		recs  map[string][]exportRecord
	}{{"entities", false, doc.Entities}, {"audit", true, doc.Audit}} {
		if len(part.recs) == 0 {
			continue
		}
		st, err := sf.open(ctx, part.audit)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse import: %s: %v\n", part.name, err)
			return 1
		}
		n, err := load(ctx, st, part.recs, *overwrite)
		st.Close()
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse import: %s: %v (nothing imported into this store)\n", part.name, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: %d records imported\n", part.name, n)
	}
	return 0
}

// load writes the records into st in one transaction: all or nothing. An
// existing record is an error unless overwrite is set.
func load(ctx context.Context, st store.Store, recs map[string][]exportRecord, overwrite bool) (int, error) {
	kinds := make([]string, 0, len(recs))
	for k := range recs {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	n := 0
	err := st.Update(ctx, func(tx store.Tx) error {
		n = 0
		for _, kind := range kinds {
			for _, er := range recs[kind] {
				rec := store.Record{Kind: kind, Account: er.Account, ID: er.ID, Parent: er.Parent, Data: er.DataBase64}
				if er.Data != nil {
					// Exported compact; the document's indentation is not data.
					var compact bytes.Buffer
					if err := json.Compact(&compact, er.Data); err != nil {
						return fmt.Errorf("%s %s: %w", kind, er.ID, err)
					}
					rec.Data = compact.Bytes()
				}
				_, err := tx.Create(ctx, rec)
				if errors.Is(err, store.ErrExists) && overwrite {
					_, err = tx.Update(ctx, rec)
				}
				if err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}
