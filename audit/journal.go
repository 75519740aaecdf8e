package audit

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-iam/gatehouse/store"
)

// A journal is the audit trail's write-ahead log: a directory of segment
// files to which the recorder appends each commit batch and syncs it before
// answering the batch's requests. The store receives the same records later,
// in larger transactions; a segment is deleted once every batch in it is in
// the store, and segments left by a crash are replayed into the store when
// the journal is opened.
//
// Appending and syncing one file costs two system calls per batch, where a
// store transaction writes every changed page and syncs its own log: the
// journal is what lets a durable audit record cost little.
//
// A segment starts with journalMagic and holds frames:
//
//	uint32 length | uint32 CRC-32C of the payload | payload
//
// and a payload is a sequence of records, each three uvarint-prefixed byte
// strings: account, ID and data (the kind is always kindBatch). A frame cut
// short or failing its checksum ends the segment: it was being written when
// the process stopped, so it was never synced and never acknowledged.
//
// A new segment is filled with zeros to segmentLimit and synced before
// use, so that appending a frame overwrites allocated blocks and syncing it
// (fdatasync) writes no file metadata: half the cost of syncing an append
// that grows the file, on the machines measured. A zero length ends the
// segment's frames.
type journal struct {
	dir    string
	id     string   // names this journal's applied position in the store
	lock   *os.File // held while the journal is open
	f      *os.File
	seg    uint64            // number of the segment f is
	frames uint64            // frames in f
	size   int64             // bytes in f
	buf    []byte            // frame under construction
	spare  chan spareSegment // the next segment, being prepared
}

// position is where a frame is in a journal: its segment, and its place in
// the segment counting from 1.
type position struct {
	Segment uint64 `json:"segment"`
	Frame   uint64 `json:"frame"`
}

// after tells whether p comes after q.
func (p position) after(q position) bool {
	return p.Segment > q.Segment || p.Segment == q.Segment && p.Frame > q.Frame
}

// journaled is a batch's records and the frame holding them.
type journaled struct {
	recs []store.Record
	pos  position
}

const (
	journalMagic = "GHAUDJ1\n"
	// segmentLimit is the size of a segment: the journal starts a new one
	// once it is full, so that applied segments can be deleted.
	segmentLimit = 4 << 20
	// maxFrame bounds a frame when reading, against a corrupt length.
	maxFrame = 1 << 30
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// segmentName is the file name of segment n; names sort in segment order.
func segmentName(n uint64) string { return fmt.Sprintf("%020d.journal", n) }

// segments returns the numbers of the segments in dir, in order.
func segments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".journal")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(name, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// openJournal opens the journal in dir (creating dir and the journal's ID)
// and returns it with the batches that its existing segments hold, in write
// order; the caller puts those the store lacks in the store and then calls
// dropBefore(j.seg). Writing starts in a new segment.
func openJournal(dir string) (*journal, []journaled, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	j := &journal{dir: dir, lock: lock}
	var batches []journaled
	next := uint64(1)
	j.id, err = journalID(dir)
	if err == nil {
		batches, next, err = j.read()
	}
	if err == nil {
		err = j.startSegment(next)
	}
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	return j, batches, nil
}

// journalID returns the ID in dir's ID file, creating it on first use: each
// server's journal keeps its own applied position in a shared store.
func journalID(dir string) (string, error) {
	path := filepath.Join(dir, "ID")
	data, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		return string(bytes.TrimSpace(data)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	id := rand.Text()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(id + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return "", err
	}
	return id, syncDir(dir)
}

// read returns the batches in the journal's segments and the number the
// next segment takes.
func (j *journal) read() ([]journaled, uint64, error) {
	segs, err := segments(j.dir)
	if err != nil {
		return nil, 0, err
	}
	var batches []journaled
	for _, n := range segs {
		got, err := readSegment(filepath.Join(j.dir, segmentName(n)), n)
		if err != nil {
			return nil, 0, err
		}
		batches = append(batches, got...)
	}
	next := uint64(1)
	if len(segs) > 0 {
		next = segs[len(segs)-1] + 1
	}
	return batches, next, nil
}

// readSegment returns the batches of the complete frames in segment seg.
func readSegment(path string, seg uint64) ([]journaled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(journalMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != journalMagic {
		return nil, nil // empty or cut before its header was synced
	}
	var batches []journaled
	var head [8]byte
	for frame := uint64(1); ; frame++ {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return batches, nil
		}
		n, sum := binary.LittleEndian.Uint32(head[:4]), binary.LittleEndian.Uint32(head[4:])
		if n == 0 || n > maxFrame {
			return batches, nil
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil || crc32.Checksum(payload, crcTable) != sum {
			return batches, nil
		}
		recs, err := decodeFrame(payload)
		if err != nil {
			return nil, fmt.Errorf("audit journal %s: %w", filepath.Base(path), err)
		}
		batches = append(batches, journaled{recs: recs, pos: position{seg, frame}})
	}
}

// decodeFrame parses a frame's payload.
func decodeFrame(p []byte) ([]store.Record, error) {
	var recs []store.Record
	field := func() ([]byte, error) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return nil, errors.New("malformed frame")
		}
		v := p[k : k+int(n)]
		p = p[k+int(n):]
		return v, nil
	}
	for len(p) > 0 {
		account, err := field()
		if err != nil {
			return nil, err
		}
		id, err := field()
		if err != nil {
			return nil, err
		}
		data, err := field()
		if err != nil {
			return nil, err
		}
		recs = append(recs, store.Record{Kind: kindBatch, Account: string(account), ID: string(id), Data: data})
	}
	return recs, nil
}

// startSegment creates segment n and makes it the one written to.
func (j *journal) startSegment(n uint64) error {
	var f *os.File
	var err error
	if j.spare != nil {
		// The segment prepared in the background: wait for it if need be.
		s := <-j.spare
		j.spare = nil
		f, err = s.f, s.err
		if s.n != n && err == nil {
			j.discard(s)
			f, err = j.prepareSegment(n)
		}
	} else {
		f, err = j.prepareSegment(n)
	}
	if err != nil {
		return err
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f, j.seg, j.frames, j.size = f, n, 0, int64(len(journalMagic))
	// Zero-filling and syncing 4 MiB takes a while on a busy disk: do it
	// for the next segment now, off the path of the requests waiting for
	// their batch.
	spare := make(chan spareSegment, 1)
	j.spare = spare
	go func() {
		f, err := j.prepareSegment(n + 1)
		spare <- spareSegment{n: n + 1, f: f, err: err}
	}()
	return nil
}

// spareSegment is a segment prepared ahead of use.
type spareSegment struct {
	n   uint64
	f   *os.File
	err error
}

// prepareSegment creates segment n, zero-filled to segmentLimit and synced,
// with its header written, and returns it positioned after the header.
func (j *journal) prepareSegment(n uint64) (*os.File, error) {
	path := filepath.Join(j.dir, segmentName(n))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	if err = preallocate(f, segmentLimit); err == nil {
		_, err = f.WriteString(journalMagic)
	}
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// discard closes and deletes a prepared segment that will not be used.
func (j *journal) discard(s spareSegment) {
	if s.f != nil {
		s.f.Close()
		os.Remove(filepath.Join(j.dir, segmentName(s.n)))
	}
}

// preallocate writes size zero bytes to f, syncs them and returns to the
// start of f.
func preallocate(f *os.File, size int) error {
	zeros := make([]byte, 1<<20)
	for left := size; left > 0; left -= len(zeros) {
		if _, err := f.Write(zeros[:min(left, len(zeros))]); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// syncDir makes a directory's entries (a created or removed file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// append writes recs as one frame and syncs it, and returns where the frame
// is. The current segment is closed first when it is full.
func (j *journal) append(recs []store.Record) (position, error) {
	if j.size >= segmentLimit {
		if err := j.startSegment(j.seg + 1); err != nil {
			return position{}, err
		}
	}
	// A frame that fails to be written or synced may sit half-written in
	// the segment, hiding every later frame from a replay: a failure ends
	// the segment.
	ok := false
	defer func() {
		if !ok {
			j.size = segmentLimit
		}
	}()
	b := append(j.buf[:0], make([]byte, 8)...)
	for _, rec := range recs {
		b = appendRecord(b, rec)
	}
	binary.LittleEndian.PutUint32(b[:4], uint32(len(b)-8))
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(b[8:], crcTable))
	j.buf = b
	if _, err := j.f.Write(b); err != nil {
		return position{}, err
	}
	j.size += int64(len(b))
	j.frames++
	if err := datasync(j.f); err != nil {
		return position{}, err
	}
	ok = true
	return position{j.seg, j.frames}, nil
}

// appendRecord appends a record's encoding in a frame payload.
func appendRecord(b []byte, rec store.Record) []byte {
	b = binary.AppendUvarint(b, uint64(len(rec.Account)))
	b = append(b, rec.Account...)
	b = binary.AppendUvarint(b, uint64(len(rec.ID)))
	b = append(b, rec.ID...)
	b = binary.AppendUvarint(b, uint64(len(rec.Data)))
	return append(b, rec.Data...)
}

// dropBefore deletes the segments numbered below n: every batch in them is
// in the store.
func (j *journal) dropBefore(n uint64) error {
	segs, err := segments(j.dir)
	if err != nil {
		return err
	}
	removed := false
	for _, s := range segs {
		if s >= n {
			break
		}
		if err := os.Remove(filepath.Join(j.dir, segmentName(s))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		removed = true
	}
	if removed {
		return syncDir(j.dir)
	}
	return nil
}

// close closes the current segment and, when drop is set (everything is in
// the store), deletes every segment before it. The current one stays, all
// of it applied, so that the next process numbers its segments after it:
// the store's applied position (kindJournal) must stay behind every frame
// written later, or a replay would take new frames for applied ones.
func (j *journal) close(drop bool) error {
	if j.spare != nil {
		j.discard(<-j.spare)
		j.spare = nil
	}
	err := j.f.Close()
	if drop && err == nil {
		err = j.dropBefore(j.seg)
	}
	return errors.Join(err, j.lock.Close())
}
