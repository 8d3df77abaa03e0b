package restorebackup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// fetcher reads objects as ordered streams of ranged chunks. Two budgets are shared by every object of a
// restore: jobs bounds the requests in flight (the parallelism the store sees), buffers bounds the chunks
// held in memory, downloaded or being downloaded and not yet consumed. Each object's chunks are requested
// in order, so the chunk its reader waits for always holds a buffer and the restore always progresses.
type fetcher struct {
	st        Store
	chunkSize int64
	attempts  int
	jobs      chan struct{}
	buffers   chan struct{}
	pool      sync.Pool
	// onBytes, when set, is told of every chunk fetched (progress, benchmarks).
	onBytes func(n int64)
}

func newFetcher(st Store, jobs int, chunkSize int64) *fetcher {
	f := &fetcher{st: st, chunkSize: chunkSize, attempts: 3, jobs: make(chan struct{}, jobs), buffers: make(chan struct{}, 2*jobs)}
	f.pool.New = func() any { b := make([]byte, chunkSize); return &b }
	return f
}

// chunk is one range of an object, filled by a download goroutine.
type chunk struct {
	done chan struct{}
	buf  *[]byte
	n    int
	err  error
}

// objectReader is the stream of one object's bytes, in order.
type objectReader struct {
	f      *fetcher
	queue  chan *chunk
	cancel context.CancelFunc
	cur    *chunk
	off    int
	err    error
	wg     sync.WaitGroup
}

// open starts fetching key (size bytes) ahead of the reader; Close stops it and returns every buffer.
func (f *fetcher) open(ctx context.Context, key string, size int64) *objectReader {
	ctx, cancel := context.WithCancel(ctx)
	window := max(1, cap(f.buffers))
	r := &objectReader{f: f, queue: make(chan *chunk, window), cancel: cancel}
	r.wg.Go(func() {
		defer close(r.queue)
		for off := int64(0); off < size; off += f.chunkSize {
			n := min(f.chunkSize, size-off)
			select {
			case f.buffers <- struct{}{}:
			case <-ctx.Done():
				return
			}
			c := &chunk{done: make(chan struct{}), buf: f.pool.Get().(*[]byte)}
			select {
			case r.queue <- c:
			case <-ctx.Done():
				f.pool.Put(c.buf)
				<-f.buffers
				return
			}
			r.wg.Go(func() {
				defer close(c.done)
				c.n, c.err = f.fetch(ctx, key, off, (*c.buf)[:n])
			})
		}
	})
	return r
}

// fetch fills buf with the range at off, retrying a failed request or a broken body: a driver's own
// retries cover the request, not a connection that breaks halfway through the body.
func (f *fetcher) fetch(ctx context.Context, key string, off int64, buf []byte) (int, error) {
	var err error
	for attempt := range f.attempts {
		if attempt > 0 {
			d := time.Duration(100<<attempt) * time.Millisecond
			select {
			case <-time.After(d/2 + rand.N(d/2)):
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		select {
		case f.jobs <- struct{}{}:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		var n int
		n, err = f.fetchOnce(ctx, key, off, buf)
		<-f.jobs
		if err == nil {
			if f.onBytes != nil {
				f.onBytes(int64(n))
			}
			return n, nil
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrPermission) || errors.Is(err, store.ErrAuthentication) ||
			ctx.Err() != nil {
			return 0, err
		}
	}
	return 0, err
}

func (f *fetcher) fetchOnce(ctx context.Context, key string, off int64, buf []byte) (int, error) {
	rc, err := f.st.GetRange(ctx, key, off, int64(len(buf)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, buf)
	if err != nil {
		return n, fmt.Errorf("reading %s bytes %d..%d: got %d of %d bytes: %w", key, off, off+int64(len(buf)), n, len(buf), err)
	}
	return n, nil
}

// fill makes the current chunk one with unread bytes, waiting for the next one when it is used up.
func (r *objectReader) fill() error {
	for r.err == nil && (r.cur == nil || r.off == r.cur.n) {
		r.release()
		c, ok := <-r.queue
		if !ok {
			r.err = io.EOF
			break
		}
		<-c.done
		r.cur, r.off = c, 0
		if c.err != nil {
			r.err = c.err
		}
	}
	return r.err
}

func (r *objectReader) Read(p []byte) (int, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, (*r.cur.buf)[r.off:r.cur.n])
	r.off += n
	return n, nil
}

// release gives the current chunk's buffer back to the pool and its budget to the next chunk.
func (r *objectReader) release() {
	if r.cur != nil {
		r.f.pool.Put(r.cur.buf)
		<-r.f.buffers
		r.cur = nil
	}
}

// Close stops fetching and returns every buffer this reader holds.
func (r *objectReader) Close() error {
	r.cancel()
	r.release()
	// Drain after the producer stops: every queued chunk holds a buffer and a budget slot.
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	for c := range r.queue {
		<-c.done
		r.f.pool.Put(c.buf)
		<-r.f.buffers
	}
	<-done
	return nil
}
