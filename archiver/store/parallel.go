package store

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// PartsPerStep is how many parts of one size a parallel upload sends before the size doubles: S3 allows
// 10 000 parts, so 8 MiB parts alone would stop a tar at 80 GB, while doubling every 1000 parts reaches
// terabytes and keeps small backups in small parts.
const PartsPerStep = 1000

// MaxPartSize caps the growth (S3's largest part).
const MaxPartSize = 5 << 30

// PartSize is the size of part n (1-based) of a parallel upload whose first parts are base bytes.
func PartSize(base int64, n int) int64 {
	size := base << min((n-1)/PartsPerStep, 20)
	return min(size, MaxPartSize)
}

// SendParts reads body into parts of PartSize(base, n) bytes and hands each to part, with up to jobs
// calls in flight; memory is about jobs+1 parts. A body that ends within the first part is given to
// single instead (one plain request), and parts is then 0. The first error stops reading and is
// returned once every call in flight has returned; ctx is cancelled for them.
func SendParts(ctx context.Context, body io.Reader, jobs int, base int64,
	single func(ctx context.Context, b []byte) error,
	part func(ctx context.Context, n int, b []byte) error,
) (parts int, total int64, err error) {
	if jobs < 1 {
		return 0, 0, fmt.Errorf("parallel upload: jobs must be at least 1, got %d", jobs)
	}
	if base <= 0 {
		return 0, 0, fmt.Errorf("parallel upload: part size must be positive, got %d", base)
	}
	first := make([]byte, base)
	n, rerr := io.ReadFull(body, first)
	if rerr != nil && !bodyEnded(rerr) {
		return 0, 0, fmt.Errorf("reading the body: %w", rerr)
	}
	if rerr != nil {
		return 0, int64(n), single(ctx, first[:n])
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	free := make(chan []byte, jobs+1)
	free <- first
	for range jobs {
		free <- nil
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(e error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = e
			cancel(e)
		}
		mu.Unlock()
	}
	buf := <-free
	for i := 1; ; i++ {
		if i > 1 {
			select {
			case buf = <-free:
			case <-ctx.Done():
				buf = nil
			}
			if ctx.Err() != nil {
				break
			}
			size := PartSize(base, i)
			if int64(cap(buf)) < size {
				buf = make([]byte, size)
			}
			buf = buf[:size]
			n, rerr = io.ReadFull(body, buf)
			if rerr != nil && !bodyEnded(rerr) {
				fail(fmt.Errorf("reading the body: %w", rerr))
				break
			}
			if n == 0 {
				break
			}
		}
		parts, total = i, total+int64(n)
		b := buf[:n]
		wg.Go(func() {
			if err := part(ctx, i, b); err != nil {
				fail(err)
			}
			free <- b[:cap(b)]
		})
		if rerr != nil {
			break
		}
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	return parts, total, firstErr
}

// bodyEnded tells the end of the body from a failure: io.ReadFull returns io.EOF or io.ErrUnexpectedEOF
// themselves at a clean end, while a source that broke may return an error that wraps them (a
// connection's "unexpected EOF"), which must fail the upload instead of completing a truncated object.
func bodyEnded(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF } //nolint:errorlint

// Creator is the part of Store that CreateSerially needs.
type Creator interface {
	Create(ctx context.Context, key string, body io.Reader, size int64, opts PutOptions) error
}

// CreateSerially is CreateParallel for a store with no parallel path (an in-memory fake): one Create of
// unknown size, returning the bytes it read.
func CreateSerially(ctx context.Context, s Creator, key string, body io.Reader, opts PutOptions) (int64, error) {
	c := &CountingReader{R: body}
	if err := s.Create(ctx, key, c, -1, opts); err != nil {
		return 0, err
	}
	return c.N, nil
}

// CountingReader counts the bytes read through it.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}
