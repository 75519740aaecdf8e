// Package sqlite is Gatehouse's embedded store: a store.Store on SQLite
// (modernc.org/sqlite, pure Go), either in one database file or in memory.
//
// A file database runs in WAL mode with synchronous=FULL (a write that Update
// reports as committed survives a power loss). Writes go through a single
// connection that begins its transactions with BEGIN IMMEDIATE, so writers are
// serialized, every Update is serializable, and change sequence numbers are
// assigned in commit order. Reads go through a separate pool of query-only
// connections; a View sees the snapshot of its first read.
//
// An in-memory database uses SQLite's memdb VFS, which lets the writer and the
// readers share one database; it has no WAL, so a commit waits for open Views
// to finish (busy_timeout) instead of running beside them.
//
// A create or update stores the record's data once, in the record row; its
// change in the feed refers to that row until the next update or delete of
// the record copies the data into the change (schema version 3, see
// migrations). Changes reads either.
package sqlite

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse-iam/gatehouse/store"
)

// Retry policy for transactions that meet SQLITE_BUSY or SQLITE_LOCKED after
// busy_timeout: up to maxAttempts runs with jittered exponential backoff.
const (
	busyTimeoutMillis = 5000
	maxAttempts       = 8
	backoffBase       = 2 * time.Millisecond
	backoffMax        = 250 * time.Millisecond
)

// Store is a store.Store backed by SQLite. It is safe for concurrent use.
type Store struct {
	writer, reader *sql.DB    // one connection with BEGIN IMMEDIATE; query-only connections
	wstmts, rstmts statements // prepared on writer and reader
	pin            *sql.Conn  // in-memory only: keeps the database alive while the pools recycle connections
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and migrates its
// schema to the current version.
func Open(path string) (*Store, error) {
	return OpenLarge(path, 0)
}

// OpenLarge is Open for a database of large records, such as the audit
// trail's batches: a database it creates gets pages of pageSize bytes (a
// power of two from 512 to 65536; 0 keeps SQLite's default), so that a
// large record spans fewer pages and a commit makes fewer writes, one per
// page. An existing database keeps the page size it was created with.
//
// A commit writes every page it changes whole, and a create changes at
// least six small ones besides its data's (the header, the leaves of the
// records table, its two indexes and the change feed, the counters), so
// pages much larger than the records cost more than they save: with 64 KiB
// records, BenchmarkCreateLarge writes about 240 KB per record with 16 KiB
// pages and 590 KB with 64 KiB pages (0.58 and 0.75 ms of processor time).
func OpenLarge(path string, pageSize int) (*Store, error) {
	if pageSize != 0 && (pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0) {
		return nil, fmt.Errorf("sqlite store: page size %d: want a power of two from 512 to 65536", pageSize)
	}
	// In a SQLite URI the path is percent-decoded and ends at '?' or '#'.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	if pageSize != 0 {
		if err := create(path, esc, pageSize); err != nil {
			return nil, fmt.Errorf("sqlite store: open: %w", err)
		}
	}
	pragmas := "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	if pageSize != 0 {
		// Checkpoint when the WAL holds about 4 MiB, as with the default
		// page size, rather than 1,000 large pages: a checkpoint's sync
		// then stays short for whatever else waits on the disk.
		pragmas += fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", max(1, walCheckpointBytes/pageSize))
	}
	return open("file:"+esc, pragmas, false)
}

// walCheckpointBytes is about how much WAL a database opened with
// OpenLarge gathers before it is checkpointed.
const walCheckpointBytes = 4 << 20

// create makes a new database file with the given page size, unless the
// file exists. The page size must be set before anything writes the first
// page, which switching to WAL does; the driver runs a connection string's
// pragmas in alphabetical order, so this takes a connection of its own.
func create(path, escapedPath string, pageSize int) error {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+escapedPath)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(fmt.Sprintf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL", pageSize))
	return err
}

// OpenMemory opens a new, empty in-memory database, private to this Store and
// gone when it is closed.
func OpenMemory() (*Store, error) {
	// A memdb name starting with "/" is shared by every connection of the process.
	return open("file:/gatehouse-"+crand.Text()+"?vfs=memdb", "", true)
}

func open(uri, extra string, memory bool) (*Store, error) {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	common := uri + sep + fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", busyTimeoutMillis) + extra
	writer, err := sql.Open("sqlite", common+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	s := &Store{writer: writer}
	// The writer connects first: it creates the file, switches it to WAL and
	// migrates before any query-only connection looks at it.
	if err := migrate(context.Background(), writer, migrations); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite store: open: %w", err)
	}
	readers := max(2, runtime.GOMAXPROCS(0))
	s.reader, err = sql.Open("sqlite", common+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, err
	}
	if memory {
		readers++ // one is pinned
	}
	s.reader.SetMaxOpenConns(readers)
	s.reader.SetMaxIdleConns(readers)
	s.reader.SetConnMaxIdleTime(0)
	ctx := context.Background()
	if memory {
		if s.pin, err = s.reader.Conn(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.wstmts, err = prepare(ctx, s.writer); err == nil {
		s.rstmts, err = prepare(ctx, s.reader)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store: open: %w", err)
	}
	return s, nil
}

// Close closes the database; an in-memory database is discarded.
func (s *Store) Close() error {
	errs := []error{s.wstmts.close(), s.rstmts.close()}
	if s.pin != nil {
		errs = append(errs, s.pin.Close())
	}
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	return errors.Join(errs...)
}

// Update runs fn in a write transaction (see store.Store), retrying on
// SQLITE_BUSY / SQLITE_LOCKED.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	return retry(ctx, func() error { return s.run(ctx, s.writer, s.wstmts, false, fn) })
}

// View runs fn in a read-only snapshot transaction, retrying on SQLITE_BUSY /
// SQLITE_LOCKED.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return retry(ctx, func() error { return s.run(ctx, s.reader, s.rstmts, true, fn) })
}

// run is one attempt of a transaction: begin, fn, commit (or roll back when
// fn fails or panics).
func (s *Store) run(ctx context.Context, db *sql.DB, stmts statements, readOnly bool, fn func(store.Tx) error) (err error) {
	sqlTx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			sqlTx.Rollback()
		}
	}()
	if err := fn(&tx{sql: sqlTx, stmts: stmts, readOnly: readOnly}); err != nil {
		return err
	}
	done = true
	if readOnly {
		return sqlTx.Rollback()
	}
	return sqlTx.Commit()
}

// retry runs attempt until it succeeds, fails with an error that is not
// contention, or the attempts run out (ErrBusy). A cancelled ctx wins over
// whatever error the interrupted attempt produced.
func retry(ctx context.Context, attempt func() error) error {
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := attempt()
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return fmt.Errorf("%w (%v)", cerr, err)
		}
		if !contended(err) {
			return err
		}
		if i+1 == maxAttempts {
			return fmt.Errorf("%w: %v", store.ErrBusy, err)
		}
		d := min(backoffMax, backoffBase<<i)
		d = d/2 + rand.N(d/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// contended reports whether err is SQLite lock contention worth retrying.
func contended(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// LastSeq returns the sequence number of the last committed change.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.View(ctx, func(t store.Tx) (err error) {
		seq, err = t.LastSeq(ctx)
		return err
	})
	return seq, err
}

// Changes returns the changes after afterSeq (see store.Store).
func (s *Store) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	var out []store.Change
	err := s.View(ctx, func(st store.Tx) error {
		out = out[:0]
		var pruned int64
		t := st.(*tx)
		if err := t.stmt(ctx, qPruned).QueryRowContext(ctx).Scan(&pruned); err != nil {
			return err
		}
		if afterSeq < pruned {
			return fmt.Errorf("%w: changes up to %d are gone, asked for changes after %d", store.ErrPruned, pruned, afterSeq)
		}
		if limit <= 0 {
			limit = -1 // SQLite: no limit
		}
		rows, err := t.stmt(ctx, qChanges).QueryContext(ctx, afterSeq, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c store.Change
			var parent string
			var data []byte
			var version, at int64
			if err := rows.Scan(&c.Seq, &c.Op, &c.Key.Kind, &c.Key.Account, &c.Key.ID, &parent, &data, &version, &at); err != nil {
				return err
			}
			c.At = time.Unix(0, at).UTC()
			if c.Op != store.OpDelete {
				c.Record = store.Record{Kind: c.Key.Kind, Account: c.Key.Account, ID: c.Key.ID,
					Parent: parent, Data: data, Version: version, Updated: c.At}
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Prune deletes the changes numbered below beforeSeq and moves the pruned
// horizon so that readers behind it get store.ErrPruned.
func (s *Store) Prune(ctx context.Context, beforeSeq int64) error {
	return s.Update(ctx, func(t store.Tx) error {
		q := t.(*tx).sql
		if _, err := q.ExecContext(ctx, `DELETE FROM changes WHERE seq < ?`, beforeSeq); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `UPDATE counters SET value = MAX(value, MIN(?, (SELECT value FROM counters WHERE name = 'seq')))
			WHERE name = 'pruned'`, beforeSeq-1)
		return err
	})
}

// Reset deletes every record and change, for the ephemeral server's reset
// endpoint. Sequence numbering continues, and the whole feed up to the reset
// counts as pruned, so followers reload their snapshots.
func (s *Store) Reset(ctx context.Context) error {
	return s.Update(ctx, func(t store.Tx) error {
		q := t.(*tx).sql
		for _, stmt := range []string{
			`DELETE FROM records`,
			`DELETE FROM changes`,
			`UPDATE counters SET value = value + 1 WHERE name = 'seq'`,
			`UPDATE counters SET value = (SELECT value FROM counters WHERE name = 'seq') WHERE name = 'pruned'`,
		} {
			if _, err := q.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}
