package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// assumeRoleBench is a test server with a user allowed to assume a role,
// and the signed AssumeRole request the benchmarks send.
type assumeRoleBench struct {
	ts   *testserver.Server
	cred sigv4.Credential
	body []byte
}

func newAssumeRoleBench(b *testing.B, opts testserver.Options) *assumeRoleBench {
	b.Helper()
	ts := testserver.StartWith(b, opts)
	ctx := context.Background()
	root := ts.IAMClient()
	must := func(_ any, err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ci")}))
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/deploy"}}`)}))
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("ci")})
	must(key, err)
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ci"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}}`)}))
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}`)}))
	body := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::123456789012:role/deploy"},
		"RoleSessionName": {"build-1"}, "ExternalId": {"ext-1"}, "DurationSeconds": {"900"}}.Encode()
	return &assumeRoleBench{ts: ts, body: []byte(body),
		cred: sigv4.Credential{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}}
}

// request returns the AssumeRole request for target, signed now.
func (a *assumeRoleBench) request(b *testing.B, target string) *http.Request {
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(a.body))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sigv4.Sign(r, a.body, a.cred, testserver.DefaultRegion, "sts", time.Now()); err != nil {
		b.Fatal(err)
	}
	return r
}

// auditModes are the server configurations the AssumeRole benchmarks run
// in: as served (every request recorded for LookupEvents), and without the
// recording, to show the request path's own cost.
var auditModes = []struct {
	name string
	opts testserver.Options
}{{"audit", testserver.Options{}}, {"no-audit", testserver.Options{NoAudit: true}}}

// BenchmarkAssumeRoleServeHTTP is the server's cost per AssumeRole, in
// process: signature verification, the trust policy and the caller's
// policies, sealing the session token, the XML response. The request is
// signed once and replayed. The audit recorder writes in the background,
// so its cost shows in CPU time rather than in ns/op.
func BenchmarkAssumeRoleServeHTTP(b *testing.B) {
	for _, mode := range auditModes {
		b.Run(mode.name, func(b *testing.B) {
			a := newAssumeRoleBench(b, mode.opts)
			srv := a.ts.Handler()
			signed := a.request(b, "http://127.0.0.1:4566/")
			b.ReportAllocs()
			for b.Loop() {
				r := signed.Clone(signed.Context())
				r.Body = io.NopCloser(bytes.NewReader(a.body))
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("AssumeRole: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkAssumeRoleHTTP is AssumeRole over loopback HTTP with keep-alive
// connections, 16 callers at a time, each request signed when sent: the
// client's signing and the server share the machine's cores. It reports
// calls/s.
func BenchmarkAssumeRoleHTTP(b *testing.B) {
	for _, mode := range auditModes {
		b.Run(mode.name, func(b *testing.B) {
			a := newAssumeRoleBench(b, mode.opts)
			client := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, DisableCompression: true}}
			defer client.CloseIdleConnections()
			b.SetParallelism(8) // × GOMAXPROCS callers
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Do(a.request(b, a.ts.URL+"/"))
					if err != nil {
						b.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("AssumeRole: %d %s", resp.StatusCode, body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
