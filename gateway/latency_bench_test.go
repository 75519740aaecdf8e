package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/gateway"
	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// BenchmarkAddedLatency measures, one request at a time over loopback
// with keep-alive, a signed GET straight to the upstream and the same GET
// through the gateway: NewProxy with the Remote decider (a decision API
// round trip to a Gatehouse test server) and with the Local decider
// (engine in process). It reports the median and p90 of each, and the
// median added latency (gateway minus direct).
// go test -run '^$' -bench '^BenchmarkAddedLatency$' ./gateway/
func BenchmarkAddedLatency(b *testing.B) {
	ts := testserver.Start(b)
	c := ts.IAMClient()
	svc := user(b, c, "gateway", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"gatehouse:Authorize","Resource":"*"}}`)
	alice := user(b, c, "alice", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/builds/*"}}`)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	routes, err := gateway.ParseRoutes(strings.NewReader(proxyRoutes))
	if err != nil {
		b.Fatal(err)
	}
	remote := httptest.NewServer(gateway.NewProxy(u, gateway.Config{Routes: routes, Decider: gateway.NewRemote(ts.URL, svc, "us-east-1")}))
	defer remote.Close()
	set, err := policy.ParseAndCompile("p", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/builds/*"}}`, policy.Identity)
	if err != nil {
		b.Fatal(err)
	}
	local := httptest.NewServer(gateway.NewProxy(u, gateway.Config{Routes: routes, Decider: &gateway.Local{Verifier: &sigv4.Verifier{
		Lookup: gateway.KeyLookup(map[string]gateway.LocalKey{alice.AccessKeyID: {Secret: alice.SecretAccessKey, Identity: &gateway.LocalIdentity{
			Principal: &authz.Principal{Type: authz.User, ARN: "arn:aws:iam::123456789012:user/alice", Account: "123456789012"},
			Policies:  &authz.Policies{Identity: policy.NewSet(set)}}}})}}}))
	defer local.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(b *testing.B, base string) time.Duration {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", base+"/buckets/b1/objects/builds/1.zip", nil)
		if err := sigv4.Sign(req, nil, alice, "us-east-1", "artifacts", time.Now()); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", base, resp.StatusCode)
		}
		return d
	}
	quantile := func(ds []time.Duration, q float64) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds())
	}
	b.Run("interleaved", func(b *testing.B) {
		var direct, viaRemote, viaLocal []time.Duration
		for b.Loop() {
			direct = append(direct, get(b, upstream.URL))
			viaRemote = append(viaRemote, get(b, remote.URL))
			viaLocal = append(viaLocal, get(b, local.URL))
		}
		d50, r50, l50 := quantile(direct, 0.5), quantile(viaRemote, 0.5), quantile(viaLocal, 0.5)
		b.ReportMetric(d50, "direct-p50-µs")
		b.ReportMetric(r50, "remote-p50-µs")
		b.ReportMetric(l50, "local-p50-µs")
		b.ReportMetric(quantile(direct, 0.9), "direct-p90-µs")
		b.ReportMetric(quantile(viaRemote, 0.9), "remote-p90-µs")
		b.ReportMetric(quantile(viaLocal, 0.9), "local-p90-µs")
		b.ReportMetric(r50-d50, "remote-added-p50-µs")
		b.ReportMetric(l50-d50, "local-added-p50-µs")
	})
}
