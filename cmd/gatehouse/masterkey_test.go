package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMasterKey checks where serve takes the at-rest key from: the file
// flag, then $GATEHOUSE_MASTER_KEY, then bootstrap.json, and that only
// base64 of 32 bytes is accepted.
func TestMasterKey(t *testing.T) {
	key := func(b byte) string { return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(b), 32))) }
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name      string
		file, env string
		want      byte   // first byte of the key
		wantErr   string // substring of the error
	}{
		{"bootstrap", "", "", 'b', ""},
		{"environment", "", key('e'), 'e', ""},
		{"file wins", write("k", key('f')+"\n"), key('e'), 'f', ""},
		{"short key", "", base64.StdEncoding.EncodeToString([]byte("short")), 0, "GATEHOUSE_MASTER_KEY"},
		{"not base64", write("bad", "%%%"), "", 0, "bad"},
		{"missing file", filepath.Join(dir, "absent"), "", 0, "absent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GATEHOUSE_MASTER_KEY", tc.env)
			got, err := masterKey(serveConfig{masterKeyFile: tc.file}, &bootstrapFile{MasterKey: key('b')})
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("masterKey = %v, want an error about %q", err, tc.wantErr)
				}
			case err != nil || len(got) != 32 || got[0] != tc.want:
				t.Errorf("masterKey = %q, %v; want 32 × %q", got, err, tc.want)
			}
		})
	}
}
