package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctsdk "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// startServe runs serve on dataDir until the returned stop is called, and
// returns its endpoint.
func startServe(t *testing.T, dataDir string) (endpoint string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan error, 1)
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: dataDir, account: "123456789012", keyID: "test", secret: "test",
		partition: "aws", pollInterval: time.Second}
	go func() {
		err := serve(ctx, cfg, w, slog.New(slog.NewTextHandler(io.Discard, nil)))
		w.Close()
		done <- err
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", <-done)
	}
	go io.Copy(io.Discard, out)
	endpoint = strings.Fields(line)[4] // "Gatehouse is listening on URL (account …)"
	return endpoint, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

// TestServeAuditJournal runs the audit trail as `gatehouse serve --data-dir`
// does, through the journal: calls are in LookupEvents as soon as they are
// answered, survive a restart (not twice), and leave only the last, applied
// journal segment behind.
func TestServeAuditJournal(t *testing.T) {
	dir := t.TempDir()
	endpoint, stop := startServe(t, dir)
	cfg := (&testserver.Server{URL: endpoint}).Config("test", "test")
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if _, err := iamsdk.NewFromConfig(cfg).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	created := func(cfg aws.Config) int {
		out, err := ctsdk.NewFromConfig(cfg).LookupEvents(ctx, &ctsdk.LookupEventsInput{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range out.Events {
			if aws.ToString(ev.EventName) == "CreateUser" {
				n++
			}
		}
		return n
	}
	if n := created(cfg); n != 2 {
		t.Fatalf("LookupEvents right after the calls: %d CreateUser events, want 2", n)
	}
	stop()
	if segs, _ := filepath.Glob(filepath.Join(dir, "audit-journal", "*.journal")); len(segs) > 1 {
		t.Errorf("journal segments left after a clean stop: %v, want the last (applied) one only", segs)
	}

	endpoint, stop = startServe(t, dir)
	defer stop()
	if n := created((&testserver.Server{URL: endpoint}).Config("test", "test")); n != 2 {
		t.Errorf("after a restart: %d CreateUser events, want 2", n)
	}
}
