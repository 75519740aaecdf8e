package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"
)

// Operations the load generator can drive.
const (
	opGetUser   = "GetUser"
	opListUsers = "ListUsers"
)

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
		wg.Go(func() { r.work(ctx, c, p.bodies, w, from, until) })
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
func (r *result) work(ctx context.Context, c *client, bodies [][]byte, first int, from, until time.Time) {
	for i := first; ctx.Err() == nil; i++ {
		start := time.Now()
		status, errBody, err := c.send(ctx, bodies[i%len(bodies)])
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
