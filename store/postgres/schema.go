package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema's history: migrations[i] upgrades a schema from
// version i to version i+1. Append only; never edit a released step. The SQL
// is the subset PostgreSQL, CockroachDB and YugabyteDB share: no jsonb, no
// sequences (numbering comes from the counters row), no triggers.
var migrations = [][]string{
	// Version 1: records, the change feed and its counters.
	{
		`CREATE TABLE records (
			kind    TEXT COLLATE "C" NOT NULL,
			account TEXT COLLATE "C" NOT NULL,
			id      TEXT COLLATE "C" NOT NULL,
			parent  TEXT COLLATE "C" NOT NULL,
			data    BYTEA  NOT NULL,
			version BIGINT NOT NULL,
			updated BIGINT NOT NULL, -- Unix nanoseconds
			PRIMARY KEY (kind, account, id)
		)`,
		`CREATE INDEX records_parent ON records (kind, account, parent, id)`,
		`CREATE TABLE changes (
			seq     BIGINT PRIMARY KEY,
			op      TEXT   NOT NULL,
			kind    TEXT   NOT NULL,
			account TEXT   NOT NULL,
			id      TEXT   NOT NULL,
			parent  TEXT   NOT NULL,
			data    BYTEA,            -- NULL for deletes
			version BIGINT NOT NULL,  -- 0 for deletes
			at      BIGINT NOT NULL   -- Unix nanoseconds
		)`,
		`CREATE TABLE counters (
			name  TEXT   PRIMARY KEY,
			value BIGINT NOT NULL
		)`,
		`INSERT INTO counters (name, value) VALUES ('seq', 0), ('pruned', 0)`,
	},
}

// migrate creates the schema if needed and brings it to the latest version in
// one serializable transaction, refusing a schema written by a newer
// Gatehouse. Nodes opening the same database at once race on creating the
// tables; the loser's transaction fails and is retried, and then finds the
// work done.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, steps [][]string) error {
	return retryIf(ctx, migrationRetryable, func() error {
		tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background())
		if schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
			return err
		}
		var version int
		switch err := tx.QueryRow(ctx, `SELECT version FROM schema_version FOR UPDATE`).Scan(&version); {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if version > len(steps) {
			return fmt.Errorf("postgres store: database schema version %d is newer than this program's %d", version, len(steps))
		}
		if version == len(steps) {
			return nil
		}
		for i := version; i < len(steps); i++ {
			for _, stmt := range steps[i] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("postgres store: migration to schema version %d: %w", i+1, err)
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE schema_version SET version = $1`, len(steps)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// migrationRetryable adds to retryable the errors of nodes creating the
// same schema at once: the loser's CREATE finds the winner's object
// (duplicate schema or table, or the catalog's unique index).
func migrationRetryable(err error) bool {
	switch sqlState(err) {
	case "42P06", "42P07", "23505":
		return true
	}
	return retryable(err)
}
