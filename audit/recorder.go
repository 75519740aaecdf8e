package audit

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/store"
)

// kindEvent is the record kind of events; the ID orders them by time.
const kindEvent = "audit.event"

// Recorder writes events to a store in batches. Record waits until its
// event is committed, so an answered request has a durable record; the
// commit of one batch covers every event that arrived while the previous one
// was being written.
type Recorder struct {
	st    store.Store
	queue chan *pending
	wg    sync.WaitGroup

	mu     sync.RWMutex // held for reading while enqueueing, for writing by Close
	closed bool
}

type pending struct {
	rec  store.Record
	done chan error
}

// maxBatch bounds the events written in one transaction.
const maxBatch = 512

// NewRecorder starts a recorder writing to st (a store of its own: audit
// volume stays out of the entity store and its change feed).
func NewRecorder(st store.Store) *Recorder {
	r := &Recorder{st: st, queue: make(chan *pending, 4*maxBatch)}
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
	p := &pending{rec: store.Record{Kind: kindEvent, Account: ev.RecipientAccountID,
		ID: c.Time.UTC().Format("20060102T150405.000000000Z") + "/" + ev.EventID, Data: data}, done: make(chan error, 1)}
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

func (r *Recorder) run() {
	defer r.wg.Done()
	for first := range r.queue {
		batch := []*pending{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		err := r.st.Update(context.Background(), func(tx store.Tx) error {
			for _, p := range batch {
				if _, err := tx.Create(context.Background(), p.rec); err != nil {
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

// Events returns the events of an account matching q, newest first.
func Events(ctx context.Context, st store.Store, q Query) ([]*Event, error) {
	var out []*Event
	err := st.View(ctx, func(tx store.Tx) error {
		o := store.ListOptions{Kind: kindEvent, Account: q.Account}
		if !q.Start.IsZero() {
			o.After = q.Start.UTC().Format("20060102T150405.000000000Z")
		}
		recs, err := tx.List(ctx, o)
		if err != nil {
			return err
		}
		end := ""
		if !q.End.IsZero() {
			end = q.End.UTC().Format("20060102T150405.000000000Z") + "\xff"
		}
		for i := len(recs) - 1; i >= 0; i-- {
			if end != "" && recs[i].ID > end {
				continue
			}
			var ev Event
			if err := json.Unmarshal(recs[i].Data, &ev); err != nil {
				return err
			}
			if q.Match != nil && !q.Match(&ev) {
				continue
			}
			out = append(out, &ev)
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}
