// Package cputime reads the processor time the process has used, for
// benchmarks that report it per operation (cpu-ns/op) beside wall time: on
// a shared machine, wall time also counts the waits for other processes.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Used returns the user and system time the process has used so far.
func Used(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
