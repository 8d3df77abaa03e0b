package stream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// ErrConflict means the store holds different content at the key; the object is never replaced.
var ErrConflict = errors.New("the store already holds different content at this key")

// Target is where and how files go: the store, its layout, the codec and the tags. SetTarget replaces it
// between uploads.
type Target struct {
	Store       store.Store
	Layout      layout.Layout
	Codec       compress.Codec
	Tags        map[string]string
	HistoryTags map[string]string
}

// UploaderConfig says where and how spooled files go.
type UploaderConfig struct {
	// Target is where uploads go first; SetTarget replaces it.
	Target
	// MaxParallel is the number of uploads in flight; memory does not depend on the backlog.
	MaxParallel int
	Metrics     *metrics.Metrics
	Log         logr.Logger
	// Backoff bounds the wait between attempts (jittered exponential from 100 ms).
	MaxBackoff time.Duration
}

// Result is the outcome of one spooled file.
type Result struct {
	File string
	Name layout.Name
	Key  string
	Err  error // nil, ErrConflict, or the context's error when stopping
}

// Uploader uploads complete files, from the spool or from memory, with a fixed number of workers.
type Uploader struct {
	cfg   UploaderConfig
	spool *Spool
	bufs  *buffers
	mu    sync.Mutex
	cond  *sync.Cond
	queue []string
	known map[string]bool // queued or in flight
	busy  int
	// partials are segments whose .partial object this process wrote, deleted once the segment is stored.
	partials map[string]*Target
	// sums are the sha256 of files hashed while they were received (SubmitSum, SubmitMemory).
	sums map[string]string
	// mem holds the segments queued from memory (SubmitMemory) until a worker takes them.
	mem map[string][]byte
	// abandoned are uploads in flight that Abandon gave up; their worker stops at its next attempt.
	abandoned map[string]bool
	// failing is set while the latest upload attempt failed: waiting for a buffer is then no use.
	failing atomic.Bool
	results chan<- Result
	// target is read once per attempt (an atomic load, no file read), so a new one takes effect at the
	// next attempt while an attempt in flight finishes on the one it started with.
	target atomic.Pointer[Target]
}

// NewUploader starts the workers; they stop when ctx ends. Each finished file is reported on results.
// Buffers of segments submitted from memory go back to bufs once stored, refused or abandoned.
func NewUploader(ctx context.Context, cfg UploaderConfig, spool *Spool, bufs *buffers, results chan<- Result) *Uploader {
	if cfg.MaxParallel < 1 {
		cfg.MaxParallel = 1
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	u := &Uploader{cfg: cfg, spool: spool, bufs: bufs, known: map[string]bool{}, partials: map[string]*Target{},
		sums: map[string]string{}, mem: map[string][]byte{}, abandoned: map[string]bool{}, results: results}
	first := cfg.Target
	u.target.Store(&first)
	u.cond = sync.NewCond(&u.mu)
	go func() {
		<-ctx.Done()
		u.mu.Lock()
		u.cond.Broadcast()
		u.mu.Unlock()
	}()
	for i := 0; i < cfg.MaxParallel; i++ {
		go u.worker(ctx)
	}
	return u
}

// SetTarget sends the next attempts to t: an upload in flight finishes where it started, the next
// attempt of every file (a retry too) goes to t. What the old target holds stays there.
func (u *Uploader) SetTarget(t Target) {
	old := u.target.Swap(&t)
	// V(1): the caller says why the target changed, at info; this is the uploader's own trace of it.
	u.cfg.Log.V(1).Info("upload target changed; the next uploads go to the new one", "oldDestination", old.Layout.WALPrefix(),
		"newDestination", t.Layout.WALPrefix(), "oldCompression", old.Codec.Name(), "newCompression", t.Codec.Name())
}

// Current is the target of the next attempt.
func (u *Uploader) Current() *Target { return u.target.Load() }

// Submit queues a spool file (its bare name) unless it is already queued or in flight.
func (u *Uploader) Submit(file string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.known[file] {
		return
	}
	u.known[file] = true
	u.queue = append(u.queue, file)
	u.cfg.Metrics.QueuedFiles.Set(float64(len(u.known)))
	u.cond.Signal()
}

// SubmitMemory queues a complete segment held in buf (its bare name, its hex sha256 or ""); the uploader
// owns buf from now on. When the name is already queued or in flight (WAL streamed again after a
// reconnect), that upload covers it and buf goes back at once.
func (u *Uploader) SubmitMemory(file string, buf []byte, sum string) {
	u.mu.Lock()
	if u.known[file] {
		u.mu.Unlock()
		u.bufs.put(buf)
		return
	}
	u.mem[file] = buf
	u.mu.Unlock()
	u.SubmitSum(file, sum)
}

// SubmitSum is Submit for a file whose sha256 (hex) is already known from writing it; "" means unknown.
// An uncompressed upload then starts at once instead of reading and hashing the file first.
func (u *Uploader) SubmitSum(file, sum string) {
	if sum != "" {
		u.mu.Lock()
		u.sums[file] = sum
		u.mu.Unlock()
	}
	u.Submit(file)
}

// knownSum is the sha256 recorded by SubmitSum for file, or "".
func (u *Uploader) knownSum(file string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sums[file]
}

// forgetSum drops a recorded sha256, so that the next attempt hashes the file itself.
func (u *Uploader) forgetSum(file string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.sums, file)
}

// Abandon gives up the named files: queued ones leave the queue, ones in flight stop at their next
// attempt, and their spool files and memory buffers are freed. A file already stored stays stored.
func (u *Uploader) Abandon(files []string) {
	u.mu.Lock()
	drop := map[string]bool{}
	for _, f := range files {
		if u.known[f] {
			drop[f] = true
		}
	}
	kept := u.queue[:0]
	var bufs [][]byte
	for _, f := range u.queue {
		if !drop[f] {
			kept = append(kept, f)
			continue
		}
		delete(drop, f)
		delete(u.known, f)
		delete(u.sums, f)
		if b := u.mem[f]; b != nil {
			bufs = append(bufs, b)
			delete(u.mem, f)
		}
	}
	u.queue = kept
	for f := range drop {
		u.abandoned[f] = true // in flight
	}
	u.cfg.Metrics.QueuedFiles.Set(float64(len(u.known)))
	u.mu.Unlock()
	for _, b := range bufs {
		u.bufs.put(b)
	}
	for _, f := range files {
		if err := u.spool.Remove(f); err != nil {
			u.cfg.Log.Error(err, "could not remove a given-up spool file", "file", f)
		}
	}
}

func (u *Uploader) isAbandoned(file string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.abandoned[file]
}

// Failing reports whether the latest upload attempt failed (the store is down or refusing).
func (u *Uploader) Failing() bool { return u.failing.Load() }

// Idle reports whether nothing is queued or in flight.
func (u *Uploader) Idle() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.known) == 0
}

func (u *Uploader) worker(ctx context.Context) {
	for {
		u.mu.Lock()
		for len(u.queue) == 0 && ctx.Err() == nil {
			u.cond.Wait()
		}
		if ctx.Err() != nil {
			u.mu.Unlock()
			return
		}
		file := u.queue[0]
		u.queue = u.queue[1:]
		mem := u.mem[file]
		delete(u.mem, file)
		u.mu.Unlock()

		res := u.archive(ctx, file, mem)
		u.bufs.put(mem)

		u.mu.Lock()
		delete(u.known, file)
		delete(u.sums, file)
		delete(u.abandoned, file)
		u.cfg.Metrics.QueuedFiles.Set(float64(len(u.known)))
		u.mu.Unlock()
		select {
		case u.results <- res:
		case <-ctx.Done():
			return
		}
	}
}

// archive stores one file, from mem when it is in memory, else from the spool, retrying until it is
// stored, refused as a conflict, or ctx ends.
func (u *Uploader) archive(ctx context.Context, file string, mem []byte) Result {
	n, err := layout.Parse(file)
	res := Result{File: file, Name: n}
	if err != nil {
		res.Err = err
		return res
	}
	kind := n.Kind.String()
	began := time.Now()
	for attempt := 0; ; attempt++ {
		tg := u.Current()
		res.Key = tg.Layout.Key(n, tg.Codec.Ext())
		err := u.attempt(ctx, tg, file, n, res.Key, mem)
		u.failing.Store(err != nil && !errors.Is(err, ErrConflict))
		if err == nil {
			break
		}
		if errors.Is(err, ErrConflict) {
			u.cfg.Metrics.Conflicts.Inc()
			u.cfg.Metrics.Fail(metrics.ReasonConflict)
			u.cfg.Metrics.Health.Conflict(res.Key)
			u.cfg.Log.Error(err, "REFUSING TO OVERWRITE: the object store holds different content for this WAL file; "+
				"archiving of it stopped and the position is not confirmed past it. Another cluster may be archiving to the "+
				"same destinationPath/serverName.", "key", res.Key, "file", file)
			if perr := u.park(file, mem); perr != nil {
				u.cfg.Log.Error(perr, "could not park the refused file in the spool", "file", file)
			}
			res.Err = ErrConflict
			return res
		}
		if ctx.Err() != nil {
			res.Err = ctx.Err()
			return res
		}
		if u.isAbandoned(file) {
			res.Err = errGivenUp
			return res
		}
		// Retries hash the file again: a recorded sum that no longer matches the file (a damaged disk)
		// would otherwise be refused by the service forever.
		u.forgetSum(file)
		u.cfg.Metrics.Fail(metrics.ReasonUpload)
		wait := backoff(attempt, u.cfg.MaxBackoff)
		u.cfg.Log.Info("upload failed, retrying", "key", res.Key, "attempt", attempt+1, "retryIn", wait.String(), "error", err.Error())
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			res.Err = ctx.Err()
			return res
		}
	}
	u.cfg.Metrics.UploadSeconds.WithLabelValues(kind).Observe(time.Since(began).Seconds())
	// Also for a segment uploaded from memory: the same WAL streamed again may have reached the spool.
	if err := u.spool.Remove(file); err != nil {
		u.cfg.Log.Error(err, "could not remove an uploaded spool file; it will be uploaded again (idempotently)", "file", file)
	}
	if n.Kind == layout.Segment {
		u.cfg.Metrics.ArchivedSegments.Inc()
		u.dropPartial(ctx, n)
	}
	return res
}

// dropPartial deletes the .partial object of a segment now stored whole: restore prefers the segment
// anyway, and a stale .partial would only cost storage and confuse a person listing the archive.
func (u *Uploader) dropPartial(ctx context.Context, n layout.Name) {
	u.mu.Lock()
	tg := u.partials[n.String()]
	delete(u.partials, n.String())
	u.mu.Unlock()
	if tg == nil {
		return
	}
	// At the target that holds it, which a change of target since then does not move.
	key := tg.Layout.Key(n.AsPartial(), tg.Codec.Ext())
	if err := tg.Store.Delete(ctx, key); err != nil {
		u.cfg.Log.Info("could not delete a superseded .partial object", "key", key, "error", err.Error())
	}
}

// park keeps a refused file for a person, in the spool under <name>.conflict, where the next start finds it.
func (u *Uploader) park(file string, mem []byte) error {
	if mem != nil {
		return u.spool.WriteFile(file+extConflict, mem)
	}
	return u.spool.Park(file)
}

func (u *Uploader) attempt(ctx context.Context, tg *Target, file string, n layout.Name, key string, mem []byte) error {
	var src io.ReadSeeker
	var walSize int64
	if mem != nil {
		src, walSize = bytes.NewReader(mem), int64(len(mem))
	} else {
		f, err := os.Open(u.spool.path(file))
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		src, walSize = f, st.Size()
	}
	body, size, sum, cleanup, err := u.prepare(tg.Codec, src, walSize, file, mem != nil)
	if err != nil {
		return fmt.Errorf("compressing %s: %w", file, err)
	}
	defer cleanup()
	opts := putOptions(tg, n, sum)
	if n.Kind == layout.Partial {
		err = tg.Store.Put(ctx, key, body, size, opts)
	} else {
		err = tg.Store.Create(ctx, key, body, size, opts)
		if err != nil && !errors.Is(err, store.ErrExists) && ctx.Err() == nil {
			// A service may refuse an existing key before reading the body and close the connection, which
			// the client sees as a broken pipe rather than 412. One Stat after a failure (never before a
			// create) avoids re-sending the segment through backoff when it is already there, which is the
			// common case for WAL re-streamed after a restart.
			if _, serr := tg.Store.Stat(ctx, key); serr == nil {
				err = store.ErrExists
			}
		}
	}
	if errors.Is(err, store.ErrExists) {
		same, cerr := sameContent(ctx, tg.Store, key, sum)
		if cerr != nil {
			u.cfg.Metrics.Fail(metrics.ReasonCompare)
			return fmt.Errorf("%s exists; comparing it: %w", key, cerr)
		}
		if !same {
			return ErrConflict
		}
		u.cfg.Log.Info("already archived with identical content", "key", key)
		err = nil
	}
	if err != nil {
		return err
	}
	u.cfg.Metrics.UploadedBytes.Add(float64(size))
	if n.Kind == layout.Segment {
		u.cfg.Metrics.ArchivedBytes.Add(float64(walSize))
		u.cfg.Log.V(1).Info("archived", "key", key, "bytes", size)
	} else {
		u.cfg.Log.Info("archived", "key", key, "bytes", size)
	}
	return nil
}

func putOptions(tg *Target, n layout.Name, sum string) store.PutOptions {
	tags := tg.Tags
	if n.Kind == layout.History && tg.HistoryTags != nil {
		tags = tg.HistoryTags
	}
	return store.PutOptions{Metadata: map[string]string{store.MetaSHA256: sum}, Tags: tags, ContentType: "application/octet-stream"}
}

// prepare returns the bytes to upload as a seekable body with its size and sha256: src itself when
// uncompressed, else a compressed copy: in memory for a segment that is in memory, in the spool's tmp
// directory for a spool file (whatever the backlog, memory holds only what the budget allows).
func (u *Uploader) prepare(codec compress.Codec, src io.ReadSeeker, walSize int64, file string, inMemory bool) (io.Reader, int64, string, func(), error) {
	h := sha256.New()
	if codec.Ext() == "" {
		if sum := u.knownSum(file); sum != "" {
			return src, walSize, sum, func() {}, nil
		}
		size, err := io.Copy(h, src)
		if err != nil {
			return nil, 0, "", nil, err
		}
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			return nil, 0, "", nil, err
		}
		return src, size, hex.EncodeToString(h.Sum(nil)), func() {}, nil
	}
	if inMemory {
		out := compressed.Get().(*bytes.Buffer)
		out.Reset()
		release := func() { compressed.Put(out) }
		if err := compressTo(codec, out, h, src); err != nil {
			release()
			return nil, 0, "", nil, err
		}
		return bytes.NewReader(out.Bytes()), int64(out.Len()), hex.EncodeToString(h.Sum(nil)), release, nil
	}
	tmp, err := os.CreateTemp(filepath.Join(u.spool.Dir, "tmp"), file+".*")
	if err != nil {
		return nil, 0, "", nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	err = compressTo(codec, tmp, h, src)
	var size int64
	if err == nil {
		size, err = tmp.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		cleanup()
		return nil, 0, "", nil, err
	}
	return tmp, size, hex.EncodeToString(h.Sum(nil)), cleanup, nil
}

// compressTo writes src through codec to dst, hashing what it writes with h.
func compressTo(codec compress.Codec, dst io.Writer, h hash.Hash, src io.Reader) error {
	w, err := codec.NewWriter(io.MultiWriter(dst, h))
	if err != nil {
		return err
	}
	_, err = io.Copy(w, src)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// compressed holds the compressed copies of segments uploaded from memory: at most one per worker at a
// time, reused so that a busy archiver does not allocate a segment's worth for every upload.
var compressed = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// sameContent compares the stored object with sum: by the sha256 metadata wal-archiver writes, or by
// reading the object when it has none (another tool wrote it).
func sameContent(ctx context.Context, st store.Store, key, sum string) (bool, error) {
	obj, err := st.Stat(ctx, key)
	if err != nil {
		return false, err
	}
	for k, v := range obj.Metadata {
		if strings.EqualFold(k, store.MetaSHA256) {
			return strings.EqualFold(v, sum), nil
		}
	}
	rc, err := st.Get(ctx, key)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == sum, nil
}

// UploadPartial writes the first n bytes of segment seg read from src, zero-padded to a whole segment
// (PostgreSQL only restores whole-size segment files), as <segment>.partial, replacing the previous one.
func (u *Uploader) UploadPartial(ctx context.Context, seg layout.Name, src io.ReaderAt, n, segSize uint64) error {
	name := seg.AsPartial().String()
	tg := u.Current()
	tmp, err := os.CreateTemp(filepath.Join(u.spool.Dir, "tmp"), name+".*")
	if err != nil {
		return err
	}
	defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
	h := sha256.New()
	if err := compressTo(tg.Codec, tmp, h, io.MultiReader(io.NewSectionReader(src, 0, int64(n)), io.LimitReader(zeros{}, int64(segSize-n)))); err != nil {
		return err
	}
	size, _ := tmp.Seek(0, io.SeekCurrent)
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key := tg.Layout.Key(seg.AsPartial(), tg.Codec.Ext())
	began := time.Now()
	if err := tg.Store.Put(ctx, key, tmp, size, putOptions(tg, seg.AsPartial(), hex.EncodeToString(h.Sum(nil)))); err != nil {
		u.cfg.Metrics.Fail(metrics.ReasonUpload)
		return err
	}
	u.mu.Lock()
	u.partials[seg.String()] = tg
	u.mu.Unlock()
	u.cfg.Metrics.UploadSeconds.WithLabelValues("partial").Observe(time.Since(began).Seconds())
	u.cfg.Metrics.Partials.Inc()
	u.cfg.Metrics.UploadedBytes.Add(float64(size))
	u.cfg.Log.V(1).Info("archived partial segment", "key", key, "walBytes", n)
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// backoff is exponential from 100 ms up to max, with full jitter so that many archivers recovering from
// the same outage do not retry in step.
func backoff(attempt int, ceiling time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 10)
	if d > ceiling || d <= 0 {
		d = ceiling
	}
	return d/2 + rand.N(d/2+1)
}
