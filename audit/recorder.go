package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/store"
)

// kindBatch is the record kind of the audit trail: one record per commit
// and account, whose Data is a JSON array of events in the order they were
// committed, and whose ID starts with the commit time (idLayout) so that
// IDs follow commit order and bound the events' times: every event of a
// batch happened before its commit. One row per batch rather than per event
// keeps the store's cost per event low (two inserts per batch, the record
// and its change, instead of two per event).
const kindBatch = "audit.batch"

// Recorder writes events to a store in batches. Record waits until its
// event is committed, so an answered request has a durable record; the
// commit of one batch covers every event that arrived while the previous one
// was being written.
type Recorder struct {
	st    store.Store
	now   func() time.Time // the commit clock
	queue chan *pending
	wg    sync.WaitGroup

	mu     sync.RWMutex // held for reading while enqueueing, for writing by Close
	closed bool
}

type pending struct {
	at      time.Time // the event's time
	account string
	data    []byte // the event's JSON
	done    chan error
}

// maxBatch bounds the events written in one transaction.
const maxBatch = 512

// NewRecorder starts a recorder writing to st (a store of its own: audit
// volume stays out of the entity store and its change feed).
func NewRecorder(st store.Store) *Recorder {
	return newRecorder(st, time.Now)
}

// newRecorder starts a recorder whose batches are stamped by now.
func newRecorder(st store.Store, now func() time.Time) *Recorder {
	r := &Recorder{st: st, now: now, queue: make(chan *pending, 4*maxBatch)}
	r.wg.Add(1)
	go r.run()
	return r
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("audit: recorder closed")

// Record builds the call's event and returns once it is committed.
func (r *Recorder) Record(ctx context.Context, c *Call) error {
	ev := NewEvent(c, uuid.NewString())
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	p := &pending{at: c.Time, account: ev.RecipientAccountID, data: data, done: make(chan error, 1)}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrClosed
	}
	select {
	case r.queue <- p:
		r.mu.RUnlock()
	case <-ctx.Done():
		r.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// linger is how long the writer waits for more events before committing a
// batch, when the previous batch showed concurrent requests (more than one
// event): a commit costs far more than the events in it, so under load a
// short wait makes batches larger and the processor time per event smaller,
// for that much latency. A lone request is committed at once.
const linger = 500 * time.Microsecond

func (r *Recorder) run() {
	defer r.wg.Done()
	timer := time.NewTimer(linger)
	timer.Stop()
	busy := false
	for first := range r.queue {
		batch := []*pending{first}
		var wait <-chan time.Time
		if busy {
			timer.Reset(linger)
			wait = timer.C
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
				continue
			default:
			}
			if wait == nil {
				break
			}
			select {
			case p, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			case <-wait:
				wait = nil
				break fill
			}
		}
		timer.Stop() // Go 1.23 timers: no stale tick survives Stop
		busy = len(batch) > 1
		recs := batchRecords(batch, r.now())
		err := r.st.Update(context.Background(), func(tx store.Tx) error {
			for _, rec := range recs {
				if _, err := tx.Create(context.Background(), rec); err != nil {
					return err
				}
			}
			return nil
		})
		for _, p := range batch {
			p.done <- err
		}
	}
}

// batchRecords groups a batch's events by account, one record each, with
// IDs stamped by the commit time, or by the latest event's time when the
// clock is behind it (so that no event is later than its batch's ID).
func batchRecords(batch []*pending, now time.Time) []store.Record {
	var accounts []string
	bodies := map[string]*bytes.Buffer{}
	for _, p := range batch {
		b := bodies[p.account]
		if b == nil {
			b = bytes.NewBufferString("[")
			bodies[p.account] = b
			accounts = append(accounts, p.account)
		} else {
			b.WriteByte(',')
		}
		b.Write(p.data)
		if p.at.After(now) {
			now = p.at
		}
	}
	id := now.UTC().Format(idLayout) + "/" + uuid.NewString()
	recs := make([]store.Record, 0, len(accounts))
	for _, a := range accounts {
		b := bodies[a]
		b.WriteByte(']')
		recs = append(recs, store.Record{Kind: kindBatch, Account: a, ID: id, Data: b.Bytes()})
	}
	return recs
}

// Close writes the events already queued and stops the recorder; Record
// returns ErrClosed afterwards.
func (r *Recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// Query selects events.
type Query struct {
	Account    string
	Start, End time.Time // zero: unbounded
	Match      func(*Event) bool
	Limit      int // 0: no limit
}

// Events returns the events of an account matching q, newest first (by
// event time; events of the same second in reverse commit order).
func Events(ctx context.Context, st store.Store, q Query) ([]*Event, error) {
	var out []*Event
	err := st.View(ctx, func(tx store.Tx) error {
		o := store.ListOptions{Kind: kindBatch, Account: q.Account}
		if !q.Start.IsZero() {
			// A batch committed before Start holds only older events.
			o.After = q.Start.UTC().Add(-time.Nanosecond).Format(idLayout)
		}
		recs, err := tx.List(ctx, o)
		if err != nil {
			return err
		}
		for i := len(recs) - 1; i >= 0; i-- {
			var batch []*Event
			if err := json.Unmarshal(recs[i].Data, &batch); err != nil {
				return err
			}
			for j := len(batch) - 1; j >= 0; j-- {
				ev := batch[j]
				t, _ := time.Parse(time.RFC3339, ev.EventTime)
				if !q.Start.IsZero() && t.Before(q.Start.UTC().Truncate(time.Second)) || !q.End.IsZero() && t.After(q.End) {
					continue
				}
				if q.Match != nil && !q.Match(ev) {
					continue
				}
				out = append(out, ev)
			}
		}
		return nil
	})
	// Event times are fixed-width UTC: text order is time order.
	slices.SortStableFunc(out, func(a, b *Event) int { return -strings.Compare(a.EventTime, b.EventTime) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, err
}
