package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/cputime"
	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// signedRequest returns a query-protocol POST of body signed with the test
// server's root keys.
func signedRequest(b *testing.B, body string) *http.Request {
	b.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", bytes.NewReader([]byte(body)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("User-Agent", "gatehouse-load")
	cred := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
	if err := sigv4.Sign(r, []byte(body), cred, testserver.DefaultRegion, "iam", time.Now()); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkServeHTTP measures the server's cost per signed IAM call, in
// process (no network): signature verification, decoding, authorization,
// the operation, auditing and the XML response. "serial" sends one request
// at a time; "inflight=32" keeps 32 in flight as gatehouse-load
// --concurrency 32 does, which lets batched work (the audit log's group
// commit) amortize. Each request is signed once and replayed, so signing is
// not part of the figure. Besides wall time per request, cpu-ns/op reports
// the processor time the whole process used per request (getrusage), which
// includes background work such as the audit writer and the garbage
// collector and is less disturbed by other processes on a busy machine.
// Profile it with
// go test -run '^$' -bench '^BenchmarkServeHTTP$' -cpuprofile cpu.out ./server/
func BenchmarkServeHTTP(b *testing.B) {
	benchmarkServeHTTP(b, testserver.Start(b).Handler())
}

// BenchmarkServeHTTPNoAudit is BenchmarkServeHTTP without request recording,
// as `gatehouse serve --no-audit` runs: what is left is the request path
// itself (signature, decoding, authorization, the operation, the response).
func BenchmarkServeHTTPNoAudit(b *testing.B) {
	benchmarkServeHTTP(b, testserver.StartWith(b, testserver.Options{NoAudit: true}).Handler())
}

// benchmarkServeHTTP creates the users the calls read and runs the GetUser
// and ListUsers sub-benchmarks against srv.
func benchmarkServeHTTP(b *testing.B, srv http.Handler) {
	const users = 20
	for i := range users {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, signedRequest(b, fmt.Sprintf("Action=CreateUser&Version=2010-05-08&UserName=gatehouse-load-%04d", i)))
		if w.Code != http.StatusOK {
			b.Fatalf("CreateUser: %d %s", w.Code, w.Body)
		}
	}
	for _, bm := range []struct{ name, body string }{
		{"GetUser", "Action=GetUser&Version=2010-05-08&UserName=gatehouse-load-0007"},
		{"ListUsers", "Action=ListUsers&Version=2010-05-08"},
	} {
		signed := signedRequest(b, bm.body)
		body := []byte(bm.body)
		serve := func(b *testing.B) {
			r := signed.Clone(signed.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("%s: %d %s", bm.name, w.Code, w.Body)
			}
		}
		b.Run(bm.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			before := cputime.Used(b)
			for b.Loop() {
				serve(b)
			}
			b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op")
		})
		b.Run(bm.name+"/inflight=32", func(b *testing.B) {
			b.ReportAllocs()
			before := cputime.Used(b)
			b.SetParallelism(16) // 16 × GOMAXPROCS (2 here)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b)
				}
			})
			b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op")
		})
	}
}
