package restorebackup

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// syncPool syncs and closes an extraction's files on workers of their own. fsync(2) waits for the disk,
// not for a core: done in line, each file's sync waited for the previous one's and the tar stream stood
// still meanwhile. The extractor still creates and writes every file itself, in the tar's order; a pool
// that wrote the blocks too measured slower without fsync (the writes compete for the same two cores
// and, within one file, for its inode lock).
type syncPool struct {
	files chan *writtenFile
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
}

// writtenFile is a file whose bytes are all written: it is left to set its mode, sync, close and date.
type writtenFile struct {
	f         *os.File
	dst, name string
	mode      os.FileMode
	modTime   time.Time
}

func newSyncPool(workers int) *syncPool {
	p := &syncPool{files: make(chan *writtenFile, 4*workers)}
	for range max(1, workers) {
		p.wg.Go(func() {
			for wf := range p.files {
				if err := wf.finish(true); err != nil {
					p.fail(err)
				}
			}
		})
	}
	return p
}

// finish sets the file's mode and modification time, syncs it when asked and closes it.
func (wf *writtenFile) finish(sync bool) error {
	err := wf.f.Chmod(wf.mode)
	if err == nil && !wf.modTime.IsZero() {
		// Only for the record (PostgreSQL does not read it); a failure does not matter. Through the
		// descriptor, not the name: by the time a pool worker gets here, a later entry of the tar may
		// have replaced the name.
		tv := []syscall.Timeval{syscall.NsecToTimeval(time.Now().UnixNano()), syscall.NsecToTimeval(wf.modTime.UnixNano())}
		_ = syscall.Futimes(int(wf.f.Fd()), tv)
	}
	if err == nil && sync {
		err = wf.f.Sync()
	}
	if cerr := wf.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s (%q in the backup): %w", wf.dst, clip(wf.name), err)
	}
	return nil
}

func (p *syncPool) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// failed is the first error so far, so that the extraction stops early.
func (p *syncPool) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// close waits for every file handed to the pool and returns the first error.
func (p *syncPool) close() error {
	close(p.files)
	p.wg.Wait()
	return p.failed()
}
