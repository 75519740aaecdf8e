package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-iam/gatehouse/store"
)

// tx is a store.Tx over one PostgreSQL transaction. Changes are buffered and
// numbered at commit time (flush).
type tx struct {
	pg       pgx.Tx
	readOnly bool
	pending  []pendingChange
}

// pendingChange is a write waiting for its sequence number.
type pendingChange struct {
	op  store.Op
	rec store.Record
}

// scanRecord reads recordColumns into a record of the given kind and account.
func scanRecord(row pgx.Row, kind, account string) (store.Record, error) {
	rec := store.Record{Kind: kind, Account: account}
	var updated int64
	if err := row.Scan(&rec.ID, &rec.Parent, &rec.Data, &rec.Version, &updated); err != nil {
		return store.Record{}, err
	}
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	rec.Updated = time.Unix(0, updated).UTC()
	return rec, nil
}

// badText turns PostgreSQL's refusal of a string (not UTF-8, or holding NUL)
// into store.ErrInvalid.
func badText(err error) error {
	switch sqlState(err) {
	case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
		return fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return err
}

func (t *tx) Get(ctx context.Context, k store.Key) (store.Record, error) {
	if err := k.Check(); err != nil {
		return store.Record{}, err
	}
	rec, err := scanRecord(t.pg.QueryRow(ctx, qGet, k.Kind, k.Account, k.ID), k.Kind, k.Account)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%w: %s", store.ErrNotFound, k)
	}
	return rec, badText(err)
}

func (t *tx) List(ctx context.Context, o store.ListOptions) ([]store.Record, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	q, args := listQuery(o)
	rows, err := t.pg.Query(ctx, q, args...)
	if err != nil {
		return nil, badText(err)
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
	return out, badText(rows.Err())
}

func (t *tx) Count(ctx context.Context, o store.ListOptions) (int, error) {
	if err := o.Check(); err != nil {
		return 0, err
	}
	q, args := countQuery(o)
	var n int
	err := t.pg.QueryRow(ctx, q, args...).Scan(&n)
	return n, badText(err)
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
	tag, err := t.pg.Exec(ctx, qCreate, rec.Kind, rec.Account, rec.ID, rec.Parent, rec.Data, rec.Version, rec.Updated.UnixNano())
	if err != nil {
		return store.Record{}, badText(err)
	}
	if tag.RowsAffected() == 0 {
		return store.Record{}, fmt.Errorf("%w: %s", store.ErrExists, rec.Key())
	}
	t.pending = append(t.pending, pendingChange{store.OpCreate, rec})
	return rec, nil
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
	err := t.pg.QueryRow(ctx, qUpdate, rec.Parent, rec.Data, rec.Updated.UnixNano(),
		rec.Kind, rec.Account, rec.ID, expected).Scan(&rec.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, t.missOrConflict(ctx, rec.Key(), expected)
	}
	if err != nil {
		return store.Record{}, badText(err)
	}
	t.pending = append(t.pending, pendingChange{store.OpUpdate, rec})
	return rec, nil
}

func (t *tx) Delete(ctx context.Context, k store.Key, version int64) error {
	if err := t.writable(k); err != nil {
		return err
	}
	if version < 0 {
		return fmt.Errorf("%w: negative version %d", store.ErrInvalid, version)
	}
	tag, err := t.pg.Exec(ctx, qDelete, k.Kind, k.Account, k.ID, version)
	if err != nil {
		return badText(err)
	}
	if tag.RowsAffected() == 0 {
		return t.missOrConflict(ctx, k, version)
	}
	t.pending = append(t.pending, pendingChange{store.OpDelete, store.Record{Kind: k.Kind, Account: k.Account, ID: k.ID, Updated: now()}})
	return nil
}

// missOrConflict explains why a conditional write matched no row.
func (t *tx) missOrConflict(ctx context.Context, k store.Key, expected int64) error {
	var current int64
	err := t.pg.QueryRow(ctx, qVersion, k.Kind, k.Account, k.ID).Scan(&current)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %s", store.ErrNotFound, k)
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: %s is at version %d, not %d", store.ErrConflict, k, current, expected)
}

// flush numbers the buffered changes and appends them to the feed, as the
// last statements before COMMIT: the counter row stays locked until the
// commit, so concurrent writers get their numbers in commit order. With
// notify, the commit also announces the new last sequence number.
func (t *tx) flush(ctx context.Context, notify bool) error {
	if len(t.pending) == 0 {
		return nil
	}
	var last int64
	if err := t.pg.QueryRow(ctx, qTakeSeq, len(t.pending)).Scan(&last); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	first := last - int64(len(t.pending)) + 1
	for i, c := range t.pending {
		var data []byte // NULL for deletes
		if c.op != store.OpDelete {
			data = c.rec.Data
		}
		batch.Queue(qLogChange, first+int64(i), string(c.op), c.rec.Kind, c.rec.Account, c.rec.ID, c.rec.Parent,
			data, c.rec.Version, c.rec.Updated.UnixNano())
	}
	if notify {
		batch.Queue(qNotify, notifyChannel, strconv.FormatInt(last, 10))
	}
	return t.pg.SendBatch(ctx, batch).Close()
}

// LastSeq returns the last sequence number visible to the transaction, its
// own writes included: they are numbered right after what the transaction
// sees, or the transaction does not commit.
func (t *tx) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := t.pg.QueryRow(ctx, qLastSeq).Scan(&seq)
	return seq + int64(len(t.pending)), err
}

// now is the store's clock: UTC, without a monotonic reading, at the
// nanosecond precision the database keeps.
func now() time.Time { return time.Now().UTC().Round(0) }
