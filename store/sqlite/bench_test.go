//go:build unix

package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/cputime"
	"github.com/gatehouse-iam/gatehouse/store"
)

// BenchmarkCreateLarge creates 64 KiB records, one per transaction, in a
// file store opened as the audit trail's is (OpenLarge), with 64 KiB pages
// as the audit trail uses and with smaller ones for comparison. Besides
// time it reports, per record, the processor time of the whole process
// (cpu-ns/op), the bytes it passed to write(2) (written-B/op: WAL frames
// and checkpoints; Linux only) and the growth of the database file once
// the WAL is checkpointed into it (db-B/op).
func BenchmarkCreateLarge(b *testing.B) {
	for _, pageSize := range []int{65536, 16384, 4096} {
		b.Run(fmt.Sprintf("page=%d", pageSize), func(b *testing.B) { benchmarkCreateLarge(b, pageSize) })
	}
}

func benchmarkCreateLarge(b *testing.B, pageSize int) {
	path := filepath.Join(b.TempDir(), "audit.db")
	s, err := OpenLarge(path, pageSize)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	data := largeJSON(64 << 10)
	startSize := checkpointedSize(b, s, path)
	startWritten, haveIO := bytesWritten()
	startCPU := cputime.Used(b)
	i := 0
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		i++
		err := s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.Create(ctx, store.Record{Kind: "audit.batch", Account: "111122223333", ID: fmt.Sprintf("%012d", i), Data: data})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cputime.Used(b)-startCPU)/float64(i), "cpu-ns/op")
	if written, ok := bytesWritten(); ok && haveIO {
		b.ReportMetric(float64(written-startWritten)/float64(i), "written-B/op")
	}
	b.ReportMetric(float64(checkpointedSize(b, s, path)-startSize)/float64(i), "db-B/op")
}

// largeJSON returns a JSON document of n bytes that, like an audit batch,
// does not repeat itself page after page.
func largeJSON(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for i := 0; buf.Len() < n; i++ {
		fmt.Fprintf(&buf, `{"eventID":"%08x-%04x","eventName":"GetUser","sourceIPAddress":"10.0.%d.%d"},`, i*2654435761, i%65536, i%256, i*7%256)
	}
	b := buf.Bytes()[:n-2]
	return append(b, "]}"...)
}

// bytesWritten returns the bytes this process has passed to write(2) so
// far (wchar in /proc/self/io); ok is false where that is not available.
func bytesWritten() (n int64, ok bool) {
	io, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(io)) {
		if v, found := strings.CutPrefix(line, "wchar: "); found {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// checkpointedSize copies the WAL into the database file at path, empties
// it, and returns the file's size.
func checkpointedSize(b *testing.B, s *Store, path string) int64 {
	if _, err := s.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkChangesLarge reads a change feed of 64 KiB records from an
// OpenLarge store on disk: 100 creates, then an update of every other
// record, so that the feed has changes whose data is in the change row and
// changes whose data is in the record row.
func BenchmarkChangesLarge(b *testing.B) {
	s, err := OpenLarge(filepath.Join(b.TempDir(), "audit.db"), 65536)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	data := largeJSON(64 << 10)
	const records = 100
	err = s.Update(ctx, func(tx store.Tx) error {
		for i := range records {
			if _, err := tx.Create(ctx, store.Record{Kind: "audit.batch", Account: "111122223333", ID: fmt.Sprint(i), Data: data}); err != nil {
				return err
			}
		}
		for i := 0; i < records; i += 2 {
			if _, err := tx.Update(ctx, store.Record{Kind: "audit.batch", Account: "111122223333", ID: fmt.Sprint(i), Data: data}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		cs, err := s.Changes(ctx, 0, 0)
		if err != nil || len(cs) != records*3/2 {
			b.Fatalf("Changes = %d changes, %v", len(cs), err)
		}
	}
}

// BenchmarkUpdateLarge updates a 64 KiB record, one update per
// transaction, in an OpenLarge store on disk with 64 KiB pages; each update
// first copies the data it replaces into the previous change.
func BenchmarkUpdateLarge(b *testing.B) {
	path := filepath.Join(b.TempDir(), "audit.db")
	s, err := OpenLarge(path, 65536)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rec := store.Record{Kind: "audit.batch", Account: "111122223333", ID: "x", Data: largeJSON(64 << 10)}
	if err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.Create(ctx, rec); return err }); err != nil {
		b.Fatal(err)
	}
	startWritten, haveIO := bytesWritten()
	startCPU := cputime.Used(b)
	n := 0
	b.SetBytes(int64(len(rec.Data)))
	b.ReportAllocs()
	for b.Loop() {
		n++
		if err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.Update(ctx, rec); return err }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cputime.Used(b)-startCPU)/float64(n), "cpu-ns/op")
	if written, ok := bytesWritten(); ok && haveIO {
		b.ReportMetric(float64(written-startWritten)/float64(n), "written-B/op")
	}
}
