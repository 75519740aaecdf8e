// Package e2e_test drives a real `gatehouse serve` process with the tools
// people point at AWS: the AWS CLI (cli_test.go) and Terraform with the
// hashicorp/aws provider (terraform_test.go). TestMain builds the gatehouse
// binary once; every test starts its own ephemeral server on a free port.
//
// The tests run in parallel; a test is skipped only when its tool (aws,
// terraform) is not installed.
package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gatehouse-iam/gatehouse/iam"
)

// The account and root credentials every test server is started with.
const (
	account    = "123456789012"
	rootKeyID  = "test"
	rootSecret = "test"
	region     = "us-east-1"
)

// gatehouseBin is the binary TestMain built.
var gatehouseBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	gatehouseBin = filepath.Join(dir, "gatehouse")
	if err := build(gatehouseBin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building gatehouse:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles ./cmd/gatehouse of the module this package belongs to.
func build(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "build", "-o", out, "./cmd/gatehouse")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, b)
	}
	return nil
}

// implemented reports whether the IAM service has every named operation
// (the binary under test is built from the same source).
func implemented(ops ...string) bool {
	all := iam.Operations()
	for _, op := range ops {
		if !slices.Contains(all, op) {
			return false
		}
	}
	return true
}

// server is a running `gatehouse serve --ephemeral`.
type server struct {
	URL    string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{} // closed when the process has been waited for
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer runs a server until the test ends; its log is printed when
// the test fails.
func startServer(t *testing.T) *server {
	t.Helper()
	var lastErr error
	for range 3 { // a free port can be taken between probing and listening
		s, err := tryStart()
		if err == nil {
			t.Cleanup(func() {
				s.stop()
				if t.Failed() {
					t.Logf("gatehouse serve output:\n%s", s.out)
				}
			})
			return s
		}
		lastErr = err
	}
	t.Fatalf("starting gatehouse serve: %v", lastErr)
	return nil
}

func tryStart() (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + addr, out: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(gatehouseBin, "serve", "--ephemeral", "--addr", addr, "--account-id", account,
		"--root-access-key-id", rootKeyID, "--root-secret-access-key", rootSecret)
	s.cmd.Env = cleanEnv("GATEHOUSE_")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("server exited: %s", s.out)
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := client.Get(s.URL + "/_gatehouse/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.cmd.Process.Kill()
	<-s.exited
	return nil, fmt.Errorf("no healthy server at %s after 20s: %s", addr, s.out)
}

// stop ends the server: SIGTERM (graceful shutdown), SIGKILL after 5 s.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cleanEnv is this process's environment without variables that start
// with any of the prefixes, so that a developer's settings cannot leak
// into the tools under test.
func cleanEnv(prefixes ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			out = append(out, kv)
		}
	}
	return out
}

// runTool runs a command with a timeout and returns its output and exit code
// (-1 when it could not be run or timed out).
func runTool(ctx context.Context, dir string, env []string, name string, args ...string) (stdout, stderr string, code int) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && cmd.ProcessState == nil {
		e.WriteString(err.Error())
	}
	return o.String(), e.String(), code
}

// sdkConfig is an AWS SDK configuration for the server with the given keys.
func sdkConfig(endpoint, keyID, secret string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}
