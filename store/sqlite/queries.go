package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/gatehouse-iam/gatehouse/store"
)

// The statements transactions run. Every one of them, and every List and
// Count variant listQuery and countQuery can produce, is prepared when the
// Store opens.
const (
	recordColumns = `id, parent, data, version, updated`

	// nextSeq is the sequence number the transaction's next change will
	// get: the writer holds the write lock, so nothing takes it in between.
	// A create or update stores it in the record row, then counts it with
	// qNextSeq and logs its change.
	nextSeq = `(SELECT value + 1 FROM counters WHERE name = 'seq')`

	qGet    = `SELECT ` + recordColumns + ` FROM records WHERE kind = ? AND account = ? AND id = ?`
	qCreate = `INSERT INTO records (kind, account, id, parent, data, version, updated, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ` + nextSeq + `) ON CONFLICT DO NOTHING`
	// qVersion checks an update's or delete's expected version before it
	// writes, so that the write itself is a plain statement on one row: a
	// write with RETURNING (or one that may stop halfway) makes SQLite
	// save each page it changes in a statement journal first, a temporary
	// file, which costs a page-sized write per page (64 KiB with OpenLarge).
	qVersion = `SELECT version FROM records WHERE kind = ? AND account = ? AND id = ?`
	qUpdate  = `UPDATE records SET parent = ?, data = ?, version = version + 1, updated = ?, seq = ` + nextSeq + `
		WHERE kind = ? AND account = ? AND id = ?`
	qDelete = `DELETE FROM records WHERE kind = ? AND account = ? AND id = ?`
	// qKeepData runs before an update or delete of a record replaces its
	// data: it copies the data into the change that wrote it, if that
	// change has not been pruned and still refers to the record row for
	// its data.
	qKeepData = `UPDATE changes SET data = r.data FROM records AS r
		WHERE r.kind = ? AND r.account = ? AND r.id = ? AND changes.seq = r.seq AND changes.data IS NULL`

	qNextSeq = `UPDATE counters SET value = value + 1 WHERE name = 'seq'`
	qLastSeq = `SELECT value FROM counters WHERE name = 'seq'`
	qPruned  = `SELECT value FROM counters WHERE name = 'pruned'`
	// qLogChange runs after qNextSeq and takes the number it counted. It
	// leaves data NULL: a create's or update's data is in the record row
	// until qKeepData copies it, and a delete has none.
	qLogChange = `INSERT INTO changes (seq, op, kind, account, id, parent, version, at)
		VALUES ((SELECT value FROM counters WHERE name = 'seq'), ?, ?, ?, ?, ?, ?, ?)`
	// qChanges takes a change's data from the record row it refers to when
	// the change row has none; for a delete no record row carries its
	// sequence number, so its data stays NULL.
	qChanges = `SELECT c.seq, c.op, c.kind, c.account, c.id, c.parent, COALESCE(c.data, r.data), c.version, c.at
		FROM changes AS c LEFT JOIN records AS r
			ON c.data IS NULL AND r.kind = c.kind AND r.account = c.account AND r.id = c.id AND r.seq = c.seq
		WHERE c.seq > ? ORDER BY c.seq LIMIT ?`
)

// where renders the filter of o (after Check) as a WHERE clause and its
// arguments. The clause depends only on which options are set, not on their
// values, so the variants are few and all prepared.
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

// listQuery returns the SELECT for o and its arguments.
func listQuery(o store.ListOptions) (string, []any) {
	w, args := where(o)
	q := `SELECT ` + recordColumns + ` FROM records` + w + ` ORDER BY id`
	if o.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, o.Limit)
	}
	return q, args
}

// countQuery returns the COUNT for o and its arguments.
func countQuery(o store.ListOptions) (string, []any) {
	w, args := where(o)
	return `SELECT COUNT(*) FROM records` + w, args
}

// allQueries lists every statement a transaction can run, List and Count
// variants included (one representative of each shape of ListOptions).
func allQueries() []string {
	qs := []string{qGet, qCreate, qVersion, qUpdate, qDelete, qKeepData, qNextSeq, qLastSeq, qPruned, qLogChange, qChanges}
	none := ""
	for _, parent := range []*string{nil, &none} {
		for _, prefix := range []string{"", "a", "\xff"} { // none, bounded, unbounded
			for _, after := range []string{"", "a"} {
				o := store.ListOptions{Kind: "k", Parent: parent, Prefix: prefix, After: after}
				q, _ := countQuery(o)
				qs = append(qs, q)
				for _, limit := range []int{0, 1} {
					o.Limit = limit
					q, _ := listQuery(o)
					qs = append(qs, q)
				}
			}
		}
	}
	return qs
}

// statements are one pool's prepared statements by query text. They are
// prepared when the Store opens, because preparing one inside a transaction
// could wait for the very connection the transaction holds; a transaction
// binds them to its connection with Tx.StmtContext, which reuses the copy
// prepared on that connection.
type statements map[string]*sql.Stmt

// prepare prepares every query on db.
func prepare(ctx context.Context, db *sql.DB) (statements, error) {
	st := statements{}
	for _, q := range allQueries() {
		if _, ok := st[q]; ok {
			continue
		}
		p, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, errors.Join(err, st.close())
		}
		st[q] = p
	}
	return st, nil
}

// close closes every statement.
func (st statements) close() error {
	var errs []error
	for _, p := range st {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}
