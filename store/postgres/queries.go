package postgres

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/store"
)

// The statements transactions run. pgx prepares and caches each one per
// connection on first use.
const (
	recordColumns = `id, parent, data, version, updated`

	qGet    = `SELECT ` + recordColumns + ` FROM records WHERE kind = $1 AND account = $2 AND id = $3`
	qCreate = `INSERT INTO records (kind, account, id, parent, data, version, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`
	qUpdate = `UPDATE records SET parent = $1, data = $2, version = version + 1, updated = $3
		WHERE kind = $4 AND account = $5 AND id = $6 AND ($7::BIGINT = 0 OR version = $7::BIGINT) RETURNING version`
	qDelete  = `DELETE FROM records WHERE kind = $1 AND account = $2 AND id = $3 AND ($4::BIGINT = 0 OR version = $4::BIGINT)`
	qVersion = `SELECT version FROM records WHERE kind = $1 AND account = $2 AND id = $3`

	qTakeSeq   = `UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value`
	qLastSeq   = `SELECT value FROM counters WHERE name = 'seq'`
	qPruned    = `SELECT value FROM counters WHERE name = 'pruned'`
	qLogChange = `INSERT INTO changes (seq, op, kind, account, id, parent, data, version, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	qChanges = `SELECT seq, op, kind, account, id, parent, data, version, at
		FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`
	qNotify = `SELECT pg_notify($1, $2)`
)

// where renders the filter of o (after Check) as a WHERE clause and its
// arguments. IDs compare bytewise (COLLATE "C" columns), so a prefix is a
// range scan of the primary key.
func where(o store.ListOptions) (string, []any) {
	var b strings.Builder
	args := []any{o.Kind, o.Account}
	b.WriteString(` WHERE kind = $1 AND account = $2`)
	add := func(cond string, v any) {
		args = append(args, v)
		b.WriteString(` AND ` + cond + ` $` + strconv.Itoa(len(args)))
	}
	if o.Parent != nil {
		add(`parent =`, *o.Parent)
	}
	if o.Prefix != "" {
		add(`id >=`, o.Prefix)
		if end, ok := prefixEnd(o.Prefix); ok {
			add(`id <`, end)
		}
	}
	if o.After != "" {
		add(`id >`, o.After)
	}
	return b.String(), args
}

// prefixEnd returns the least string greater than every string with the
// prefix p in code point order (which is byte order for UTF-8, and the order
// of COLLATE "C"), keeping it valid UTF-8 as PostgreSQL text requires: the
// last code point that can be incremented is, and what follows it dropped.
// ok is false when there is no such string.
func prefixEnd(p string) (end string, ok bool) {
	for len(p) > 0 {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		if r == utf8.RuneError && size <= 1 {
			continue // not UTF-8: no bound from this byte
		}
		next := r + 1
		if next == 0xD800 { // skip the surrogates, which UTF-8 cannot encode
			next = 0xE000
		}
		if next <= utf8.MaxRune {
			return p + string(next), true
		}
	}
	return "", false
}

// listQuery returns the SELECT for o and its arguments.
func listQuery(o store.ListOptions) (string, []any) {
	w, args := where(o)
	q := `SELECT ` + recordColumns + ` FROM records` + w + ` ORDER BY id`
	if o.Limit > 0 {
		args = append(args, o.Limit)
		q += ` LIMIT $` + strconv.Itoa(len(args))
	}
	return q, args
}

// countQuery returns the COUNT for o and its arguments.
func countQuery(o store.ListOptions) (string, []any) {
	w, args := where(o)
	return `SELECT COUNT(*) FROM records` + w, args
}
