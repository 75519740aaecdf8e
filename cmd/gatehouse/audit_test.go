package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// auditDataDir builds a data directory with one account and a few audit
// records: a role's sessions calling IAM and STS, and a user.
func auditDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	ents, err := sqlite.Open(filepath.Join(dir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = ents.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Create(ctx, store.Record{Kind: "iam.account", ID: "123456789012", Data: []byte(`{}`)})
		return err
	})
	ents.Close()
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := audit.NewRecorder(st)
	defer rec.Close()
	role := "arn:aws:iam::123456789012:role/app"
	now := time.Now().Add(-time.Hour)
	calls := []struct {
		svc, op, session string
		daysAgo          int
	}{
		{"iam", "GetUser", "s1", 1}, {"iam", "GetUser", "s2", 2}, {"sts", "GetCallerIdentity", "s1", 1},
		{"iam", "ListRoles", "s3", 120}, {"iam", "CreateUser", "", 3},
	}
	for _, c := range calls {
		p := &authz.Principal{Type: authz.AssumedRole, Account: "123456789012", ID: "AROAEXAMPLE", SessionName: c.session,
			ARN: "arn:aws:sts::123456789012:assumed-role/app/" + c.session}
		call := &audit.Call{Service: c.svc, OpName: c.op, Caller: p, AccountID: "123456789012", Time: now.AddDate(0, 0, -c.daysAgo),
			Session: &audit.Session{IssuerType: "Role", IssuerARN: role, IssuerName: "app", IssuerAccount: "123456789012"}}
		if c.session == "" {
			call.Caller, call.Session = &authz.Principal{Type: authz.User, Account: "123456789012", Username: "alice",
				ARN: "arn:aws:iam::123456789012:user/alice"}, nil
		}
		if err := rec.Record(ctx, call); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, nil, &out, &errb)
	return code, out.String() + errb.String()
}

func TestAuditQueryWhatARoleUsed(t *testing.T) {
	dir := auditDataDir(t)
	code, out := runCmd(t, "audit", "query", "--data-dir", dir, "--principal", "arn:aws:iam::123456789012:role/app",
		"--since", "90d", "--group-by", "action", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var groups []audit.Group
	if err := json.Unmarshal([]byte(out), &groups); err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Key != "iam:GetUser" || groups[0].Count != 2 || groups[0].Sessions != 2 ||
		groups[1].Key != "sts:GetCallerIdentity" {
		t.Fatalf("groups: %+v", groups)
	}
	code, out = runCmd(t, "audit", "query", "--data-dir", dir, "--service", "iam")
	if code != 0 || strings.Count(out, "\n") != 5 || !strings.Contains(out, "iam:CreateUser") {
		t.Fatalf("table (exit %d):\n%s", code, out)
	}
	if code, out = runCmd(t, "audit", "query", "--data-dir", dir, "--group-by", "color"); code != 2 {
		t.Fatalf("bad group-by: exit %d %s", code, out)
	}
}

func TestAuditExportVerify(t *testing.T) {
	dir := auditDataDir(t)
	out := filepath.Join(t.TempDir(), "trail")
	code, msg := runCmd(t, "audit", "export", "--data-dir", dir, "--out", out, "--settle", "0s")
	if code != 0 || !strings.Contains(msg, "exported 5 records in 1 log files, 1 digests") {
		t.Fatalf("export: exit %d %s", code, msg)
	}
	if code, msg = runCmd(t, "audit", "export", "--data-dir", dir, "--out", out, "--settle", "0s"); code != 0 || !strings.Contains(msg, "exported 0 records") {
		t.Fatalf("incremental export: exit %d %s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit-signing.key")); err != nil {
		t.Fatal(err)
	}
	if code, msg = runCmd(t, "audit", "verify", "--dir", out, "--public-key", filepath.Join(out, audit.PublicKeyFile)); code != 0 {
		t.Fatalf("verify: exit %d %s", code, msg)
	}
	logs, _ := filepath.Glob(filepath.Join(out, "123456789012", "*", "*", "*", "*.json.gz"))
	if len(logs) != 1 {
		t.Fatalf("log files: %v", logs)
	}
	os.Remove(logs[0])
	if code, msg = runCmd(t, "audit", "verify", "--dir", out); code != 1 || !strings.Contains(msg, "FAIL") {
		t.Fatalf("verify after deletion: exit %d %s", code, msg)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"90d", now.AddDate(0, 0, -90), true},
		{"12h", now.Add(-12 * time.Hour), true},
		{"2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), true},
		{"xd", time.Time{}, false},
		{"-3h", time.Time{}, false},
	}
	for _, tc := range cases {
		got, err := parseSince(tc.in, now)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseSince(%q) = %v, %v", tc.in, got, err)
		}
	}
}
