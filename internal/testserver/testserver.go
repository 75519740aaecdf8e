// Package testserver starts a real Gatehouse server on loopback for tests:
// an in-memory SQLite store, a bootstrapped account with root credentials,
// and AWS SDK for Go v2 configurations pointed at it.
package testserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/orgs"
	"github.com/gatehouse-iam/gatehouse/server"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
	"github.com/gatehouse-iam/gatehouse/sts"
)

// Account and root credentials of every test server.
const (
	Account       = "123456789012"
	RootKeyID     = "AKIAROOTTESTKEY00001"
	RootSecret    = "root-secret-for-tests"
	DefaultRegion = "us-east-1"
)

// Server is a running Gatehouse.
type Server struct {
	URL string
	IAM *iam.Service
	STS *sts.Service
	// AuditStore holds the audit records (events of callers not tied to an
	// account, such as failed federation, are under account "").
	AuditStore store.Store
	handler    http.Handler
}

// Handler is the server's HTTP handler, for in-process requests.
func (s *Server) Handler() http.Handler { return s.handler }

// Options change the server Start builds.
type Options struct {
	// Now is the server's clock (time.Now when nil): tests move it forward
	// to expire sessions. Requests must be signed within 15 minutes of it.
	Now func() time.Time
	// NoAudit leaves request recording out (benchmarks that measure the
	// request path alone); LookupEvents then finds nothing.
	NoAudit bool
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith runs a server with options until the test ends.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := iam.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := iam.New(ctx, iam.Config{Store: st, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Bootstrap(ctx, Account, RootKeyID, RootSecret); err != nil {
		t.Fatal(err)
	}
	ring, err := sts.LoadKeyRing(ctx, st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	stsSvc := sts.New(svc, ring, "aws")
	orgSvc, err := orgs.New(ctx, st, svc, "aws")
	if err != nil {
		t.Fatal(err)
	}
	auditStore, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	recorder := audit.NewRecorder(auditStore)
	svc.SetActivity(audit.NewActivity(auditStore, func(ctx context.Context) ([]string, error) { return iam.Accounts(ctx, st) }))
	cfg := server.Config{IAM: svc, STS: stsSvc, Orgs: orgSvc, Now: opts.Now, Audit: recorder, AuditStore: auditStore}
	if opts.NoAudit {
		cfg.Audit = nil
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Close()
		recorder.Close()
		auditStore.Close()
		st.Close()
	})
	return &Server{URL: "http://" + ln.Addr().String(), IAM: svc, STS: stsSvc, AuditStore: auditStore, handler: srv}
}

// Config returns an SDK configuration signing with the given keys.
func (s *Server) Config(keyID, secret string) aws.Config {
	return aws.Config{
		Region:           DefaultRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
		HTTPClient:       readOnlyBodyClient{},
	}
}

// readOnlyBodyClient sends SDK requests with their bodies reduced to
// io.ReadCloser. smithy-go's request body answers WriteTo with io.EOF once
// the SDK has closed it, which the SDK does as soon as the response arrives;
// when that beats net/http's last read of the request body (often, on
// loopback), the transport takes the EOF for a write error and closes the
// connection, and reading a response larger than about 4 KB fails with "use
// of closed network connection" (seen against a plain httptest server too).
type readOnlyBodyClient struct{}

// Do implements aws.HTTPClient.
func (readOnlyBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return http.DefaultClient.Do(req)
}

// RootConfig returns an SDK configuration with the account's root keys.
func (s *Server) RootConfig() aws.Config { return s.Config(RootKeyID, RootSecret) }

// IAMClient returns an IAM client with the root keys.
func (s *Server) IAMClient() *iamsdk.Client { return iamsdk.NewFromConfig(s.RootConfig()) }
