//go:build !linux

package audit

import (
	"os"
	"path/filepath"
)

// datasync makes f's written data durable (fsync where fdatasync is not
// available).
func datasync(f *os.File) error { return f.Sync() }

// lockDir opens dir's LOCK file; on this platform it does not exclude
// another process.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
}
