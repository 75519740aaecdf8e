package audit

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
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
// recording at once (group commit), in memory and in a file.
func BenchmarkRecord(b *testing.B) {
	stores := []struct {
		name string
		open func() (store.Store, error)
	}{
		{"memory", func() (store.Store, error) { return sqlite.OpenMemory() }},
		{"file", func() (store.Store, error) { return sqlite.Open(filepath.Join(b.TempDir(), "audit.db")) }},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st, err := s.open()
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			rec := NewRecorder(st)
			defer rec.Close()
			b.SetParallelism(16) // 32 goroutines on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
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
		})
	}
}

// BenchmarkNewEvent measures building and encoding one record, without
// writing it.
func BenchmarkNewEvent(b *testing.B) {
	c := benchCall()
	b.ReportAllocs()
	for b.Loop() {
		NewEvent(c, "00000000-0000-0000-0000-000000000000")
	}
}
