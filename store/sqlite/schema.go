package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema's history: migrations[i] upgrades a database from
// version i to version i+1. Append only; never edit a released step.
var migrations = [][]string{
	// Version 1: records and the change feed, numbered by the changes rowid.
	{
		`CREATE TABLE records (
			kind    TEXT    NOT NULL,
			account TEXT    NOT NULL,
			id      TEXT    NOT NULL,
			parent  TEXT    NOT NULL,
			data    BLOB    NOT NULL,
			version INTEGER NOT NULL,
			updated INTEGER NOT NULL, -- Unix nanoseconds
			PRIMARY KEY (kind, account, id)
		)`,
		`CREATE INDEX records_parent ON records (kind, account, parent, id)`,
		`CREATE TABLE changes (
			seq     INTEGER PRIMARY KEY,
			op      TEXT    NOT NULL,
			kind    TEXT    NOT NULL,
			account TEXT    NOT NULL,
			id      TEXT    NOT NULL,
			parent  TEXT    NOT NULL,
			data    BLOB,             -- NULL for deletes
			version INTEGER NOT NULL, -- 0 for deletes
			at      INTEGER NOT NULL  -- Unix nanoseconds
		)`,
	},
	// Version 2: sequence numbers come from an explicit counter, so pruning or
	// resetting the changes table can never make SQLite reissue a number, and
	// the pruned horizon is recorded for Changes to report ErrPruned.
	{
		`CREATE TABLE counters (
			name  TEXT    PRIMARY KEY,
			value INTEGER NOT NULL
		)`,
		`INSERT INTO counters (name, value) VALUES
			('seq', (SELECT COALESCE(MAX(seq), 0) FROM changes)),
			('pruned', 0)`,
	},
	// Version 3: a create or update stores its data once. The record row
	// carries the sequence number of the change that wrote its current
	// version (NULL in rows written before this version), and that change
	// row keeps its data NULL, meaning "the data of the record row at this
	// change's sequence number", until the record row is next updated or
	// deleted, which first copies the data into it (see qKeepData). Changes
	// reads a NULL through a join with records (see qChanges); a delete's
	// change still has no data.
	{
		`ALTER TABLE records ADD COLUMN seq INTEGER`,
	},
}

// migrate brings the database to the latest schema version inside one write
// transaction, refusing a database written by a newer Gatehouse.
func migrate(ctx context.Context, db *sql.DB, steps [][]string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var version int
	switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version); err {
	case nil:
	case sql.ErrNoRows:
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return err
		}
	default:
		return err
	}
	if version > len(steps) {
		return fmt.Errorf("sqlite store: database schema version %d is newer than this program's %d", version, len(steps))
	}
	for i := version; i < len(steps); i++ {
		for _, stmt := range steps[i] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlite store: migration to schema version %d: %w", i+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(steps)); err != nil {
		return err
	}
	return tx.Commit()
}
