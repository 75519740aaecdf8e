package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Operations the load generator can drive.
const (
	opGetUser   = "GetUser"
	opListUsers = "ListUsers"
	// opAuthorize asks the decision API one question per request;
	// opAuthorizeBatch asks --batch questions per request.
	opAuthorize      = "Authorize"
	opAuthorizeBatch = "AuthorizeBatch"
)

// loadPolicy is what the Authorize operations' setup users get: the seed
// documents' own-prefix read policy, with its TLS and region conditions.
const loadPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowReadOwnBucketPrefix","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
"Resource":["arn:aws:s3:::my-app-artifacts","arn:aws:s3:::my-app-artifacts/${aws:username}/*"],
"Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`

// setupPolicies puts loadPolicy on users 0 to n-1.
func setupPolicies(ctx context.Context, c *client, n int) error {
	for i := range n {
		status, body, err := c.send(ctx, form("PutUserPolicy", "UserName", userName(i), "PolicyName", "gatehouse-load", "PolicyDocument", loadPolicy))
		if err != nil {
			return fmt.Errorf("PutUserPolicy %s: %w", userName(i), err)
		}
		if status/100 != 2 {
			return fmt.Errorf("PutUserPolicy %s: HTTP %d: %s", userName(i), status, body)
		}
	}
	return nil
}

// callerARN asks IAM GetUser who the signing key belongs to.
func callerARN(ctx context.Context, c *client) (string, error) {
	status, body, err := c.exchange(ctx, c.iam, form(opGetUser), true)
	if err != nil {
		return "", fmt.Errorf("GetUser: %w", err)
	}
	if status/100 != 2 {
		return "", fmt.Errorf("GetUser: HTTP %d: %s", status, body)
	}
	var out struct {
		ARN string `xml:"GetUserResult>User>Arn"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.ARN == "" {
		return "", fmt.Errorf("GetUser: no ARN in %.200s", body)
	}
	return out.ARN, nil
}

// principalARNs are the principals the Authorize operations ask about: the
// setup users (in the caller's account), or the caller itself.
func principalARNs(caller string, users int) []string {
	if users == 0 {
		return []string{caller}
	}
	account := strings.Split(caller, ":")[4]
	out := make([]string, users)
	for i := range out {
		out[i] = "arn:aws:iam::" + account + ":user/" + userName(i)
	}
	return out
}

// authorizeBodies returns decision API bodies, one per principal: a single
// question (batch 0) or a batch of them, alternating between a read the
// load policy allows and a write nothing allows. Every question carries the
// context a gateway sends.
func authorizeBodies(principals []string, batch int) [][]byte {
	ctx := map[string]any{"aws:SecureTransport": true, "aws:RequestedRegion": "eu-west-1", "aws:SourceIp": "10.1.2.3",
		"aws:CurrentTime": "2026-11-23T12:00:00Z"}
	question := func(user string, i int) map[string]any {
		action := "s3:GetObject"
		if i%2 == 1 {
			action = "s3:PutObject"
		}
		return map[string]any{"action": action, "resource": fmt.Sprintf("arn:aws:s3:::my-app-artifacts/%s/obj-%d.bin", user, i), "context": ctx}
	}
	out := make([][]byte, len(principals))
	for p, arn := range principals {
		user := arn[strings.LastIndexByte(arn, '/')+1:]
		body := map[string]any{"principal_arn": arn}
		if batch == 0 {
			for k, v := range question(user, 0) {
				body[k] = v
			}
		} else {
			qs := make([]any, batch)
			for i := range qs {
				qs[i] = question(user, i)
			}
			body["requests"] = qs
		}
		out[p], _ = json.Marshal(body)
	}
	return out
}

// userName returns the name of the i-th user that --setup creates.
func userName(i int) string { return fmt.Sprintf("gatehouse-load-%04d", i) }

// setupUsers creates users 0 to n-1 one after the other; a user that
// already exists (from an earlier run) counts as created.
func setupUsers(ctx context.Context, c *client, n int) error {
	for i := range n {
		status, body, err := c.send(ctx, form("CreateUser", "UserName", userName(i)))
		if err != nil {
			return fmt.Errorf("CreateUser %s: %w", userName(i), err)
		}
		if status/100 != 2 && !bytes.Contains(body, []byte("EntityAlreadyExists")) {
			return fmt.Errorf("CreateUser %s: HTTP %d: %s", userName(i), status, body)
		}
	}
	return nil
}

// requestBodies returns the prebuilt bodies the workers cycle through: for
// GetUser one per setup user (or the caller itself when there are none), for
// ListUsers a single one.
func requestBodies(op string, users int) ([][]byte, error) {
	switch op {
	case opGetUser:
		if users == 0 {
			return [][]byte{form(opGetUser)}, nil
		}
		out := make([][]byte, users)
		for i := range out {
			out[i] = form(opGetUser, "UserName", userName(i))
		}
		return out, nil
	case opListUsers:
		return [][]byte{form(opListUsers)}, nil
	}
	return nil, fmt.Errorf("unknown operation %q (want %s or %s)", op, opGetUser, opListUsers)
}

// plan is one measurement: concurrency closed-loop workers send the bodies
// in turn, for warmup (not recorded) and then for duration.
type plan struct {
	target           target
	concurrency      int
	warmup, duration time.Duration
	bodies           [][]byte
}

// result is what a measurement (or one of its workers) observed. Only
// requests that completed inside the measured window count.
type result struct {
	window    time.Duration  // length of the measured window
	latency   Histogram      // of every response, whatever its status
	statuses  map[int]uint64 // responses by HTTP status
	transport uint64         // requests that got no HTTP response
	sample    string         // the first failure, for diagnostics
}

func newResult() *result { return &result{statuses: map[int]uint64{}} }

// measure runs p against c and merges what the workers saw. Cancelling ctx
// ends the measurement early; the window then covers the time actually
// measured.
func measure(ctx context.Context, c *client, p plan) *result {
	from := time.Now().Add(p.warmup)
	until := from.Add(p.duration)
	workers := make([]*result, p.concurrency)
	var wg sync.WaitGroup
	for w := range workers {
		r := newResult()
		workers[w] = r
		wg.Go(func() { r.work(ctx, c, p.target, p.bodies, w, from, until) })
	}
	wg.Wait()
	total := newResult()
	end := time.Now()
	if end.After(until) {
		end = until
	}
	total.window = max(end.Sub(from), 0)
	for _, r := range workers {
		total.merge(r)
	}
	return total
}

// work sends requests one after the other, starting with bodies[first],
// until a response arrives after until or ctx ends; it records the
// responses that arrive between from and until.
func (r *result) work(ctx context.Context, c *client, t target, bodies [][]byte, first int, from, until time.Time) {
	k, err := c.newConn(t)
	if err != nil {
		r.transport++
		r.sample = err.Error()
		return
	}
	defer k.close()
	for i := first; ctx.Err() == nil; i++ {
		start := time.Now()
		status, errBody, err := k.post(ctx, bodies[i%len(bodies)])
		end := time.Now()
		if end.After(until) || ctx.Err() != nil {
			return
		}
		if end.Before(from) {
			continue
		}
		if err != nil {
			r.transport++
			if r.sample == "" {
				r.sample = err.Error()
			}
			continue
		}
		r.latency.Record(end.Sub(start))
		r.statuses[status]++
		if status/100 != 2 && r.sample == "" {
			r.sample = fmt.Sprintf("HTTP %d: %s", status, errBody)
		}
	}
}

// merge adds o's counts to r.
func (r *result) merge(o *result) {
	r.latency.Merge(&o.latency)
	for s, n := range o.statuses {
		r.statuses[s] += n
	}
	r.transport += o.transport
	if r.sample == "" {
		r.sample = o.sample
	}
}
