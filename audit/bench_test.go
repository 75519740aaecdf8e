package audit

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/internal/cputime"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// benchCall is a GetUser call by an IAM user, as the load generator makes.
func benchCall() *Call {
	return &Call{Service: "iam", OpName: "GetUser", AccountID: "123456789012", Region: "us-east-1", RequestID: "r",
		SourceIP: "127.0.0.1", UserAgent: "gatehouse-load", Time: time.Now(), AccessKeyID: "AKIAEXAMPLE",
		Caller: &authz.Principal{Type: authz.User, Account: "123456789012", ID: "AIDAEXAMPLE", Username: "alice",
			ARN: "arn:aws:iam::123456789012:user/alice"}}
}

// BenchmarkRecord measures the cost of one durable record with 32 callers
// recording at once (group commit), in memory, in a file, and in a file behind a journal
// (the store write happens after the record is acknowledged, and is counted
// in cpu-ns/op as the recorder closes).
func BenchmarkRecord(b *testing.B) {
	stores := []struct {
		name    string
		open    func() (store.Store, error)
		journal bool
	}{
		{"memory", func() (store.Store, error) { return sqlite.OpenMemory() }, false},
		{"file", func() (store.Store, error) { return sqlite.Open(filepath.Join(b.TempDir(), "audit.db")) }, false},
		{"file+journal", func() (store.Store, error) { return sqlite.OpenLarge(filepath.Join(b.TempDir(), "audit.db"), 65536) }, true},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st, err := s.open()
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			rec := NewRecorder(st)
			if s.journal {
				rec.Close()
				if rec, err = OpenRecorder(context.Background(), st, b.TempDir(), 0); err != nil {
					b.Fatal(err)
				}
			}
			defer rec.Close()
			b.SetParallelism(16) // 32 goroutines on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			before := cputime.Used(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := benchCall()
					c.Time = time.Now()
					if err := rec.Record(context.Background(), c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			rec.Close() // the applier's last store write counts too
			b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op")
		})
	}
}

// encoded keeps BenchmarkNewEvent's last encoding, so that the buffer is on
// the heap as Record's is.
var encoded []byte

// BenchmarkNewEvent measures building and encoding one record, as Record
// does, without writing it: the load generator's GetUser call by an IAM
// user (no request parameters without a service model), the same with
// requestParameters as the IAM model renders them, and an assumed-role
// session's call.
func BenchmarkNewEvent(b *testing.B) {
	withParams := benchCall()
	withParams.Parameters = map[string]any{"userName": "alice"}
	session := benchCall()
	session.Caller = &authz.Principal{Type: authz.AssumedRole, Account: "123456789012", ID: "AROAEXAMPLE",
		SessionName: "build", ARN: "arn:aws:sts::123456789012:assumed-role/deploy/build"}
	session.Session = &Session{IssuerType: "Role", IssuerARN: "arn:aws:iam::123456789012:role/deploy", IssuerID: "AROAEXAMPLE",
		IssuerAccount: "123456789012", IssuerName: "deploy", Created: time.Now(), SourceIdentity: "alice"}
	for _, bc := range []struct {
		name string
		call *Call
	}{{"GetUser", benchCall()}, {"params", withParams}, {"session", session}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			before := cputime.Used(b)
			defer func() { b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op") }()
			for b.Loop() {
				ev := NewEvent(bc.call, "00000000-0000-0000-0000-000000000000")
				data, err := ev.AppendJSON(nil)
				if err != nil {
					b.Fatal(err)
				}
				encoded = data
			}
		})
	}
}
