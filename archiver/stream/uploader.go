package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// ErrConflict means the store holds different content at the key; the object is never replaced.
var ErrConflict = errors.New("the store already holds different content at this key")

// UploaderConfig says where and how spooled files go.
type UploaderConfig struct {
	Store       store.Store
	Layout      layout.Layout
	Codec       compress.Codec
	Tags        map[string]string
	HistoryTags map[string]string
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

// Uploader uploads spool files with a fixed number of workers.
type Uploader struct {
	cfg   UploaderConfig
	spool *Spool
	mu    sync.Mutex
	cond  *sync.Cond
	queue []string
	known map[string]bool // queued or in flight
	busy  int
	// partials are segments whose .partial object this process wrote, deleted once the segment is stored.
	partials map[string]bool
	// sums are the sha256 of spool files hashed while they were written (SubmitSum).
	sums    map[string]string
	results chan<- Result
}

// NewUploader starts the workers; they stop when ctx ends. Each finished file is reported on results.
func NewUploader(ctx context.Context, cfg UploaderConfig, spool *Spool, results chan<- Result) *Uploader {
	if cfg.MaxParallel < 1 {
		cfg.MaxParallel = 1
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	u := &Uploader{cfg: cfg, spool: spool, known: map[string]bool{}, partials: map[string]bool{},
		sums: map[string]string{}, results: results}
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

// Submit queues a spool file (its bare name) unless it is already queued or in flight.
func (u *Uploader) Submit(file string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.known[file] {
		return
	}
	u.known[file] = true
	u.queue = append(u.queue, file)
	u.cfg.Metrics.SpoolFiles.Set(float64(len(u.known)))
	u.cond.Signal()
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
		u.mu.Unlock()

		res := u.archive(ctx, file)

		u.mu.Lock()
		delete(u.known, file)
		delete(u.sums, file)
		u.cfg.Metrics.SpoolFiles.Set(float64(len(u.known)))
		u.mu.Unlock()
		select {
		case u.results <- res:
		case <-ctx.Done():
			return
		}
	}
}

// archive stores one spool file, retrying until it is stored, refused as a conflict, or ctx ends.
func (u *Uploader) archive(ctx context.Context, file string) Result {
	n, err := layout.Parse(file)
	res := Result{File: file, Name: n}
	if err != nil {
		res.Err = err
		return res
	}
	res.Key = u.cfg.Layout.Key(n, u.cfg.Codec.Ext())
	kind := n.Kind.String()
	began := time.Now()
	for attempt := 0; ; attempt++ {
		err := u.attempt(ctx, file, n, res.Key)
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
			if perr := u.spool.Park(file); perr != nil {
				u.cfg.Log.Error(perr, "could not park the refused spool file", "file", file)
			}
			res.Err = ErrConflict
			return res
		}
		if ctx.Err() != nil {
			res.Err = ctx.Err()
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
	had := u.partials[n.String()]
	delete(u.partials, n.String())
	u.mu.Unlock()
	if !had {
		return
	}
	key := u.cfg.Layout.Key(n.AsPartial(), u.cfg.Codec.Ext())
	if err := u.cfg.Store.Delete(ctx, key); err != nil {
		u.cfg.Log.Info("could not delete a superseded .partial object", "key", key, "error", err.Error())
	}
}

func (u *Uploader) attempt(ctx context.Context, file string, n layout.Name, key string) error {
	src, err := os.Open(u.spool.path(file))
	if err != nil {
		return err
	}
	defer src.Close()
	body, size, sum, cleanup, err := u.prepare(src, file)
	if err != nil {
		return fmt.Errorf("compressing %s: %w", file, err)
	}
	defer cleanup()
	opts := u.putOptions(n, sum)
	if n.Kind == layout.Partial {
		err = u.cfg.Store.Put(ctx, key, body, size, opts)
	} else {
		err = u.cfg.Store.Create(ctx, key, body, size, opts)
		if err != nil && !errors.Is(err, store.ErrExists) && ctx.Err() == nil {
			// A service may refuse an existing key before reading the body and close the connection, which
			// the client sees as a broken pipe rather than 412. One Stat after a failure (never before a
			// create) avoids re-sending the segment through backoff when it is already there, which is the
			// common case for WAL re-streamed after a restart.
			if _, serr := u.cfg.Store.Stat(ctx, key); serr == nil {
				err = store.ErrExists
			}
		}
	}
	if errors.Is(err, store.ErrExists) {
		same, cerr := u.sameContent(ctx, key, sum)
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
		if st, serr := src.Stat(); serr == nil {
			u.cfg.Metrics.ArchivedBytes.Add(float64(st.Size()))
		}
		u.cfg.Log.V(1).Info("archived", "key", key, "bytes", size)
	} else {
		u.cfg.Log.Info("archived", "key", key, "bytes", size)
	}
	return nil
}

func (u *Uploader) putOptions(n layout.Name, sum string) store.PutOptions {
	tags := u.cfg.Tags
	if n.Kind == layout.History && u.cfg.HistoryTags != nil {
		tags = u.cfg.HistoryTags
	}
	return store.PutOptions{Metadata: map[string]string{store.MetaSHA256: sum}, Tags: tags, ContentType: "application/octet-stream"}
}

// prepare returns the bytes to upload as a seekable body with its size and sha256: the spool file itself
// when uncompressed, else a compressed copy in the spool's tmp directory (disk, not memory).
func (u *Uploader) prepare(src *os.File, file string) (io.Reader, int64, string, func(), error) {
	h := sha256.New()
	if u.cfg.Codec.Ext() == "" {
		if sum := u.knownSum(file); sum != "" {
			st, err := src.Stat()
			if err != nil {
				return nil, 0, "", nil, err
			}
			return src, st.Size(), sum, func() {}, nil
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
	tmp, err := os.CreateTemp(filepath.Join(u.spool.Dir, "tmp"), file+".*")
	if err != nil {
		return nil, 0, "", nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	w, err := u.cfg.Codec.NewWriter(io.MultiWriter(tmp, h))
	if err == nil {
		_, err = io.Copy(w, src)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
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

// sameContent compares the stored object with sum: by the sha256 metadata wal-archiver writes, or by
// reading the object when it has none (another tool wrote it).
func (u *Uploader) sameContent(ctx context.Context, key, sum string) (bool, error) {
	obj, err := u.cfg.Store.Stat(ctx, key)
	if err != nil {
		return false, err
	}
	for k, v := range obj.Metadata {
		if strings.EqualFold(k, store.MetaSHA256) {
			return strings.EqualFold(v, sum), nil
		}
	}
	rc, err := u.cfg.Store.Get(ctx, key)
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

// UploadPartial writes the first n bytes of the open segment, zero-padded to a whole segment (PostgreSQL
// only restores whole-size segment files), as <segment>.partial, replacing the previous one.
func (u *Uploader) UploadPartial(ctx context.Context, o *openSegment, n, segSize uint64) error {
	src, err := os.Open(o.f.Name())
	if err != nil {
		return err
	}
	defer src.Close()
	name := o.name.AsPartial().String()
	tmp, err := os.CreateTemp(filepath.Join(u.spool.Dir, "tmp"), name+".*")
	if err != nil {
		return err
	}
	defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
	h := sha256.New()
	w, err := u.cfg.Codec.NewWriter(io.MultiWriter(tmp, h))
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, io.MultiReader(io.NewSectionReader(src, 0, int64(n)), io.LimitReader(zeros{}, int64(segSize-n)))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	size, _ := tmp.Seek(0, io.SeekCurrent)
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key := u.cfg.Layout.Key(o.name.AsPartial(), u.cfg.Codec.Ext())
	began := time.Now()
	if err := u.cfg.Store.Put(ctx, key, tmp, size, u.putOptions(o.name.AsPartial(), hex.EncodeToString(h.Sum(nil)))); err != nil {
		u.cfg.Metrics.Fail(metrics.ReasonUpload)
		return err
	}
	u.mu.Lock()
	u.partials[o.name.String()] = true
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
