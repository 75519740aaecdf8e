package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/cputime"
	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// benchPolicy is the seed documents' own-prefix read policy.
const benchPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowReadOwnBucketPrefix","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
"Resource":["arn:aws:s3:::my-app-artifacts","arn:aws:s3:::my-app-artifacts/${aws:username}/*"],
"Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`

// BenchmarkDecisionAPI measures POST /_gatehouse/v1/authorize in process
// (no network): one question, and batches of 100, about a user with the
// seed own-prefix policy, asked by the root keys. Each request is signed
// once and replayed. Besides wall time, cpu-ns/decision is the processor
// time the whole process spent per decision (the audit recorder's and the
// garbage collector's included). Profile it with
// go test -run '^$' -bench '^BenchmarkDecisionAPI$' -cpuprofile cpu.out ./server/
func BenchmarkDecisionAPI(b *testing.B) {
	srv := testserver.Start(b).Handler()
	for _, body := range []string{"Action=CreateUser&Version=2010-05-08&UserName=alice",
		"Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=p&PolicyDocument=" + strings.ReplaceAll(strings.ReplaceAll(benchPolicy, "\n", ""), "+", "%2B")} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, signedRequest(b, body))
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
	}
	question := func(i int) string {
		action := "s3:GetObject"
		if i%2 == 1 {
			action = "s3:PutObject"
		}
		return fmt.Sprintf(`"action":%q,"resource":"arn:aws:s3:::my-app-artifacts/alice/obj-%d.bin","context":{"aws:SecureTransport":true,"aws:RequestedRegion":"eu-west-1","aws:SourceIp":"10.1.2.3"}`, action, i)
	}
	qs := make([]string, 100)
	for i := range qs {
		qs[i] = "{" + question(i) + "}"
	}
	for _, bm := range []struct {
		name, body string
		decisions  int
	}{
		{"single", `{"principal_arn":"arn:aws:iam::123456789012:user/alice",` + question(0) + `}`, 1},
		{"batch=100", `{"principal_arn":"arn:aws:iam::123456789012:user/alice","requests":[` + strings.Join(qs, ",") + `]}`, 100},
	} {
		body := []byte(bm.body)
		signed := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/_gatehouse/v1/authorize", bytes.NewReader(body))
		signed.Header.Set("Content-Type", "application/json")
		cred := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
		if err := sigv4.Sign(signed, body, cred, testserver.DefaultRegion, "gatehouse", time.Now()); err != nil {
			b.Fatal(err)
		}
		serve := func(b *testing.B) {
			r := signed.Clone(signed.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"decision":"allow"`)) {
				b.Fatalf("%s: %d %s", bm.name, w.Code, w.Body)
			}
		}
		report := func(b *testing.B, cpuBefore time.Duration) {
			b.ReportMetric(float64(b.N*bm.decisions)/b.Elapsed().Seconds(), "decisions/s")
			b.ReportMetric(float64(cputime.Used(b)-cpuBefore)/float64(b.N*bm.decisions), "cpu-ns/decision")
		}
		b.Run(bm.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			before := cputime.Used(b)
			for b.Loop() {
				serve(b)
			}
			report(b, before)
		})
		b.Run(bm.name+"/inflight=32", func(b *testing.B) {
			b.ReportAllocs()
			before := cputime.Used(b)
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b)
				}
			})
			report(b, before)
		})
	}
}
