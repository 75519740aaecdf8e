package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
)

// tx is a store.Tx over one SQLite transaction.
type tx struct {
	sql      *sql.Tx
	readOnly bool
}

const recordColumns = `id, parent, data, version, updated`

// scanRecord reads recordColumns into a record of the given kind and account.
func scanRecord(row interface{ Scan(...any) error }, kind, account string) (store.Record, error) {
	rec := store.Record{Kind: kind, Account: account}
	var updated int64
	if err := row.Scan(&rec.ID, &rec.Parent, &rec.Data, &rec.Version, &updated); err != nil {
		return store.Record{}, err
	}
	rec.Updated = time.Unix(0, updated).UTC()
	return rec, nil
}

func (t *tx) Get(ctx context.Context, k store.Key) (store.Record, error) {
	if err := k.Check(); err != nil {
		return store.Record{}, err
	}
	row := t.sql.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = ? AND account = ? AND id = ?`,
		k.Kind, k.Account, k.ID)
	rec, err := scanRecord(row, k.Kind, k.Account)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%w: %s", store.ErrNotFound, k)
	}
	return rec, err
}

// where renders the filter of o (after Check) as a WHERE clause and its arguments.
func where(o store.ListOptions) (string, []any) {
	var b strings.Builder
	b.WriteString(` WHERE kind = ? AND account = ?`)
	args := []any{o.Kind, o.Account}
	if o.Parent != nil {
		b.WriteString(` AND parent = ?`)
		args = append(args, *o.Parent)
	}
	if o.Prefix != "" {
		b.WriteString(` AND id >= ?`)
		args = append(args, o.Prefix)
		if end, ok := prefixEnd(o.Prefix); ok {
			b.WriteString(` AND id < ?`)
			args = append(args, end)
		}
	}
	if o.After != "" {
		b.WriteString(` AND id > ?`)
		args = append(args, o.After)
	}
	return b.String(), args
}

// prefixEnd returns the least string greater than every string with the
// prefix p, comparing bytes; ok is false when there is none (p is all 0xff).
func prefixEnd(p string) (end string, ok bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

func (t *tx) List(ctx context.Context, o store.ListOptions) ([]store.Record, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	w, args := where(o)
	q := `SELECT ` + recordColumns + ` FROM records` + w + ` ORDER BY id`
	if o.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, o.Limit)
	}
	rows, err := t.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		rec, err := scanRecord(rows, o.Kind, o.Account)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

func (t *tx) Count(ctx context.Context, o store.ListOptions) (int, error) {
	if err := o.Check(); err != nil {
		return 0, err
	}
	w, args := where(o)
	var n int
	err := t.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM records`+w, args...).Scan(&n)
	return n, err
}

// writable reports ErrReadOnly in a View and checks the key of a write.
func (t *tx) writable(k store.Key) error {
	if t.readOnly {
		return fmt.Errorf("%w: %s", store.ErrReadOnly, k)
	}
	return k.Check()
}

func (t *tx) Create(ctx context.Context, rec store.Record) (store.Record, error) {
	if err := t.writable(rec.Key()); err != nil {
		return store.Record{}, err
	}
	rec.Version, rec.Updated = 1, now()
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	res, err := t.sql.ExecContext(ctx, `INSERT INTO records (kind, account, id, parent, data, version, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		rec.Kind, rec.Account, rec.ID, rec.Parent, rec.Data, rec.Version, rec.Updated.UnixNano())
	if err != nil {
		return store.Record{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.Record{}, err
	} else if n == 0 {
		return store.Record{}, fmt.Errorf("%w: %s", store.ErrExists, rec.Key())
	}
	return rec, t.logChange(ctx, store.OpCreate, rec)
}

func (t *tx) Update(ctx context.Context, rec store.Record) (store.Record, error) {
	if err := t.writable(rec.Key()); err != nil {
		return store.Record{}, err
	}
	if rec.Version < 0 {
		return store.Record{}, fmt.Errorf("%w: negative version %d", store.ErrInvalid, rec.Version)
	}
	expected := rec.Version
	rec.Updated = now()
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	err := t.sql.QueryRowContext(ctx, `UPDATE records SET parent = ?, data = ?, version = version + 1, updated = ?
		WHERE kind = ? AND account = ? AND id = ? AND (? = 0 OR version = ?) RETURNING version`,
		rec.Parent, rec.Data, rec.Updated.UnixNano(), rec.Kind, rec.Account, rec.ID, expected, expected).Scan(&rec.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, t.missOrConflict(ctx, rec.Key(), expected)
	}
	if err != nil {
		return store.Record{}, err
	}
	return rec, t.logChange(ctx, store.OpUpdate, rec)
}

func (t *tx) Delete(ctx context.Context, k store.Key, version int64) error {
	if err := t.writable(k); err != nil {
		return err
	}
	if version < 0 {
		return fmt.Errorf("%w: negative version %d", store.ErrInvalid, version)
	}
	res, err := t.sql.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND account = ? AND id = ? AND (? = 0 OR version = ?)`,
		k.Kind, k.Account, k.ID, version, version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return t.missOrConflict(ctx, k, version)
	}
	return t.logChange(ctx, store.OpDelete, store.Record{Kind: k.Kind, Account: k.Account, ID: k.ID, Updated: now()})
}

// missOrConflict explains why a conditional write matched no row.
func (t *tx) missOrConflict(ctx context.Context, k store.Key, expected int64) error {
	var current int64
	err := t.sql.QueryRowContext(ctx, `SELECT version FROM records WHERE kind = ? AND account = ? AND id = ?`,
		k.Kind, k.Account, k.ID).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s", store.ErrNotFound, k)
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: %s is at version %d, not %d", store.ErrConflict, k, current, expected)
}

// logChange appends a change with the next sequence number. The writer holds
// the database's write lock, so numbers are handed out in commit order.
func (t *tx) logChange(ctx context.Context, op store.Op, rec store.Record) error {
	var seq int64
	if err := t.sql.QueryRowContext(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value`).Scan(&seq); err != nil {
		return err
	}
	var data []byte // NULL for deletes
	if op != store.OpDelete {
		data = rec.Data
	}
	_, err := t.sql.ExecContext(ctx, `INSERT INTO changes (seq, op, kind, account, id, parent, data, version, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, string(op), rec.Kind, rec.Account, rec.ID, rec.Parent, data, rec.Version, rec.Updated.UnixNano())
	return err
}

func (t *tx) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := t.sql.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'seq'`).Scan(&seq)
	return seq, err
}

// now is the store's clock: UTC, without a monotonic reading, at the
// nanosecond precision the database keeps.
func now() time.Time { return time.Now().UTC().Round(0) }
