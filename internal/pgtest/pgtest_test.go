package pgtest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTraversable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil { // t.TempDir's own parent is private
		t.Fatal(err)
	}
	closed := filepath.Join(dir, "closed")
	open := filepath.Join(dir, "open")
	for path, mode := range map[string]os.FileMode{closed: 0o700, open: 0o755, dir: 0o755} {
		if err := os.MkdirAll(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		dir  string
		want bool
	}{
		{"/", true},
		{open, true},
		{closed, false},
		{filepath.Join(closed, "below"), false},
		{filepath.Join(dir, "missing"), false},
	}
	for _, tc := range tests {
		if got := traversable(tc.dir); got != tc.want {
			t.Errorf("traversable(%s) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}
