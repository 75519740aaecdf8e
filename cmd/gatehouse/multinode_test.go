package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-iam/gatehouse/internal/pgtest"
)

// Deployment shared by the nodes of the multi-node test.
const (
	mnAccount = "123456789012"
	mnRootKey = "AKIAMULTINODEROOT001"
	mnRootSec = "multi-node-root-secret"
)

// buildGatehouse builds this command into a temporary directory.
func buildGatehouse(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gatehouse")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startNode runs `gatehouse serve` on the database and returns its endpoint
// and process. The process is killed when the test ends.
func startNode(t *testing.T, bin, url, schema, key string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--database-url", url, "--database-schema", schema, "--poll-interval", "20ms", "--no-audit",
		"--account-id", mnAccount, "--root-access-key-id", mnRootKey, "--root-secret-access-key", mnRootSec)
	cmd.Env = append(os.Environ(), "GATEHOUSE_MASTER_KEY="+key)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("node stderr:\n%s", stderr.String())
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("node exited before listening:\n%s", stderr.String())
			}
			if rest, ok := strings.CutPrefix(line, "Gatehouse is listening on "); ok {
				endpoint, _, _ := strings.Cut(rest, " ")
				go func() {
					for range lines { // keep the pipe drained
					}
				}()
				return endpoint, cmd.Process
			}
		case <-timeout:
			t.Fatalf("node did not start:\n%s", stderr.String())
		}
	}
}

func iamClient(endpoint, keyID, secret string) *iamsdk.Client {
	return iamsdk.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	})
}

// allowed reports whether the client may call GetUser on itself: nil error
// is allowed, AccessDenied is denied, anything else fails the test.
func allowed(ctx context.Context, t *testing.T, c *iamsdk.Client) bool {
	_, err := c.GetUser(ctx, &iamsdk.GetUserInput{})
	var ae smithy.APIError
	switch {
	case err == nil:
		return true
	case errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied":
		return false
	case errors.As(err, &ae) && ae.ErrorCode() == "InvalidClientTokenId":
		return false // the key has not reached this node yet
	}
	t.Fatalf("GetUser: %v", err)
	return false
}

// mnMasterKey is the deployment's at-rest key, given to every node.
var mnMasterKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// TestMultiNode runs three `gatehouse serve` processes on one PostgreSQL:
// policy changes made through node A take effect for authorization on B and
// C, and the test measures how long that takes.
func TestMultiNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and three servers")
	}
	url, schema := pgtest.NewSchema(t)
	bin := buildGatehouse(t)
	var nodes []string
	for range 3 {
		endpoint, _ := startNode(t, bin, url, schema, mnMasterKey)
		nodes = append(nodes, endpoint)
	}
	ctx := t.Context()
	admin := iamClient(nodes[0], mnRootKey, mnRootSec)
	if _, err := admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	var followers []*iamsdk.Client
	for _, n := range nodes[1:] {
		followers = append(followers, iamClient(n, *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`
	changes := 60 // GATEHOUSE_MULTINODE_CHANGES=N measures over more (docs/benchmarks.md)
	if n, err := strconv.Atoi(os.Getenv("GATEHOUSE_MULTINODE_CHANGES")); err == nil && n > 1 {
		changes = n
	}
	var delays []time.Duration
	for i := range changes {
		want := i%2 == 0
		if want {
			_, err = admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"),
				PolicyName: aws.String("get"), PolicyDocument: aws.String(allow)})
		} else {
			_, err = admin.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("get")})
		}
		if err != nil {
			t.Fatal(err)
		}
		written := time.Now()
		for f, c := range followers {
			for allowed(ctx, t, c) != want {
				if time.Since(written) > 10*time.Second {
					t.Fatalf("change %d (allow=%v) has not reached node %c after 10 s", i, want, 'B'+f)
				}
				time.Sleep(time.Millisecond)
			}
			delays = append(delays, time.Since(written))
		}
	}
	slices.Sort(delays)
	p50, p99 := delays[len(delays)/2], delays[(len(delays)*99)/100]
	t.Logf("propagation over %d changes × 2 nodes: p50 %v, p99 %v, max %v", changes, p50, p99, delays[len(delays)-1])
	if p99 > 2*time.Second { // target 250 ms; generous on a loaded CI machine
		t.Errorf("propagation p99 = %v", p99)
	}
	// Every node reports its position; once idle, no node lags.
	for _, n := range nodes {
		deadline := time.Now().Add(10 * time.Second)
		for {
			m := metrics(t, n)
			if m["gatehouse_snapshot_lag"] == 0 && m["gatehouse_snapshot_seq"] > 0 && m["gatehouse_snapshot_seq"] == m["gatehouse_store_seq"] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s metrics stay %v", n, m)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// metrics reads a node's /_gatehouse/metrics gauges.
func metrics(t *testing.T, endpoint string) map[string]int64 {
	t.Helper()
	resp, err := http.Get(endpoint + "/_gatehouse/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		if out[name], err = strconv.ParseInt(value, 10, 64); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
	}
	if resp.StatusCode != http.StatusOK || sc.Err() != nil {
		t.Fatalf("metrics: %s, %v", resp.Status, sc.Err())
	}
	return out
}

// TestNodeKilledMidWrite kills a node (SIGKILL) while clients create users
// through it: every creation it acknowledged is visible through another
// node, which keeps serving.
func TestNodeKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and two servers")
	}
	url, schema := pgtest.NewSchema(t)
	bin := buildGatehouse(t)
	a, proc := startNode(t, bin, url, schema, mnMasterKey)
	b, _ := startNode(t, bin, url, schema, mnMasterKey)
	ctx := t.Context()
	viaA, viaB := iamClient(a, mnRootKey, mnRootSec), iamClient(b, mnRootKey, mnRootSec)
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				name := fmt.Sprintf("w%d-%04d", w, i)
				if _, err := viaA.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
					return // the node is gone
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 60 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for _, name := range acked {
		for {
			_, err := viaB.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String(name)})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("user %s, acknowledged by the killed node, is not on the other: %v", name, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Logf("%d acknowledged creations survived the kill", len(acked))
}
