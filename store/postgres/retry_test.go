package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse-iam/gatehouse/store"
)

// TestRetryClassification checks which failures run a transaction again and
// which become store.ErrBusy.
func TestRetryClassification(t *testing.T) {
	pgErr := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name             string
		err              error
		retry, available bool
	}{
		{"serialization failure", pgErr("40001"), true, true},
		{"deadlock", pgErr("40P01"), true, true},
		{"admin shutdown", pgErr("57P01"), true, false},
		{"unique violation", pgErr("23505"), false, true},
		{"syntax error", pgErr("42601"), false, true},
		{"store error", store.ErrExists, false, true},
		{"connection lost mid-transaction", io.ErrUnexpectedEOF, false, false},
		{"connection lost before commit", lostBeforeCommit{io.ErrUnexpectedEOF}, true, false},
		{"connection refused", syscall.ECONNREFUSED, false, false},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryable(tc.err); got != tc.retry {
				t.Errorf("retryable = %v, want %v", got, tc.retry)
			}
			if got := !unavailable(tc.err); got != tc.available {
				t.Errorf("unavailable = %v, want %v", !got, !tc.available)
			}
		})
	}
}

// TestMigrationRetries checks that only migrations retry the errors of a
// concurrent schema creation.
func TestMigrationRetries(t *testing.T) {
	for _, code := range []string{"42P06", "42P07", "23505"} {
		err := &pgconn.PgError{Code: code}
		if !migrationRetryable(err) || retryable(err) {
			t.Errorf("%s: migration retries %v, transaction retries %v; want true, false", code, migrationRetryable(err), retryable(err))
		}
	}
}

// TestRetryGivesUp checks that retry ends in ErrBusy for persistent
// contention and for an unreachable database, and returns other errors as
// they are after one attempt.
func TestRetryGivesUp(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		attempts int
		busy     bool
	}{
		{"contention", &pgconn.PgError{Code: "40001"}, maxAttempts, true},
		{"unreachable", io.ErrUnexpectedEOF, 1, true},
		{"caller's error", errors.New("boom"), 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			err := retry(context.Background(), func() error { n++; return tc.err })
			if n != tc.attempts || errors.Is(err, store.ErrBusy) != tc.busy {
				t.Errorf("%d attempts, %v; want %d attempts, busy %v", n, err, tc.attempts, tc.busy)
			}
		})
	}
}
