package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/store"
)

// kindBatch is the record kind of the audit trail: one record per commit
// (behind a journal, per round of the applier, which merges the round's
// commits) and account, whose Data is a JSON array of events in the order
// they were committed, and whose ID starts with the (latest) commit time
// (idLayout), so that IDs follow commit order and bound the events' times:
// every event of a batch happened before its ID's time. One row per batch
// rather than per event keeps the store's cost per event low.
const kindBatch = "audit.batch"

// Recorder writes events to a store in batches. Record waits until its
// event is durable, so an answered request has a record; the commit of one
// batch covers every event that arrived while the previous one was being
// written.
//
// Without a journal (NewRecorder) a batch is durable when the store has
// committed it. With one (OpenRecorder), a batch is durable when it is
// appended and synced to the journal, which costs far less than a store
// transaction; the store then receives the acknowledged batches in larger
// transactions, a little later. Reader returns a view of the store that
// waits for those before every read, so a reader on this node sees every
// acknowledged event.
type Recorder struct {
	st       store.Store
	now      func() time.Time // the commit clock
	interval time.Duration    // see DefaultCommitInterval
	wg       sync.WaitGroup

	mu     sync.Mutex // guards open and closed
	open   *group     // the batch being filled
	closed bool
	filled atomic.Int64  // len(open.events), for Left to read without the lock
	kick   chan struct{} // the writer has something to do: a first event, a full batch, Close

	journal *journal // nil: batches go to the store before they are acknowledged
	// With a journal, the applier's state, under amu.
	amu       sync.Mutex
	unapplied []journaled   // acknowledged batches not yet in the store, in order
	acked     uint64        // batches acknowledged so far
	applied   uint64        // of those, batches in the store
	applyErr  error         // the last failed store write, until one succeeds
	appliedCh chan struct{} // closed (and replaced) whenever applied grows or applyErr is set
	wake      chan struct{} // a batch was acknowledged
	flush     chan struct{} // a reader waits for the store
	stop      chan struct{} // closed once no batch will come

	// The applier's own state.
	dropped      uint64 // journal segments below this are deleted
	closeRetries int    // store writes retried while closing

	active atomic.Pointer[func() int] // see SetActive
}

// pending is an event waiting for its batch's commit.
type pending struct {
	at      time.Time // the event's time
	account string
	data    []byte // the event's JSON
}

// group is a batch being filled and then committed. Its Record calls wait
// on one channel, closed once err holds the commit's outcome: a commit wakes
// its waiters with one close, and an event costs the writer no wake-up of
// its own.
type group struct {
	events []pending
	done   chan struct{}
	err    error
}

func newGroup(capacity int) *group {
	return &group{events: make([]pending, 0, capacity), done: make(chan struct{})}
}

// maxBatch is the size at which a batch is committed without waiting out
// the commit interval.
const maxBatch = 512

// applyDelay is how long the applier lets acknowledged batches gather before
// writing them to the store, unless a reader is waiting: a store
// transaction's cost is mostly fixed, so fewer, larger ones cost less.
const applyDelay = 100 * time.Millisecond

// NewRecorder starts a recorder writing to st (a store of its own: audit
// volume stays out of the entity store and its change feed). Each batch is
// acknowledged once st has committed it.
func NewRecorder(st store.Store) *Recorder {
	return newRecorder(st, time.Now)
}

// newRecorder starts a recorder whose batches are stamped by now.
func newRecorder(st store.Store, now func() time.Time) *Recorder {
	r := &Recorder{st: st, now: now, interval: DefaultCommitInterval, open: newGroup(0), kick: make(chan struct{}, 1)}
	r.wg.Add(1)
	go r.run()
	return r
}

// OpenRecorder starts a recorder that makes each batch durable in the
// journal in dir before acknowledging it and writes it to st afterwards (see
// Recorder). Batches that an earlier process journaled but did not write to
// st (it stopped or crashed first) are written now, before it returns.
//
// interval is the least time between two commits under concurrent load
// (DefaultCommitInterval when 0): longer makes each commit's cost serve
// more events, for that much more latency.
func OpenRecorder(ctx context.Context, st store.Store, dir string, interval time.Duration) (*Recorder, error) {
	if interval <= 0 {
		interval = DefaultCommitInterval
	}
	j, batches, err := openJournal(dir)
	if err != nil {
		return nil, fmt.Errorf("audit journal: %w", err)
	}
	if len(batches) > 0 {
		err := st.Update(ctx, func(tx store.Tx) error {
			applied, err := appliedPosition(ctx, tx, j.id)
			if err != nil {
				return err
			}
			i := 0
			for i < len(batches) && !batches[i].pos.after(applied) {
				i++
			}
			return apply(ctx, tx, j.id, batches[i:])
		})
		if err != nil {
			j.close(false)
			return nil, fmt.Errorf("audit journal: replay: %w", err)
		}
	}
	if err := j.dropBefore(j.seg); err != nil {
		j.close(false)
		return nil, fmt.Errorf("audit journal: %w", err)
	}
	r := &Recorder{st: st, now: time.Now, interval: interval, open: newGroup(0), kick: make(chan struct{}, 1), journal: j, dropped: j.seg,
		appliedCh: make(chan struct{}), wake: make(chan struct{}, 1), flush: make(chan struct{}, 1), stop: make(chan struct{})}
	r.wg.Add(2)
	go r.run()
	go r.applier()
	return r, nil
}

// kindJournal is the record kind that keeps, for each journal (by its ID),
// the position of the last batch in the store; it is written in the same
// transaction as the batches, so a replay skips exactly those.
const kindJournal = "audit.journal"

// appliedPosition returns the position of journal id's last batch in the
// store (zero when none is).
func appliedPosition(ctx context.Context, tx store.Tx, id string) (position, error) {
	var p position
	rec, err := tx.Get(ctx, store.Key{Kind: kindJournal, ID: id})
	if errors.Is(err, store.ErrNotFound) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(rec.Data, &p)
}

// apply writes journaled batches to the store, merged into one record per
// account, and records the last one's position as journal id's.
func apply(ctx context.Context, tx store.Tx, id string, batches []journaled) error {
	if len(batches) == 0 {
		return nil
	}
	for _, rec := range mergeBatches(batches) {
		if _, err := tx.Create(ctx, rec); err != nil {
			return err
		}
	}
	data, _ := json.Marshal(batches[len(batches)-1].pos)
	mark := store.Record{Kind: kindJournal, ID: id, Data: data}
	_, err := tx.Update(ctx, mark)
	if errors.Is(err, store.ErrNotFound) {
		_, err = tx.Create(ctx, mark)
	}
	return err
}

// mergeBatches joins the batches' records of each account into one record
// (their event arrays concatenated, in order) with the greatest of their
// IDs: IDs start with the commit time, so the merged record still sorts
// after every event in it, and fewer, larger records cost the store less.
func mergeBatches(batches []journaled) []store.Record {
	// Size each account's record first, so that its data is allocated once.
	var out []store.Record
	index := map[string]int{}
	for _, b := range batches {
		for _, rec := range b.recs {
			i, ok := index[rec.Account]
			if !ok {
				i = len(out)
				index[rec.Account] = i
				out = append(out, store.Record{Kind: kindBatch, Account: rec.Account, ID: rec.ID})
			}
			out[i].ID = max(out[i].ID, rec.ID)
			out[i].Version += int64(len(rec.Data)) // the data's size, for now
		}
	}
	for i := range out {
		out[i].Data, out[i].Version = make([]byte, 0, out[i].Version), 0
	}
	for _, b := range batches {
		for _, rec := range b.recs {
			m := &out[index[rec.Account]]
			if len(m.Data) == 0 {
				m.Data = append(m.Data, rec.Data...)
				continue
			}
			// Both are JSON arrays of at least one event: join "[a]" and "[b]" as "[a,b]".
			m.Data = append(append(m.Data[:len(m.Data)-1], ','), rec.Data[1:]...)
		}
	}
	return out
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("audit: recorder closed")

// Record builds the call's event and returns once it is durable.
func (r *Recorder) Record(ctx context.Context, c *Call) error {
	ev := NewEvent(c, uuid.NewString())
	data, err := ev.AppendJSON(nil)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	g := r.open
	g.events = append(g.events, pending{at: c.Time, account: ev.RecipientAccountID, data: data})
	n := len(g.events)
	r.filled.Store(int64(n))
	r.mu.Unlock()
	if n == 1 || n >= maxBatch || r.allWaiting(n) {
		r.wakeWriter()
	}
	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wakeWriter tells the writer it has something to do, unless it has been
// told already.
func (r *Recorder) wakeWriter() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// DefaultCommitInterval is, under concurrent load (the previous batch held
// more than one event), the least time between the starts of two commits: a
// batch that is ready sooner waits, gathering the events that arrive
// meanwhile. A commit costs far more than the events in it (a journal sync
// takes about 100 µs of processor time on the machines measured, whatever
// its size), so this bounds the writer's cost to about a tenth of a core,
// for at most that much latency. Requests one at a time are committed at
// once.
const DefaultCommitInterval = time.Millisecond

func (r *Recorder) run() {
	defer r.wg.Done()
	if r.journal != nil {
		defer close(r.stop)
	}
	timer := time.NewTimer(r.interval)
	timer.Stop()
	var last time.Time // when the previous commit started
	busy := false      // the previous batch held more than one event
	for {
		<-r.kick
		n, ready := r.filling()
		if n == 0 && !ready {
			continue // a wake-up for a batch already committed
		}
		if d := time.Until(last.Add(r.interval)); busy && d > 0 && !ready {
			timer.Reset(d)
		wait:
			for {
				select {
				case <-timer.C:
					break wait
				case <-r.kick:
					// The batch is full, every request waits, or Close;
					// or a late wake-up for a batch already committed.
					if _, ready := r.filling(); ready {
						break wait
					}
				}
			}
			timer.Stop() // Go 1.23 timers: no stale tick survives Stop
		}
		r.mu.Lock()
		g, closed := r.open, r.closed
		r.open = newGroup(cap(g.events))
		r.filled.Store(0)
		r.mu.Unlock()
		if len(g.events) > 0 {
			last, busy = time.Now(), len(g.events) > 1
			g.err = r.commit(batchRecords(g.events, r.now()))
			close(g.done)
		}
		if closed {
			return
		}
	}
}

// filling returns the number of events in the batch being filled, and
// whether it should be committed without waiting out the interval.
func (r *Recorder) filling() (n int, ready bool) {
	r.mu.Lock()
	n, closed := len(r.open.events), r.closed
	r.mu.Unlock()
	return n, closed || n >= maxBatch || n > 0 && r.allWaiting(n)
}

// commit makes a batch durable: in the journal, whence the applier moves it
// to the store, or else in the store.
func (r *Recorder) commit(recs []store.Record) error {
	if r.journal == nil {
		return r.st.Update(context.Background(), func(tx store.Tx) error {
			for _, rec := range recs {
				if _, err := tx.Create(context.Background(), rec); err != nil {
					return err
				}
			}
			return nil
		})
	}
	pos, err := r.journal.append(recs)
	if err != nil {
		return fmt.Errorf("audit journal: %w", err)
	}
	r.amu.Lock()
	r.unapplied = append(r.unapplied, journaled{recs: recs, pos: pos})
	r.acked++
	r.amu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// applier writes acknowledged batches to the store: applyDelay after the
// first one arrives, or at once when a reader waits, and everything left
// when the recorder closes.
func (r *Recorder) applier() {
	defer r.wg.Done()
	delay := time.NewTimer(applyDelay)
	delay.Stop()
	for {
		stopping := false
		select {
		case <-r.wake:
			delay.Reset(applyDelay)
			select {
			case <-delay.C:
			case <-r.flush:
			case <-r.stop:
				stopping = true
			}
			delay.Stop()
		case <-r.flush:
		case <-r.stop:
			stopping = true
		}
		err := r.applyPending()
		if stopping {
			for err != nil && r.retryApply() {
				err = r.applyPending()
			}
			r.journal.close(err == nil)
			return
		}
		if err != nil {
			time.Sleep(100 * time.Millisecond) // the store is failing: retry soon, not at once
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
	}
}

// retryApply waits before another attempt to write what is left at close,
// up to a few times; false gives up (the journal keeps the batches for the
// next start).
func (r *Recorder) retryApply() bool {
	if r.closeRetries >= 3 {
		return false
	}
	r.closeRetries++
	time.Sleep(100 * time.Millisecond)
	return true
}

// applyPending writes every acknowledged batch not yet in the store in one
// transaction, then deletes the journal segments that are wholly applied.
func (r *Recorder) applyPending() error {
	r.amu.Lock()
	work, target := r.unapplied, r.acked
	r.unapplied = nil
	r.amu.Unlock()
	if len(work) == 0 {
		return nil
	}
	err := r.st.Update(context.Background(), func(tx store.Tx) error {
		return apply(context.Background(), tx, r.journal.id, work)
	})
	if err == nil {
		// Segments before the last applied batch's hold only applied
		// batches. (A failed delete is retried after the next apply.)
		if last := work[len(work)-1].pos.Segment; last > r.dropped && r.journal.dropBefore(last) == nil {
			r.dropped = last
		}
	}
	r.amu.Lock()
	defer r.amu.Unlock()
	if err != nil {
		r.unapplied = append(work, r.unapplied...)
		r.applyErr = err
	} else {
		r.applied, r.applyErr = target, nil
	}
	close(r.appliedCh)
	r.appliedCh = make(chan struct{})
	return err
}

// Flush returns once every batch acknowledged before the call is in the
// store, or with the store's error when writing them fails.
func (r *Recorder) Flush(ctx context.Context) error {
	if r.journal == nil {
		return nil
	}
	r.amu.Lock()
	target := r.acked
	for r.applied < target {
		if r.applyErr != nil {
			err := r.applyErr
			r.amu.Unlock()
			return fmt.Errorf("audit: writing the journal to the store: %w", err)
		}
		ch := r.appliedCh
		r.amu.Unlock()
		select {
		case r.flush <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.amu.Lock()
	}
	r.amu.Unlock()
	return nil
}

// SetActive tells the recorder how to count the requests being served: when
// every one of them is waiting for the batch being filled, no event can
// arrive before the batch is committed, so the writer commits at once
// instead of waiting out the commit interval. Without it (or before it is
// called), the writer always waits out the interval under load.
func (r *Recorder) SetActive(count func() int) { r.active.Store(&count) }

// Left tells the recorder that a request has finished (see SetActive):
// when every request still being served waits for the batch being filled,
// the writer commits it at once. Without this, a batch that was waiting for
// the requests of the batch before it, now answered, would wait out the
// commit interval; with few requests in flight that is most of their
// latency.
func (r *Recorder) Left() {
	if n := int(r.filled.Load()); n > 0 && r.allWaiting(n) {
		r.wakeWriter()
	}
}

// allWaiting reports whether the n events of the batch being filled are
// those of every request being served.
func (r *Recorder) allWaiting(n int) bool {
	count := r.active.Load()
	return count != nil && n >= (*count)()
}

// Reader returns the recorder's store as readers should use it: every read
// first waits (Flush) for the acknowledged events still on their way from the
// journal, so that it sees every event this node has acknowledged.
func (r *Recorder) Reader() store.Store {
	if r.journal == nil {
		return r.st
	}
	return flushingStore{Store: r.st, r: r}
}

// flushingStore is Recorder.Reader's view of the store.
type flushingStore struct {
	store.Store
	r *Recorder
}

func (f flushingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := f.r.Flush(ctx); err != nil {
		return err
	}
	return f.Store.View(ctx, fn)
}

func (f flushingStore) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	if err := f.r.Flush(ctx); err != nil {
		return nil, err
	}
	return f.Store.Changes(ctx, afterSeq, limit)
}

func (f flushingStore) LastSeq(ctx context.Context) (int64, error) {
	if err := f.r.Flush(ctx); err != nil {
		return 0, err
	}
	return f.Store.LastSeq(ctx)
}

// batchRecords groups a batch's events by account, one record each, with
// IDs stamped by the commit time, or by the latest event's time when the
// clock is behind it (so that no event is later than its batch's ID).
func batchRecords(batch []pending, now time.Time) []store.Record {
	var accounts []string
	bodies := map[string]*bytes.Buffer{}
	for i := range batch {
		p := &batch[i]
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

// Close writes the events already recorded and stops the recorder; Record
// returns ErrClosed afterwards.
func (r *Recorder) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wakeWriter()
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
