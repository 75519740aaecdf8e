package sts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/internal/cputime"
	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
	"github.com/gatehouse-iam/gatehouse/sts"
)

// benchService returns an STS over a test server's IAM (with a tagged role
// "bench") and a key ring of its own, so that the benchmark can seal
// tokens directly.
func benchService(b testing.TB) (*sts.Service, *sts.KeyRing) {
	b.Helper()
	ts := testserver.Start(b)
	ctx := context.Background()
	if _, err := ts.IAMClient().CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bench"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`),
		Tags:                     []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.OpenMemory()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sealer, err := iam.NewSealer(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	ring, err := sts.LoadKeyRing(ctx, st, sealer)
	if err != nil {
		b.Fatal(err)
	}
	return sts.New(ts.IAM, ring, "aws"), ring
}

// roleClaims are a typical role session's: a session policy, two tags
// (one transitive), a source identity.
func roleClaims(i int, now time.Time) *sts.Claims {
	return &sts.Claims{Kind: "role", Account: testserver.Account, AccessKeyID: fmt.Sprintf("ASIA%016d", i),
		Secret: "0123456789012345678901234567890123456789", Issued: now, Expires: now.Add(time.Hour),
		RoleARN: "arn:aws:iam::123456789012:role/bench", RoleID: "AROAEXAMPLEEXAMPLE01", SessionName: "build-42",
		Policies:   []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`},
		Tags:       map[string]string{"project": "apollo", "env": "prod"},
		Transitive: []string{"project"}, SourceIdentity: "alice"}
}

// BenchmarkAuthenticate measures session-token validation: a cache miss
// (open the AEAD blob, decode the claims, rebuild the principal and compile
// the session policy) and a hit (the token's session is cached). Besides
// wall time, cpu-ns/op reports the process's processor time per operation
// (garbage collection included), which waiting for a core on a shared
// machine does not inflate.
func BenchmarkAuthenticate(b *testing.B) {
	svc, ring := benchService(b)
	now := time.Now()
	b.Run("miss", func(b *testing.B) {
		// More distinct tokens than the cache holds, replayed in order: the
		// cache is emptied before any token comes round again.
		const n = 20000
		keys, tokens := make([]string, n), make([]string, n)
		for i := range n {
			c := roleClaims(i, now)
			tok, err := ring.Seal(c)
			if err != nil {
				b.Fatal(err)
			}
			keys[i], tokens[i] = c.AccessKeyID, tok
		}
		b.ReportAllocs()
		b.ResetTimer()
		before := cputime.Used(b)
		for i := 0; i < b.N; i++ {
			if _, err := svc.Authenticate(keys[i%n], tokens[i%n], now); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op")
	})
	b.Run("hit", func(b *testing.B) {
		c := roleClaims(1, now)
		tok, err := ring.Seal(c)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		before := cputime.Used(b)
		for b.Loop() {
			if _, err := svc.Authenticate(c.AccessKeyID, tok, now); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op")
	})
}
