package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/durable"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// The spool holds, on the PGDATA volume:
//
//	<segment>.open      the segment being received (pre-sized, zero tail)
//	<segment>           a complete segment waiting for upload
//	<segment>.partial   the last segment of a timeline that ended, waiting for upload as .partial
//	<TLI>.history       a timeline history file waiting for upload
//	<name>.conflict     a file the store refused because it holds different content; kept for a person
//	tmp/                compressed copies being uploaded (removed at start)
//
// Files are written, fsynced and renamed into place with the directory fsynced, so whatever the archiver
// confirmed to PostgreSQL survives a crash of the archiver, the pod or the node.
const (
	extOpen     = ".open"
	extConflict = ".conflict"
)

// Spool is the spool directory.
type Spool struct {
	Dir string
}

// OpenSpool creates the directory if needed and clears leftovers of interrupted uploads.
func OpenSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("spool directory %s: %w (it must be writable and on the PGDATA volume)", dir, err)
	}
	tmp, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	for _, f := range tmp {
		_ = os.Remove(f)
	}
	return &Spool{Dir: dir}, durable.SyncDir(dir)
}

func (s *Spool) path(name string) string { return filepath.Join(s.Dir, name) }

// Pending lists the files waiting for upload (complete segments, .partial, .history) in archive order:
// history files first, then by name.
func (s *Spool) Pending() ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if n, err := layout.Parse(e.Name()); err == nil && n.Kind != layout.Backup {
			out = append(out, e.Name())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		hi, hj := strings.HasSuffix(out[i], ".history"), strings.HasSuffix(out[j], ".history")
		if hi != hj {
			return hi
		}
		return out[i] < out[j]
	})
	return out, nil
}

// Conflicts lists files parked after a conflict.
func (s *Spool) Conflicts() []string {
	m, _ := filepath.Glob(filepath.Join(s.Dir, "*"+extConflict))
	for i := range m {
		m[i] = strings.TrimSuffix(filepath.Base(m[i]), extConflict)
	}
	return m
}

// WriteFile stores a file (a timeline history, a segment that was in memory) durably under name.
func (s *Spool) WriteFile(name string, data []byte) error {
	return durable.WriteFile(s.path(name), s.path("tmp"), bytes.NewReader(data))
}

// openSegment is the segment being received: in memory while the budget allows (the store keeps up, so
// the WAL never touches the disk a second time), else in a spool file.
type openSegment struct {
	name  layout.Name
	start uint64
	f     *os.File // the spool file; nil when in memory
	mem   []byte   // the whole segment in memory; nil when in the spool
	// sum hashes the file as it is written, so a complete segment goes to the uploader with its sha256
	// and the upload does not start with another full read of the file; nil when the writes were not in
	// order from the start.
	sum    hash.Hash
	hashed uint64
}

// note feeds bytes just written at off into the running sha256. A write at the start (a segment
// streamed again after a reconnect) restarts it; any other write out of order drops it.
func (o *openSegment) note(off uint64, p []byte) {
	switch {
	case off == 0:
		o.sum, o.hashed = sha256.New(), 0
	case o.sum == nil || off != o.hashed:
		o.sum = nil
		return
	}
	o.sum.Write(p)
	o.hashed += uint64(len(p))
}

// writeAt puts p at off in the segment.
func (o *openSegment) writeAt(p []byte, off uint64) error {
	if o.mem != nil {
		copy(o.mem[off:], p)
		return nil
	}
	_, err := o.f.WriteAt(p, int64(off))
	return err
}

// snapshot is the first n bytes of the segment for a reader on another goroutine while the receiver goes
// on: a copy of the memory, or the spool file opened again. done releases it.
func (o *openSegment) snapshot(n uint64) (io.ReaderAt, func(), error) {
	if o.mem != nil {
		return bytes.NewReader(bytes.Clone(o.mem[:n])), func() {}, nil
	}
	f, err := os.Open(o.f.Name())
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// close drops the segment unfinished: a spool file stays for the next start, a buffer goes back.
func (o *openSegment) close(b *buffers) {
	if o.mem != nil {
		b.put(o.mem)
		o.mem = nil
		return
	}
	o.f.Close()
}

// wholeSum is the hex sha256 of the file when all size bytes were hashed in order, else "".
func (o *openSegment) wholeSum(size uint64) string {
	if o.sum == nil || o.hashed != size {
		return ""
	}
	return hex.EncodeToString(o.sum.Sum(nil))
}

// OpenSegment opens (or reopens after a restart, to be rewritten from its start) the spool file of name,
// sized to a whole segment so that a .partial cut from it is a valid segment file.
func (s *Spool) OpenSegment(name layout.Name, segSize uint64) (*openSegment, error) {
	p := s.path(name.String() + extOpen)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(segSize)); err != nil {
		f.Close()
		return nil, err
	}
	if err := durable.SyncDir(s.Dir); err != nil {
		f.Close()
		return nil, err
	}
	return &openSegment{name: name, start: name.SegNo(segSize) * segSize, f: f}, nil
}

// Finish fsyncs the open segment and renames it to final (the segment's name, or its .partial name
// when its timeline ended), making it durable and visible to the uploader.
func (s *Spool) Finish(o *openSegment, final layout.Name) error {
	if err := o.f.Sync(); err != nil {
		o.f.Close()
		return err
	}
	if err := o.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(s.path(o.name.String()+extOpen), s.path(final.String())); err != nil {
		return err
	}
	return durable.SyncDir(s.Dir)
}

// Park renames a refused file so it is kept but no longer uploaded.
func (s *Spool) Park(name string) error {
	if err := os.Rename(s.path(name), s.path(name+extConflict)); err != nil {
		return err
	}
	return durable.SyncDir(s.Dir)
}

// Remove deletes an uploaded file; losing the removal in a crash only causes an idempotent re-upload.
func (s *Spool) Remove(name string) error {
	err := os.Remove(s.path(name))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}
