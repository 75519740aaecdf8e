// Package postgres is Gatehouse's shared store: a store.Store on PostgreSQL
// (pgx, with a connection pool) that any number of Gatehouse nodes use at
// once.
//
// Update runs a SERIALIZABLE transaction and retries it on serialization
// failures and deadlocks (SQLSTATE 40001, 40P01) and on connection failures
// that happened before anything was sent, with jittered exponential backoff;
// contention or an unreachable database that outlasts the retries is
// store.ErrBusy. View runs a REPEATABLE READ READ ONLY transaction: one
// consistent snapshot.
//
// The change feed is numbered from a one-row counter. A writing transaction
// buffers its changes and, just before COMMIT, takes their numbers with
// "UPDATE counters SET value = value + n ... RETURNING value" and inserts
// them. The row lock is held until commit, so numbers are handed out in commit
// order without gaps, and taking it last keeps the window in which writers
// queue on it short. Followers poll the counter (LastSeq) and read Changes;
// where the database has LISTEN/NOTIFY, commits also notify the channel
// "gatehouse_changes" so that Listen can wake them early.
//
// Every table lives in the schema named at Open (default: the connection's
// search_path), so one database can hold several stores, such as the entity
// store and the audit store. Open creates and migrates the schema.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-iam/gatehouse/store"
)

// Retry policy: up to maxAttempts runs of a transaction with jittered
// exponential backoff between them.
const (
	maxAttempts = 30
	backoffBase = 1 * time.Millisecond
	backoffMax  = 200 * time.Millisecond
)

// notifyChannel is the LISTEN/NOTIFY channel commits announce new changes on.
const notifyChannel = "gatehouse_changes"

// ErrNoNotify is Listen's answer on a database without LISTEN/NOTIFY
// (CockroachDB, YugabyteDB): followers only poll there.
var ErrNoNotify = errors.New("postgres store: the database has no LISTEN/NOTIFY")

// Options tune Open.
type Options struct {
	// Schema holds the store's tables; created if missing. "" uses the
	// connection's search_path.
	Schema string
	// MaxConns caps the pool (0: pgxpool's default, or pool_max_conns from
	// the URL).
	MaxConns int32
}

// Store is a store.Store backed by PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	cfg    *pgxpool.Config
	notify bool // the database has pg_notify; commits announce themselves
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a PostgreSQL URL or keyword/value
// DSN), creates or migrates the store's schema, and returns the store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	s := &Store{pool: pool, cfg: cfg}
	if err := migrate(ctx, pool, opts.Schema, migrations); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: open: %w", err)
	}
	// CockroachDB and YugabyteDB have no pg_notify: probe for it.
	_, err = pool.Exec(ctx, `SELECT pg_notify($1, '')`, notifyChannel)
	s.notify = err == nil
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Update runs fn in a serializable transaction (see store.Store).
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	return retry(ctx, func() error { return s.run(ctx, false, fn) })
}

// View runs fn in a read-only snapshot transaction.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return retry(ctx, func() error { return s.run(ctx, true, fn) })
}

// run is one attempt of a transaction: begin, fn, log the changes, commit (or
// roll back when fn fails or panics).
func (s *Store) run(ctx context.Context, readOnly bool, fn func(store.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.Serializable}
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	pgTx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer pgTx.Rollback(context.Background()) // no-op after Commit
	t := &tx{pg: pgTx, readOnly: readOnly}
	if err := fn(t); err != nil {
		return beforeCommit(err)
	}
	if readOnly {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := t.flush(ctx, s.notify); err != nil {
		return beforeCommit(err)
	}
	return pgTx.Commit(ctx)
}

// lostBeforeCommit marks a connection failure that happened before COMMIT
// was sent: the transaction cannot have committed, so running it again is
// safe. A failure during COMMIT is left unmarked: it may have committed.
type lostBeforeCommit struct{ error }

func (e lostBeforeCommit) Unwrap() error { return e.error }

func beforeCommit(err error) error {
	if unavailable(err) {
		return lostBeforeCommit{err}
	}
	return err
}

// retry runs attempt until it succeeds, fails with an error that is not
// worth retrying, or the attempts run out (ErrBusy). A cancelled ctx wins
// over whatever error the interrupted attempt produced.
func retry(ctx context.Context, attempt func() error) error {
	return retryIf(ctx, retryable, attempt)
}

// retryIf is retry with its own judgement of which errors are worth
// another attempt.
func retryIf(ctx context.Context, retryable func(error) bool, attempt func() error) error {
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
		if !retryable(err) {
			if unavailable(err) {
				return fmt.Errorf("%w: database unavailable: %v", store.ErrBusy, err)
			}
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

// sqlState returns err's SQLSTATE, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether running the transaction again may succeed and
// cannot apply it twice: serialization failures, deadlocks, and connection
// failures before the request reached the server or before COMMIT.
func retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	case "57P01", "57P02", "57P03": // admin shutdown, crash shutdown, cannot connect now
		return true
	}
	var lost lostBeforeCommit
	return unavailable(err) && (pgconn.SafeToRetry(err) || errors.As(err, &lost))
}

// unavailable reports whether err means the database could not be reached or
// went away, as opposed to an error in the request.
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err), pgconn.SafeToRetry(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return true
	}
	st := sqlState(err)
	return len(st) == 5 && (st[:2] == "08" || st[:2] == "57")
}

// LastSeq returns the sequence number of the last committed change: one
// query, cheap enough for followers to poll.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := retry(ctx, func() error {
		return s.pool.QueryRow(ctx, qLastSeq).Scan(&seq)
	})
	return seq, err
}

// Changes returns the changes after afterSeq (see store.Store).
func (s *Store) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	var out []store.Change
	err := s.View(ctx, func(st store.Tx) error {
		out = out[:0]
		t := st.(*tx)
		var pruned int64
		if err := t.pg.QueryRow(ctx, qPruned).Scan(&pruned); err != nil {
			return err
		}
		if afterSeq < pruned {
			return fmt.Errorf("%w: changes up to %d are gone, asked for changes after %d", store.ErrPruned, pruned, afterSeq)
		}
		var lim *int // NULL: no limit
		if limit > 0 {
			lim = &limit
		}
		rows, err := t.pg.Query(ctx, qChanges, afterSeq, lim)
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
				if data == nil {
					data = []byte{}
				}
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
		q := t.(*tx).pg
		if _, err := q.Exec(ctx, `DELETE FROM changes WHERE seq < $1`, beforeSeq); err != nil {
			return err
		}
		_, err := q.Exec(ctx, `UPDATE counters SET value = GREATEST(value, LEAST($1::BIGINT, (SELECT value FROM counters WHERE name = 'seq')))
			WHERE name = 'pruned'`, beforeSeq-1)
		return err
	})
}

// Reset deletes every record and change, for the ephemeral server's reset
// endpoint. Sequence numbering continues, and the whole feed up to the reset
// counts as pruned, so followers reload their snapshots.
func (s *Store) Reset(ctx context.Context) error {
	return s.Update(ctx, func(t store.Tx) error {
		q := t.(*tx).pg
		for _, stmt := range []string{
			`DELETE FROM records`,
			`DELETE FROM changes`,
			`UPDATE counters SET value = value + 1 WHERE name = 'seq'`,
			`UPDATE counters SET value = (SELECT value FROM counters WHERE name = 'seq') WHERE name = 'pruned'`,
		} {
			if _, err := q.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}

// Listen wakes a follower early: it holds one connection LISTENing on the
// change channel and, for every notification, sends on wake without blocking
// (a full channel already has a wake-up pending). It returns when ctx ends or
// the connection fails; the caller keeps polling LastSeq either way, and may
// call Listen again. On a database without LISTEN/NOTIFY it returns
// ErrNoNotify at once.
func (s *Store) Listen(ctx context.Context, wake chan<- struct{}) error {
	if !s.notify {
		return ErrNoNotify
	}
	conn, err := pgx.ConnectConfig(ctx, s.cfg.ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// Scan calls fn with every record of the store, ordered by kind, account and
// ID, from one snapshot: for exporting a deployment.
func (s *Store) Scan(ctx context.Context, fn func(store.Record) error) error {
	return s.View(ctx, func(st store.Tx) error {
		rows, err := st.(*tx).pg.Query(ctx, `SELECT kind, account, id, parent, data, version, updated
			FROM records ORDER BY kind, account, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r store.Record
			var updated int64
			if err := rows.Scan(&r.Kind, &r.Account, &r.ID, &r.Parent, &r.Data, &r.Version, &updated); err != nil {
				return err
			}
			r.Updated = time.Unix(0, updated).UTC()
			if err := fn(r); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
