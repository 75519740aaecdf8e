//go:build linux && (amd64 || arm64)

package audit

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAIOSyncer checks the AIO data sync: it completes, reports a bad
// descriptor as fdatasync would, and keeps working after an error.
func TestAIOSyncer(t *testing.T) {
	s := newSyncer()
	defer s.close()
	if _, ok := s.(*aioSyncer); !ok {
		t.Skip("no Linux AIO here: the journal uses fdatasync")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "seg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 3 {
		if _, err := f.Write([]byte("frame")); err != nil {
			t.Fatal(err)
		}
		if err := s.sync(f); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	closed, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if err := s.sync(closed); err == nil {
		t.Error("sync of a closed file succeeded")
	}
	if err := s.sync(f); err != nil {
		t.Errorf("sync after an error: %v", err)
	}
}
