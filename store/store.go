// Package store is Gatehouse's persistence interface: one generic record store
// that every service (IAM, STS, Organizations, audit) keeps its entities in,
// and a commit-ordered change feed that lets every node keep its in-memory
// snapshot (compiled policies, principals) fresh.
//
// The store knows nothing about IAM. A caller owns the schema of its records:
// it picks a Kind ("iam.user", "orgs.account", "system.signing-key"), an owning
// account, an ID that is unique within (Kind, Account), an optional Parent used
// to list children (a user's access keys), and a JSON document. Uniqueness is
// bytewise, so callers that need case-insensitive names use lower-cased IDs.
//
// # Transactions
//
// Store.Update runs a read-write transaction that is serializable and all or
// nothing: when fn returns an error nothing it wrote is kept, changes included.
// A backend retries fn on serialization failures and lock contention (bounded,
// with backoff), so fn must be idempotent apart from its writes through the Tx:
// compute in fn, publish side effects after Update returns. Store.View runs a
// read-only snapshot transaction. A Tx belongs to one goroutine and must not
// be used after fn returns, and fn must not start another transaction on the
// same store: backends may serialize them (SQLite in memory makes a commit
// wait for open Views), so nesting can stall until the retries run out.
//
// # Versions
//
// Every record carries a Version the store sets: 1 on create, +1 on each
// update. Tx.Update and Tx.Delete take an expected version for optimistic
// concurrency across requests (a client read in one transaction, wrote in a
// later one); version 0 means "whatever is current" and is what a caller that
// read the record in the same transaction should use, since the transaction is
// already serializable.
//
// # The change feed
//
// Every create, update and delete appends a Change with a sequence number
// assigned inside the writing transaction. Sequence numbers are strictly
// increasing in commit order and have no gaps, so a reader polling
// Changes(afterSeq) never skips a change that commits later with a lower
// number. SQLite gets this from its single writer. A backend with concurrent
// writers (PostgreSQL) takes the next number from a one-row counter table with
// "UPDATE seq SET v = v + 1 RETURNING v" on its first write: the row lock is
// held until commit, so a transaction that obtains a higher number commits
// after every transaction holding a lower one, and a rollback returns its
// numbers.
//
// A node loads a consistent snapshot with one View (Tx.LastSeq plus the records
// it needs) and then applies Changes after that sequence. Changes are kept
// until Prune removes them; a reader whose cursor falls behind the pruned
// horizon gets ErrPruned and must reload its snapshot.
//
// # Ordering
//
// List returns records ordered by ID, comparing bytes (SQLite's BINARY
// collation; PostgreSQL backends use COLLATE "C"). Data is stored verbatim:
// backends must not normalize the JSON (no jsonb).
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors returned by every backend. Backends wrap them with detail; test with
// errors.Is.
var (
	// ErrNotFound: no record has the key.
	ErrNotFound = errors.New("store: record not found")
	// ErrExists: Create found a record with the same key.
	ErrExists = errors.New("store: record already exists")
	// ErrConflict: the record's current version is not the expected one.
	ErrConflict = errors.New("store: version conflict")
	// ErrInvalid: a key without Kind or ID, or a negative limit or version.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrReadOnly: a write through the Tx of a View.
	ErrReadOnly = errors.New("store: write in a read-only transaction")
	// ErrPruned: Changes was asked for changes that Prune (or a reset) removed;
	// the reader must reload its snapshot.
	ErrPruned = errors.New("store: changes pruned")
	// ErrBusy: the store stayed contended (or unreachable) after every
	// retry; the request may be retried later. It reports
	// ServiceUnavailable() true, which the wire protocols answer with AWS's
	// 503 ServiceUnavailable.
	ErrBusy error = busyError{}
)

// busyError is ErrBusy's type.
type busyError struct{}

func (busyError) Error() string { return "store: busy" }

// ServiceUnavailable marks the error as a temporary unavailability.
func (busyError) ServiceUnavailable() bool { return true }

// Key identifies a record.
type Key struct {
	Kind    string // e.g. "iam.user"
	Account string // owning account id, "" for global records
	ID      string // unique within (Kind, Account)
}

// String renders the key as kind/account/id for error messages.
func (k Key) String() string { return k.Kind + "/" + k.Account + "/" + k.ID }

// Check reports ErrInvalid unless the key has a Kind and an ID.
func (k Key) Check() error {
	if k.Kind == "" || k.ID == "" {
		return fmt.Errorf("%w: key %q needs a kind and an id", ErrInvalid, k.String())
	}
	return nil
}

// Record is one stored entity.
type Record struct {
	Kind    string
	Account string
	ID      string
	// Parent groups records for ListOptions.Parent (e.g. the user id of an
	// access key); "" when the record has none.
	Parent string
	// Data is the caller's JSON document, stored and returned byte for byte.
	Data []byte
	// Version is set by the store: 1 on create, +1 on every update.
	Version int64
	// Updated is set by the store to the time of the last create or update.
	Updated time.Time
}

// Key returns the record's key.
func (r Record) Key() Key { return Key{Kind: r.Kind, Account: r.Account, ID: r.ID} }

// ListOptions selects records of one Kind in one Account.
type ListOptions struct {
	Kind    string // required
	Account string // exact match; "" selects global records
	// Parent, when non-nil, keeps only records whose Parent equals *Parent
	// (a pointer to "" keeps records without a parent).
	Parent *string
	Prefix string // keeps IDs that start with Prefix
	After  string // keeps IDs greater than After: the cursor of the previous page
	Limit  int    // List returns at most Limit records; 0 means no limit; Count ignores it
}

// Check reports ErrInvalid unless the options have a Kind and a non-negative Limit.
func (o ListOptions) Check() error {
	if o.Kind == "" {
		return fmt.Errorf("%w: list needs a kind", ErrInvalid)
	}
	if o.Limit < 0 {
		return fmt.Errorf("%w: negative list limit %d", ErrInvalid, o.Limit)
	}
	return nil
}

// Tx reads and writes records inside one transaction.
type Tx interface {
	// Get returns the record with the key, or ErrNotFound.
	Get(ctx context.Context, k Key) (Record, error)
	// List returns the selected records ordered by ID ascending.
	List(ctx context.Context, o ListOptions) ([]Record, error)
	// Count returns how many records List would return without a Limit.
	Count(ctx context.Context, o ListOptions) (int, error)
	// Create stores a new record (rec.Version and rec.Updated are ignored) and
	// returns it as stored, or ErrExists.
	Create(ctx context.Context, rec Record) (Record, error)
	// Update replaces the Parent and Data of an existing record and returns it
	// as stored. rec.Version is the expected current version (ErrConflict if
	// it differs); 0 updates whatever is current. ErrNotFound if absent.
	Update(ctx context.Context, rec Record) (Record, error)
	// Delete removes a record. version is the expected current version
	// (ErrConflict if it differs); 0 deletes whatever is current.
	// ErrNotFound if absent.
	Delete(ctx context.Context, k Key, version int64) error
	// LastSeq returns the sequence number of the last change visible to the
	// transaction, its own writes included: with a View, the position in the
	// change feed that the snapshot corresponds to.
	LastSeq(ctx context.Context) (int64, error)
}

// Op is the kind of write a Change records.
type Op string

// The operations of the change feed.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is one entry of the change feed.
type Change struct {
	Seq    int64
	Op     Op
	Key    Key
	Record Record // the record as written; zero for OpDelete
	At     time.Time
}

// Store is a transactional record store with a change feed. Implementations
// are safe for concurrent use.
type Store interface {
	// Update runs fn in a serializable read-write transaction and commits if
	// fn returns nil. fn may run more than once (see the package doc). The
	// error is fn's error, a ctx error, ErrBusy, or a backend failure.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only snapshot transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Changes returns up to limit changes (all when limit <= 0) with a
	// sequence number greater than afterSeq, in sequence order; ErrPruned when
	// some of them have been pruned.
	Changes(ctx context.Context, afterSeq int64, limit int) ([]Change, error)
	// LastSeq returns the sequence number of the last committed change (0
	// when there has been none).
	LastSeq(ctx context.Context) (int64, error)
	// Prune deletes the changes with a sequence number below beforeSeq.
	// Records are untouched and numbering continues where it was.
	Prune(ctx context.Context, beforeSeq int64) error
	// Close releases the store's resources.
	Close() error
}
