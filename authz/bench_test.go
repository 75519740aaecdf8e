package authz_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// The benchmark workload of issue 2: a principal with P identity policies of
// S statements each over S3-style actions and resources (wildcards in actions
// and in resource paths, a quarter of the statements with an IpAddress or
// Bool condition, one in ten a Deny), asked 2,000 distinct requests.

var s3Actions = []string{
	"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetObjectTagging",
	"s3:PutObjectTagging", "s3:GetObjectAcl", "s3:PutObjectAcl", "s3:GetBucketPolicy", "s3:PutBucketPolicy",
	"s3:GetBucketLocation", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload", "s3:GetObjectVersion",
	"s3:DeleteObjectVersion", "s3:RestoreObject",
}

var s3ActionPatterns = []string{"s3:Get*", "s3:Put*", "s3:*Object", "s3:List*", "s3:*Tagging", "s3:Delete*"}

const benchBuckets = 40

func benchWorkload(p, s int) (*authz.Policies, []*authz.Request) {
	rng := rand.New(rand.NewPCG(uint64(p), uint64(s)))
	var compiled []*policy.Compiled
	n := 0
	for i := 0; i < p; i++ {
		var stmts []string
		for j := 0; j < s; j++ {
			n++
			effect := "Allow"
			if n%10 == 0 {
				effect = "Deny"
			}
			var acts []string
			for k := 0; k < 1+rng.IntN(3); k++ {
				if rng.IntN(2) == 0 {
					acts = append(acts, s3ActionPatterns[rng.IntN(len(s3ActionPatterns))])
				} else {
					acts = append(acts, s3Actions[rng.IntN(len(s3Actions))])
				}
			}
			bucket := fmt.Sprintf("bucket-%d", rng.IntN(benchBuckets))
			var res string
			switch rng.IntN(4) {
			case 0:
				res = "arn:aws:s3:::" + bucket
			case 1:
				res = "arn:aws:s3:::" + bucket + "/*"
			case 2:
				res = fmt.Sprintf("arn:aws:s3:::%s/team-%d/*", bucket, rng.IntN(8))
			default:
				res = fmt.Sprintf("arn:aws:s3:::%s/*/logs/*.gz", bucket)
			}
			cond := ""
			if n%4 == 0 {
				if rng.IntN(2) == 0 {
					cond = `,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.1.0/24"]}}`
				} else {
					cond = `,"Condition":{"Bool":{"aws:SecureTransport":"true"}}`
				}
			}
			stmts = append(stmts, fmt.Sprintf(`{"Effect":%q,"Action":["%s"],"Resource":%q%s}`,
				effect, strings.Join(acts, `","`), res, cond))
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		c, err := policy.ParseAndCompile(fmt.Sprintf("policy-%d", i), doc, policy.Identity)
		if err != nil {
			panic(err)
		}
		compiled = append(compiled, c)
	}
	pol := &authz.Policies{Identity: policy.NewSet(compiled...)}
	principal := (&authz.Principal{Type: authz.User, ARN: "arn:aws:iam::111122223333:user/alice",
		Account: "111122223333", ID: "AIDAEXAMPLEALICE12345"}).Prepare()
	reqs := make([]*authz.Request, 2000)
	for i := range reqs {
		ctx := authz.Context{}
		ctx.Set("aws:SourceIp", fmt.Sprintf("%d.%d.%d.%d", []int{10, 192, 172}[rng.IntN(3)], rng.IntN(256), rng.IntN(4), rng.IntN(256)))
		ctx.Set("aws:SecureTransport", []string{"true", "false"}[rng.IntN(2)])
		reqs[i] = &authz.Request{
			Principal: principal,
			Action:    s3Actions[rng.IntN(len(s3Actions))],
			Resource: fmt.Sprintf("arn:aws:s3:::bucket-%d/team-%d/%s/obj-%d.gz", rng.IntN(benchBuckets), rng.IntN(8),
				[]string{"data", "logs", "tmp"}[rng.IntN(3)], i),
			Context: ctx,
		}
	}
	return pol, reqs
}

func BenchmarkEvaluate(b *testing.B) {
	for _, size := range []struct{ p, s int }{{10, 10}, {50, 20}} {
		b.Run(fmt.Sprintf("P=%d,S=%d", size.p, size.s), func(b *testing.B) {
			pol, reqs := benchWorkload(size.p, size.s)
			for _, r := range reqs { // warm the per-action indexes
				authz.Evaluate(pol, r, nil)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				authz.Evaluate(pol, reqs[i%len(reqs)], nil)
			}
		})
	}
}

// TestEvaluateDoesNotAllocate guards the zero-allocation hot path.
func TestEvaluateDoesNotAllocate(t *testing.T) {
	pol, reqs := benchWorkload(10, 10)
	for _, r := range reqs {
		authz.Evaluate(pol, r, nil)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		authz.Evaluate(pol, reqs[i%len(reqs)], nil)
		i++
	})
	if allocs != 0 {
		t.Fatalf("Evaluate allocates %.1f times per decision", allocs)
	}
}

// TestIndexAgreesWithLinearScan checks the indexed evaluation against a plain
// scan of every statement on the benchmark workload.
func TestIndexAgreesWithLinearScan(t *testing.T) {
	pol, reqs := benchWorkload(20, 10)
	counts := map[authz.Decision]int{}
	for _, r := range reqs {
		got := authz.Evaluate(pol, r, nil)
		var ex authz.Explanation
		if traced := authz.Evaluate(pol, r, &ex); traced != got {
			t.Fatalf("%s %s: %v untraced, %v traced", r.Action, r.Resource, got, traced)
		}
		want := linearDecision(pol.Identity, r)
		if got != want {
			t.Fatalf("%s %s: index says %v, linear scan %v", r.Action, r.Resource, got, want)
		}
		counts[got]++
	}
	if counts[authz.Allow] == 0 || counts[authz.ExplicitDeny] == 0 || counts[authz.ImplicitDeny] == 0 {
		t.Fatalf("workload does not exercise every decision: %v", counts)
	}
}

// linearDecision evaluates identity policies statement by statement.
func linearDecision(set *policy.Set, r *authz.Request) authz.Decision {
	env := lookupMap(r.Context)
	pr := &policy.Request{Action: r.Action, Resource: r.Resource, Env: env}
	allowed := false
	for _, c := range set.Policies() {
		for i, st := range c.Policy.Statements {
			if ok, _ := c.Matches(i, pr, nil); ok {
				if st.Effect == policy.Deny {
					return authz.ExplicitDeny
				}
				allowed = true
			}
		}
	}
	if allowed {
		return authz.Allow
	}
	return authz.ImplicitDeny
}

type lookupMap map[string][]string

func (m lookupMap) Lookup(k string) ([]string, bool) { v, ok := m[k]; return v, ok }

// BenchmarkLinearScan is the same workload decided by matching every
// statement in turn, without the per-action and per-resource index: the
// baseline the index is measured against.
func BenchmarkLinearScan(b *testing.B) {
	for _, size := range []struct{ p, s int }{{10, 10}, {50, 20}} {
		b.Run(fmt.Sprintf("P=%d,S=%d", size.p, size.s), func(b *testing.B) {
			pol, reqs := benchWorkload(size.p, size.s)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				linearDecision(pol.Identity, reqs[i%len(reqs)])
			}
		})
	}
}
