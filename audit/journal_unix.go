//go:build linux

package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// datasync makes f's written data durable without its metadata (fdatasync).
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// lockDir takes an exclusive lock on dir for this process (a LOCK file,
// flock), so that two servers never write one journal; the lock goes with
// the returned file.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is in use by another process", dir)
		}
		return nil, err
	}
	return f, nil
}
