package postgres

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/internal/pgtest"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// backends opens a fresh store of each kind, for comparisons in one run.
var backends = []struct {
	name string
	open func(b *testing.B) store.Store
}{
	{"sqlite", func(b *testing.B) store.Store {
		s, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
	{"postgres", func(b *testing.B) store.Store { return open(b) }},
}

const benchAccount = "111122223333"

// benchIAM opens an IAM service with the account on st.
func benchIAM(b *testing.B, st store.Store) *iam.Service {
	sealer, err := iam.NewSealer(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := iam.New(b.Context(), iam.Config{Store: st, Sealer: sealer})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Bootstrap(b.Context(), benchAccount, "", ""); err != nil {
		b.Fatal(err)
	}
	return svc
}

// benchCall runs an IAM operation as the account's root, failing b on error.
func benchCall(b *testing.B, svc *iam.Service, op string, p protocol.Params) any {
	out, err := benchCallT(b, svc, op, p)
	if err != nil {
		b.Fatalf("%s: %v", op, err)
	}
	return out
}

// benchCallT runs an IAM operation as the account's root.
func benchCallT(t testing.TB, svc *iam.Service, op string, p protocol.Params) (any, error) {
	o, ok := svc.Operation(op)
	if !ok {
		t.Fatalf("no operation %s", op)
	}
	return o.Handle(svc, &iam.Call{Ctx: t.Context(), Account: benchAccount, Caller: &authz.Principal{Type: authz.Root},
		Params: p, Now: time.Now().UTC(), Context: authz.Context{}})
}

// BenchmarkCreateUserAttach measures CreateUser followed by
// AttachUserPolicy (two serializable transactions, each followed by a
// snapshot sync), from parallel callers, on each backend.
func BenchmarkCreateUserAttach(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			defer st.Close()
			svc := benchIAM(b, st)
			benchCall(b, svc, "CreatePolicy", protocol.Params{"PolicyName": "read",
				"PolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`})
			arn := "arn:aws:iam::" + benchAccount + ":policy/read"
			var n atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					name := fmt.Sprintf("user-%d", n.Add(1))
					benchCall(b, svc, "CreateUser", protocol.Params{"UserName": name})
					benchCall(b, svc, "AttachUserPolicy", protocol.Params{"UserName": name, "PolicyArn": arn})
				}
			})
		})
	}
}

// BenchmarkGetUser measures GetUser (a read transaction) from parallel
// callers on each backend.
func BenchmarkGetUser(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			defer st.Close()
			svc := benchIAM(b, st)
			for i := range 100 {
				benchCall(b, svc, "CreateUser", protocol.Params{"UserName": fmt.Sprintf("user-%d", i)})
			}
			var n atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchCall(b, svc, "GetUser", protocol.Params{"UserName": fmt.Sprintf("user-%d", n.Add(1)%100)})
				}
			})
		})
	}
}

// benchCount reads a size from the environment.
func benchCount(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n >= 0 {
		return n
	}
	return def
}

// BenchmarkFollowerSync measures how long a follower node takes to apply one
// change (a user's new tag, written through another node) to its snapshot,
// on a PostgreSQL store holding GATEHOUSE_BENCH_USERS users,
// GATEHOUSE_BENCH_ROLES roles and GATEHOUSE_BENCH_POLICIES managed policies
// (default 10,000, 2,000 and 5,000), and reports the follower's full load
// time and its heap per principal (users and roles; the policies' memory
// counted in).
func BenchmarkFollowerSync(b *testing.B) {
	users := benchCount("GATEHOUSE_BENCH_USERS", 10000)
	roles := benchCount("GATEHOUSE_BENCH_ROLES", 2000)
	policies := benchCount("GATEHOUSE_BENCH_POLICIES", 5000)
	ctx := b.Context()
	url, schema := pgtest.NewSchema(b)
	writerStore, err := Open(ctx, url, Options{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	defer writerStore.Close()
	writer := benchIAM(b, writerStore)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	benchCall(b, writer, "CreateUser", protocol.Params{"UserName": "tmpluser"})
	benchCall(b, writer, "CreateRole", protocol.Params{"RoleName": "tmplrole", "AssumeRolePolicyDocument": trust})
	benchCall(b, writer, "CreatePolicy", protocol.Params{"PolicyName": "tmplpolicy", "PolicyDocument": doc})
	// Clone the templates' records in bulk rather than through the API.
	for _, set := range []struct {
		kind, name, prefix string
		n                  int
	}{{"iam.user", "tmpluser", "u", users}, {"iam.role", "tmplrole", "r", roles}, {"iam.policy", "tmplpolicy", "p", policies}} {
		var tmpl store.Record
		if err := writerStore.View(ctx, func(tx store.Tx) (err error) {
			tmpl, err = tx.Get(ctx, store.Key{Kind: set.kind, Account: benchAccount, ID: set.name})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		for start := 0; start < set.n; start += 5000 {
			err := writerStore.Update(ctx, func(tx store.Tx) error {
				for i := start; i < min(set.n, start+5000); i++ {
					name := fmt.Sprintf("%s%07d", set.prefix, i)
					r := tmpl
					r.ID = name
					r.Data = []byte(strings.ReplaceAll(string(tmpl.Data), set.name, name))
					if _, err := tx.Create(ctx, r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	followerStore, err := Open(ctx, url, Options{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	defer followerStore.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	loadStart := time.Now()
	follower := benchIAM(b, followerStore)
	load := time.Since(loadStart)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		benchCall(b, writer, "TagUser", protocol.Params{"UserName": fmt.Sprintf("u%07d", i%max(users, 1)),
			"Tags": []map[string]string{{"Key": "n", "Value": strconv.Itoa(i)}}})
		b.StartTimer()
		if err := follower.Snapshot().Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
	// After the loop: ResetTimer drops metrics reported before it.
	b.ReportMetric(float64(load.Milliseconds()), "load-ms")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(max(users+roles, 1)), "heap-B/principal")
}
