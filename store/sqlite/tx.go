package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
)

// tx is a store.Tx over one SQLite transaction.
type tx struct {
	sql      *sql.Tx
	stmts    statements // of the pool sql belongs to
	readOnly bool
}

// stmt binds the prepared statement for q to the transaction.
func (t *tx) stmt(ctx context.Context, q string) *sql.Stmt { return t.sql.StmtContext(ctx, t.stmts[q]) }

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
	row := t.stmt(ctx, qGet).QueryRowContext(ctx, k.Kind, k.Account, k.ID)
	rec, err := scanRecord(row, k.Kind, k.Account)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%w: %s", store.ErrNotFound, k)
	}
	return rec, err
}

func (t *tx) List(ctx context.Context, o store.ListOptions) ([]store.Record, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	q, args := listQuery(o)
	rows, err := t.stmt(ctx, q).QueryContext(ctx, args...)
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
	q, args := countQuery(o)
	var n int
	err := t.stmt(ctx, q).QueryRowContext(ctx, args...).Scan(&n)
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
	res, err := t.stmt(ctx, qCreate).ExecContext(ctx, rec.Kind, rec.Account, rec.ID, rec.Parent, rec.Data, rec.Version, rec.Updated.UnixNano())
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
	current, err := t.version(ctx, rec.Key(), rec.Version)
	if err != nil {
		return store.Record{}, err
	}
	if err := t.keepData(ctx, rec.Key()); err != nil {
		return store.Record{}, err
	}
	rec.Version, rec.Updated = current+1, now()
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	if _, err := t.stmt(ctx, qUpdate).ExecContext(ctx, rec.Parent, rec.Data, rec.Updated.UnixNano(), rec.Kind, rec.Account, rec.ID); err != nil {
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
	if _, err := t.version(ctx, k, version); err != nil {
		return err
	}
	if err := t.keepData(ctx, k); err != nil {
		return err
	}
	if _, err := t.stmt(ctx, qDelete).ExecContext(ctx, k.Kind, k.Account, k.ID); err != nil {
		return err
	}
	return t.logChange(ctx, store.OpDelete, store.Record{Kind: k.Kind, Account: k.Account, ID: k.ID, Updated: now()})
}

// version returns the current version of the record with key k before an
// update or delete: ErrNotFound when there is none, ErrConflict when
// expected is not 0 and differs (see qVersion).
func (t *tx) version(ctx context.Context, k store.Key, expected int64) (int64, error) {
	var current int64
	err := t.stmt(ctx, qVersion).QueryRowContext(ctx, k.Kind, k.Account, k.ID).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("%w: %s", store.ErrNotFound, k)
	case err != nil:
		return 0, err
	case expected != 0 && current != expected:
		return 0, fmt.Errorf("%w: %s is at version %d, not %d", store.ErrConflict, k, current, expected)
	}
	return current, nil
}

// keepData copies the current data of the record with key k into the
// change that wrote it, before an update or delete replaces it (see
// qKeepData).
func (t *tx) keepData(ctx context.Context, k store.Key) error {
	_, err := t.stmt(ctx, qKeepData).ExecContext(ctx, k.Kind, k.Account, k.ID)
	return err
}

// logChange appends a change with the next sequence number, the one a create
// or update has just stored in the record row (see nextSeq). The writer
// holds the database's write lock, so numbers are handed out in commit
// order.
func (t *tx) logChange(ctx context.Context, op store.Op, rec store.Record) error {
	if _, err := t.stmt(ctx, qNextSeq).ExecContext(ctx); err != nil {
		return err
	}
	_, err := t.stmt(ctx, qLogChange).ExecContext(ctx, string(op), rec.Kind, rec.Account, rec.ID, rec.Parent, rec.Version, rec.Updated.UnixNano())
	return err
}

func (t *tx) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := t.stmt(ctx, qLastSeq).QueryRowContext(ctx).Scan(&seq)
	return seq, err
}

// now is the store's clock: UTC, without a monotonic reading, at the
// nanosecond precision the database keeps.
func now() time.Time { return time.Now().UTC().Round(0) }
