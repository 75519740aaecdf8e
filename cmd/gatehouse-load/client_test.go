package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/cputime"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// BenchmarkSend measures the load generator's own cost per request: signing,
// the HTTP client, and a trivial loopback server in the same process that
// answers 200 without checking anything, one request at a time ("serial") or
// with 32 in flight as in a --concurrency 32 run. cpu-ns/op is the processor
// time the process used per request (from getrusage): an upper bound on the
// share of the cores that the server under test does not get.
func BenchmarkSend(b *testing.B) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<GetUserResponse/>"))
	}))
	defer hs.Close()
	body := form(opGetUser, "UserName", userName(7))
	send := func(b *testing.B, c *client) {
		if status, _, err := c.send(context.Background(), body); err != nil || status != http.StatusOK {
			b.Error(status, err)
		}
	}
	for _, inFlight := range []int{1, 32} {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) {
			c, err := newClient(hs.URL, "AKIDEXAMPLE", "secret", "us-east-1", inFlight)
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			b.ReportAllocs()
			before := cputime.Used(b)
			b.SetParallelism((inFlight + 1) / 2)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					send(b, c)
				}
			})
			b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkSign measures SigV4 signing of one GetUser request alone.
func BenchmarkSign(b *testing.B) {
	body := form(opGetUser, "UserName", userName(7))
	cred := sigv4.Credential{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", nil)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if err := sigv4.Sign(r, body, cred, "us-east-1", "iam", now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNewClientRejectsBadEndpoints(t *testing.T) {
	for _, ep := range []string{"", "127.0.0.1:4566", "ftp://host/", "http://", "http://[::1"} {
		if _, err := newClient(ep, "a", "b", "us-east-1", 1); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}
