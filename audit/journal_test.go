package audit

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// openFileStore opens a SQLite audit database in dir.
func openFileStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(dir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// countEvents returns how many events of the benchmark call's account st
// holds.
func countEvents(t *testing.T, st store.Store) int {
	t.Helper()
	evs, err := Events(context.Background(), st, Query{Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// journalFiles returns the segment files in dir numbered up to last (the
// one after the current segment is being prepared in the background).
func journalFiles(t *testing.T, dir string, last uint64) []string {
	t.Helper()
	segs, err := segments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range segs {
		if n <= last {
			out = append(out, filepath.Join(dir, segmentName(n)))
		}
	}
	return out
}

func TestJournaledEventsAreReadable(t *testing.T) {
	dir := t.TempDir()
	st := openFileStore(t, dir)
	defer st.Close()
	rec, err := OpenRecorder(context.Background(), st, filepath.Join(dir, "journal"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := rec.Record(context.Background(), benchCall()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Acknowledged events are visible through the reader at once, although
	// the applier writes them to the store later.
	if n := countEvents(t, rec.Reader()); n != 50 {
		t.Fatalf("reader sees %d events, want 50", n)
	}
	rec.Close()
	if n := countEvents(t, st); n != 50 {
		t.Fatalf("store holds %d events after Close, want 50", n)
	}
	if files := journalFiles(t, filepath.Join(dir, "journal"), math.MaxUint64); len(files) > 1 {
		t.Errorf("journal segments left after a clean close: %v, want the last one only", files)
	}
	if err := rec.Record(context.Background(), benchCall()); err != ErrClosed {
		t.Errorf("Record after Close = %v, want ErrClosed", err)
	}
}

// journalBatch returns the store records of n events, as the recorder
// batches them.
func journalBatch(n int, at time.Time) []store.Record {
	var batch []pending
	for range n {
		c := benchCall()
		c.Time = at
		p := pending{at: at, account: c.AccountID}
		p.data = []byte(`{"eventVersion":"1.08","eventTime":"` + at.UTC().Format(time.RFC3339) + `","eventSource":"iam.amazonaws.com","eventName":"GetUser","recipientAccountId":"123456789012"}`)
		batch = append(batch, p)
	}
	return batchRecords(batch, at)
}

func TestJournalReplaysAfterACrash(t *testing.T) {
	dir := t.TempDir()
	jdir := filepath.Join(dir, "journal")
	// A process journals three batches and dies before the store gets
	// them; the third frame is cut short as by a crash mid-write.
	j, batches, err := openJournal(jdir)
	if err != nil || len(batches) != 0 {
		t.Fatal(err, len(batches))
	}
	now := time.Now()
	for i := range 2 {
		if _, err := j.append(journalBatch(3, now.Add(time.Duration(i)*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.append(journalBatch(4, now.Add(2*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	j.f.Truncate(j.size - 10)
	j.close(false)

	st := openFileStore(t, dir)
	defer st.Close()
	// The first batch had reached the store already (with the journal's
	// applied position): replay must not write it twice.
	replayed, err := readSegment(journalFiles(t, jdir, 1)[0], 1)
	if err != nil || len(replayed) != 2 || replayed[1].pos != (position{1, 2}) {
		t.Fatalf("segment holds %d complete frames (%v), want 2", len(replayed), err)
	}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return apply(context.Background(), tx, j.id, replayed[:1])
	}); err != nil {
		t.Fatal(err)
	}

	rec, err := OpenRecorder(context.Background(), st, jdir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, rec.Reader()); n != 6 {
		t.Errorf("after replay the store holds %d events, want the 6 of the two complete frames", n)
	}
	if files := journalFiles(t, jdir, 2); len(files) != 1 || files[0] != filepath.Join(jdir, segmentName(2)) {
		t.Errorf("after replay the journal holds %v, want only the new segment", files)
	}
	rec.Close()
}

func TestJournalRejectsMalformedFrames(t *testing.T) {
	for _, p := range [][]byte{{0x05, 'a'}, {0x01, 'a', 0x01}, {0x01, 'a', 0x01, 'b', 0xff}} {
		if _, err := decodeFrame(p); err == nil {
			t.Errorf("decodeFrame(%q) accepted", p)
		}
	}
	// A segment whose header never made it to disk holds nothing.
	path := filepath.Join(t.TempDir(), segmentName(1))
	if err := os.WriteFile(path, []byte("GHA"), 0o600); err != nil {
		t.Fatal(err)
	}
	if recs, err := readSegment(path, 1); err != nil || len(recs) != 0 {
		t.Errorf("readSegment of a cut header = %v, %v", recs, err)
	}
}

func TestJournalRotatesAndDropsAppliedSegments(t *testing.T) {
	dir := t.TempDir()
	st := openFileStore(t, dir)
	defer st.Close()
	jdir := filepath.Join(dir, "journal")
	rec, err := OpenRecorder(context.Background(), st, jdir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	rec.journal.size = segmentLimit // the next batch starts segment 2
	if err := rec.Record(context.Background(), benchCall()); err != nil {
		t.Fatal(err)
	}
	rec.journal.size = segmentLimit // and the next one segment 3
	if err := rec.Record(context.Background(), benchCall()); err != nil {
		t.Fatal(err)
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Segments 1 and 2 hold only applied batches; 3 is being written.
	if files := journalFiles(t, jdir, 3); len(files) != 1 || files[0] != filepath.Join(jdir, segmentName(3)) {
		t.Errorf("journal holds %v, want only segment 3", files)
	}
}

// FuzzDecodeFrame checks that any frame payload either decodes or is
// refused, and that a decoded frame survives encoding and decoding again.
func FuzzDecodeFrame(f *testing.F) {
	for _, recs := range [][]store.Record{journalBatch(1, time.Unix(0, 0)), journalBatch(2, time.Unix(1, 0)), nil} {
		var b []byte
		for _, r := range recs {
			b = appendRecord(b, r)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		recs, err := decodeFrame(p)
		if err != nil {
			return
		}
		var b []byte
		for _, r := range recs {
			b = appendRecord(b, r)
		}
		again, err := decodeFrame(b)
		if err != nil || len(again) != len(recs) {
			t.Fatalf("re-decoding %q: %v, %d records, want %d", b, err, len(again), len(recs))
		}
		for i := range recs {
			if again[i].Account != recs[i].Account || again[i].ID != recs[i].ID || string(again[i].Data) != string(recs[i].Data) {
				t.Fatalf("record %d changed: %+v, want %+v", i, again[i], recs[i])
			}
		}
	})
}

func TestJournalIsExclusive(t *testing.T) {
	dir := t.TempDir()
	j, _, err := openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := openJournal(dir); err == nil {
		t.Error("a second journal opened on the same directory")
	}
	j.close(true)
	j2, _, err := openJournal(dir)
	if err != nil {
		t.Fatalf("journal not reopened after close: %v", err)
	}
	j2.close(true)
}

func TestMergeBatches(t *testing.T) {
	batches := []journaled{
		{recs: []store.Record{{Account: "a", ID: "2", Data: []byte(`[1]`)}, {Account: "b", ID: "2", Data: []byte(`[2,3]`)}}},
		{recs: []store.Record{{Account: "a", ID: "3", Data: []byte(`[4,5]`)}}},
		{recs: []store.Record{{Account: "b", ID: "1", Data: []byte(`[6]`)}}}, // a clock that stepped back
	}
	got := mergeBatches(batches)
	want := []store.Record{{Kind: kindBatch, Account: "a", ID: "3", Data: []byte(`[1,4,5]`)},
		{Kind: kindBatch, Account: "b", ID: "2", Data: []byte(`[2,3,6]`)}}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || got[i].Account != want[i].Account || got[i].ID != want[i].ID || string(got[i].Data) != string(want[i].Data) {
			t.Errorf("record %d = %+v %s, want %+v %s", i, got[i], got[i].Data, want[i], want[i].Data)
		}
	}
	// The journal's records are not changed by merging.
	if string(batches[0].recs[0].Data) != `[1]` {
		t.Errorf("first batch's data changed to %s", batches[0].recs[0].Data)
	}
}

// TestCommitWhenAllWait checks that the writer does not wait out the commit
// interval when every request being served is waiting for the batch. The
// requests are counted as the server counts them: in while recording, out
// (Left) once answered.
func TestCommitWhenAllWait(t *testing.T) {
	dir := t.TempDir()
	st := openFileStore(t, dir)
	defer st.Close()
	// A writer that waited out this interval would fail the test.
	rec, err := OpenRecorder(context.Background(), st, filepath.Join(dir, "journal"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	var active atomic.Int64
	rec.SetActive(func() int { return int(active.Load()) })
	const requests = 3
	start := time.Now()
	for range 20 {
		var wg sync.WaitGroup
		active.Add(requests)
		for range requests {
			wg.Go(func() {
				if err := rec.Record(context.Background(), benchCall()); err != nil {
					t.Error(err)
				}
				active.Add(-1)
				rec.Left()
			})
		}
		wg.Wait()
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("twenty rounds took %v: the writer waited out its interval", d)
	}
}

// TestLeftWakesTheWriter checks that a request's leaving wakes the writer
// when every request still being served waits for the batch being filled
// (as when the answered requests of the previous batch leave), and only
// then.
func TestLeftWakesTheWriter(t *testing.T) {
	r := &Recorder{kick: make(chan struct{}, 1)}
	var active atomic.Int64
	r.SetActive(func() int { return int(active.Load()) })
	woken := func() bool {
		select {
		case <-r.kick:
			return true
		default:
			return false
		}
	}
	for _, c := range []struct {
		filled, active int64
		want           bool
	}{
		{0, 0, false}, // nothing to commit
		{1, 2, false}, // another request may still record
		{1, 1, true},
		{3, 2, true},
	} {
		r.filled.Store(c.filled)
		active.Store(c.active)
		r.Left()
		if got := woken(); got != c.want {
			t.Errorf("filled %d, active %d: writer woken %v, want %v", c.filled, c.active, got, c.want)
		}
	}
}

// TestJournalNumbersOnAcrossRestarts checks that a process started after a
// clean stop numbers its frames after those the store has applied, so that a
// crash of that process is replayed in full.
func TestJournalNumbersOnAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	jdir := filepath.Join(dir, "journal")
	st := openFileStore(t, dir)
	defer st.Close()
	for range 2 { // two clean runs, recording two events each
		rec, err := OpenRecorder(context.Background(), st, jdir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := rec.Record(context.Background(), benchCall()); err != nil {
				t.Fatal(err)
			}
		}
		rec.Close()
	}
	// A third process journals a batch of three and crashes before
	// applying it.
	j, _, err := openJournal(jdir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.append(journalBatch(3, time.Now())); err != nil {
		t.Fatal(err)
	}
	j.close(false)
	rec, err := OpenRecorder(context.Background(), st, jdir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if n := countEvents(t, rec.Reader()); n != 7 {
		t.Errorf("after the crash the store holds %d events, want 4 + 3", n)
	}
}
