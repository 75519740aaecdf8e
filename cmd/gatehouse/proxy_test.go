package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProxyFlags(t *testing.T) {
	t.Setenv("GATEHOUSE_PROXY_ACCESS_KEY_ID", "")
	t.Setenv("GATEHOUSE_PROXY_SECRET_ACCESS_KEY", "")
	dir := t.TempDir()
	good := filepath.Join(dir, "routes.json")
	os.WriteFile(good, []byte(`{"routes":[{"method":"GET","path":"/{k}","action":"s3:GetObject","resource":"arn:aws:s3:::b/{k}"}]}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"routes":[{"method":"GET","path":"/{k}","action":"s3:GetObject","resource":"arn:aws:s3:::{x}"}]}`), 0o600)
	keys := []string{"--access-key", "AKIDEXAMPLE", "--secret-key", "s"}
	tests := []struct {
		args []string
		want string // error text; "" for success
	}{
		{append([]string{"--upstream", "http://127.0.0.1:9000", "--routes", good}, keys...), ""},
		{append([]string{"--routes", good}, keys...), "--upstream and --routes are required"},
		{[]string{"--upstream", "http://127.0.0.1:9000", "--routes", good}, "--access-key and --secret-key are required"},
		{append([]string{"--upstream", "http://x", "--routes", good, "--tls-cert", "c.pem"}, keys...), "go together"},
		{append([]string{"--upstream", "ftp://x", "--routes", good}, keys...), "want an http(s) URL"},
		{append([]string{"--upstream", "http://x", "--routes", bad}, keys...), "{x} is not a path parameter"},
		{append([]string{"--upstream", "http://x", "--routes", filepath.Join(dir, "none.json")}, keys...), "no such file"},
	}
	for _, tt := range tests {
		c, err := parseProxyFlags(tt.args, io.Discard)
		if err == nil {
			_, err = newProxyHandler(c)
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}
