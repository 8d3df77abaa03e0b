package restorebackup

import (
	"io"
	"sync"
)

// readAhead runs the reads of r in a goroutine of their own, up to depth blocks of size bytes ahead of
// the caller. A decompressor then works on one core while the extractor's writes (system calls) run on
// another, instead of one waiting for the other: barman-cloud-restore gets the same overlap by piping
// into tar, which decompresses in a second process.
//
// Close stops the goroutine and waits for it, so r may be closed after it; a read blocked inside r is
// waited for, so whatever r reads from must be stopped first when the caller gives up early.
func readAhead(r io.Reader, depth, size int) *aheadReader {
	a := &aheadReader{full: make(chan block, depth), free: make(chan []byte, depth+1), stop: make(chan struct{})}
	for range depth + 1 {
		a.free <- make([]byte, size)
	}
	a.wg.Go(func() { a.fill(r) })
	return a
}

type block struct {
	b   []byte
	err error
}

type aheadReader struct {
	full chan block
	free chan []byte
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	cur  block
	off  int
	have bool
}

func (a *aheadReader) fill(r io.Reader) {
	defer close(a.full)
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.stop:
			return
		}
		n, err := io.ReadFull(r, buf)
		// A short last block is the stream's end; any other error, wrapped EOFs included, is a failure.
		if err == io.ErrUnexpectedEOF { //nolint:errorlint // exactly ReadFull's own marker
			err = io.EOF
		}
		select {
		case a.full <- block{buf[:n], err}:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for !a.have || a.off == len(a.cur.b) {
		if a.have {
			if a.cur.err != nil {
				return 0, a.cur.err
			}
			a.free <- a.cur.b[:cap(a.cur.b)]
		}
		b, ok := <-a.full
		if !ok {
			return 0, io.ErrClosedPipe
		}
		a.cur, a.off, a.have = b, 0, true
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// Close stops reading ahead and waits for the goroutine to return.
func (a *aheadReader) Close() error {
	a.once.Do(func() { close(a.stop) })
	a.wg.Wait()
	return nil
}
