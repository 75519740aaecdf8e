// Command gatehouse-load measures the throughput and latency of signed IAM
// query-protocol calls (GetUser, ListUsers) against Gatehouse or any other
// IAM-compatible endpoint, such as moto_server, and of Gatehouse's decision
// API (Authorize: one question per request; AuthorizeBatch: --batch
// questions per request, about the --setup users, who get the seed
// documents' own-prefix policy, or about the caller).
//
// It runs as its own process: closed-loop workers share a keep-alive
// connection pool, and each request is signed with SigV4 when it is sent
// (bodies are built beforehand). It reports requests per second, latency
// quantiles from a log-linear histogram, and failures by HTTP status.
//
// Usage:
//
//	gatehouse-load --endpoint http://127.0.0.1:4566 --access-key test --secret-key test \
//	    --op GetUser --setup 20 --concurrency 32 --duration 10s --warmup 2s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command-line flags.
type options struct {
	endpoint, accessKey, secretKey, region, op string
	duration, warmup                           time.Duration
	concurrency, setup, batch                  int
	json                                       bool
	cpuProfile                                 string
}

// parseFlags reads and checks the flags.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("gatehouse-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.endpoint, "endpoint", "http://127.0.0.1:4566", "IAM endpoint URL")
	fs.StringVar(&o.accessKey, "access-key", "test", "access key id to sign with (--setup needs one allowed to create users)")
	fs.StringVar(&o.secretKey, "secret-key", "test", "secret access key")
	fs.StringVar(&o.region, "region", "us-east-1", "signing region")
	fs.StringVar(&o.op, "op", opGetUser, "operation: GetUser, ListUsers, or Authorize and AuthorizeBatch (the decision API)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured duration")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before the measured duration")
	fs.IntVar(&o.concurrency, "concurrency", 32, "requests in flight (one worker and one connection each)")
	fs.IntVar(&o.setup, "setup", 0, "create this many users (gatehouse-load-0000, ...) first; GetUser then cycles through them")
	fs.IntVar(&o.batch, "batch", 100, "questions per AuthorizeBatch request (1 to 1,000)")
	fs.BoolVar(&o.json, "json", false, "print the report as one JSON object")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile (pprof) of the load generator itself to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.op != opGetUser && o.op != opListUsers && o.op != opAuthorize && o.op != opAuthorizeBatch:
		return o, fmt.Errorf("--op %q: want %s, %s, %s or %s", o.op, opGetUser, opListUsers, opAuthorize, opAuthorizeBatch)
	case o.batch < 1 || o.batch > 1000:
		return o, errors.New("--batch must be between 1 and 1000")
	case o.concurrency < 1:
		return o, errors.New("--concurrency must be at least 1")
	case o.duration <= 0:
		return o, errors.New("--duration must be positive")
	case o.warmup < 0:
		return o, errors.New("--warmup must not be negative")
	case o.setup < 0:
		return o, errors.New("--setup must not be negative")
	case o.accessKey == "" || o.secretKey == "":
		return o, errors.New("--access-key and --secret-key are required")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse-load: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse-load: %v\n", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	rep, err := load(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse-load: %v\n", err)
		return 1
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "gatehouse-load: %v\n", err)
			return 1
		}
	} else {
		rep.write(stdout)
	}
	return 0
}

// load runs the setup and the measurement that o describes.
func load(ctx context.Context, o options) (*report, error) {
	c, err := newClient(o.endpoint, o.accessKey, o.secretKey, o.region, o.concurrency)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := setupUsers(ctx, c, o.setup); err != nil {
		return nil, err
	}
	p := plan{target: c.iam, concurrency: o.concurrency, warmup: o.warmup, duration: o.duration}
	switch o.op {
	case opAuthorize, opAuthorizeBatch:
		if err := setupPolicies(ctx, c, o.setup); err != nil {
			return nil, err
		}
		caller, err := callerARN(ctx, c)
		if err != nil {
			return nil, err
		}
		batch := 0
		if o.op == opAuthorizeBatch {
			batch = o.batch
		}
		p.target, p.bodies = c.decisionAPI(), authorizeBodies(principalARNs(caller, o.setup), batch)
	default:
		if p.bodies, err = requestBodies(o.op, o.setup); err != nil {
			return nil, err
		}
	}
	before := loadAverage()
	res := measure(ctx, c, p)
	return newReport(o, res, before, loadAverage()), nil
}

// report is what gatehouse-load prints. Latencies are in milliseconds.
type report struct {
	Endpoint    string  `json:"endpoint"`
	Op          string  `json:"op"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	Requests    uint64  `json:"requests"`
	PerSecond   float64 `json:"requests_per_second"`
	// Decisions counts the decision API's answers (a batch request's
	// questions each count) in successful responses.
	Decisions          uint64            `json:"decisions,omitempty"`
	DecisionsPerSecond float64           `json:"decisions_per_second,omitempty"`
	P50                float64           `json:"p50_ms"`
	P90                float64           `json:"p90_ms"`
	P99                float64           `json:"p99_ms"`
	Max                float64           `json:"max_ms"`
	Errors             map[string]uint64 `json:"errors"`
	ErrorSample        string            `json:"error_sample,omitempty"`
	LoadAvgBefore      string            `json:"load_average_before,omitempty"`
	LoadAvgAfter       string            `json:"load_average_after,omitempty"`
}

// newReport summarizes res. Requests counts every HTTP response in the
// window, failed or not; Errors counts non-2xx responses by status and
// requests without a response as "transport".
func newReport(o options, res *result, before, after string) *report {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	rep := &report{
		Endpoint: o.endpoint, Op: o.op, Concurrency: o.concurrency,
		Seconds:     res.window.Seconds(),
		Requests:    res.latency.Count(),
		P50:         ms(res.latency.Quantile(0.50)),
		P90:         ms(res.latency.Quantile(0.90)),
		P99:         ms(res.latency.Quantile(0.99)),
		Max:         ms(res.latency.Max()),
		Errors:      map[string]uint64{},
		ErrorSample: res.sample, LoadAvgBefore: before, LoadAvgAfter: after,
	}
	if rep.Seconds > 0 {
		rep.PerSecond = float64(rep.Requests) / rep.Seconds
	}
	for s, n := range res.statuses {
		if s/100 != 2 {
			rep.Errors[strconv.Itoa(s)] = n
		}
	}
	switch o.op {
	case opAuthorize:
		rep.Decisions = res.statuses[200]
	case opAuthorizeBatch:
		rep.Decisions = res.statuses[200] * uint64(o.batch)
	}
	if rep.Seconds > 0 {
		rep.DecisionsPerSecond = float64(rep.Decisions) / rep.Seconds
	}
	if res.transport > 0 {
		rep.Errors["transport"] = res.transport
	}
	return rep
}

// write prints rep for a person.
func (rep *report) write(w io.Writer) {
	fmt.Fprintf(w, "%s against %s, concurrency %d, %.1fs measured\n", rep.Op, rep.Endpoint, rep.Concurrency, rep.Seconds)
	fmt.Fprintf(w, "requests  %d (%.0f/s)\n", rep.Requests, rep.PerSecond)
	if rep.Decisions > 0 {
		fmt.Fprintf(w, "decisions %d (%.0f/s)\n", rep.Decisions, rep.DecisionsPerSecond)
	}
	fmt.Fprintf(w, "latency   p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms\n", rep.P50, rep.P90, rep.P99, rep.Max)
	if len(rep.Errors) == 0 {
		fmt.Fprintln(w, "errors    none")
	} else {
		keys := make([]string, 0, len(rep.Errors))
		for k := range rep.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %d", k, rep.Errors[k])
		}
		fmt.Fprintf(w, "errors    %s\n", strings.Join(parts, ", "))
		fmt.Fprintf(w, "first     %s\n", rep.ErrorSample)
	}
	if rep.LoadAvgAfter != "" {
		fmt.Fprintf(w, "load avg  %s before, %s after\n", rep.LoadAvgBefore, rep.LoadAvgAfter)
	}
}

// loadAverage returns the 1, 5 and 15 minute load averages from
// /proc/loadavg, or "" where that file does not exist.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
