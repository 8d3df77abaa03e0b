package durable

import (
	"io"
	"os"
	"path/filepath"
	"sync"
)

// SyncDir fsyncs a directory, so that files created, renamed or removed in it stay so after a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// WriteFile writes what r yields to path with mode 0600 through a temporary file in tmpDir, which must be
// on the same filesystem: the temporary file is fsynced, renamed over path, and path's directory fsynced.
// Readers of path see the old file or the whole new one, never a part. On error, path is untouched and
// the temporary file is gone.
func WriteFile(path, tmpDir string, r io.Reader) error {
	f, err := os.CreateTemp(tmpDir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := copyInto(f, r); err != nil {
		return err
	}
	// CreateTemp's 0600 passes through the umask; the owner (PostgreSQL, for restored WAL) needs both bits.
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	ok = true
	return SyncDir(filepath.Dir(path))
}

// copyBufs hold 1 MiB: a 16 MiB segment is written in 16 writes, not the 512 of io.Copy's 32 KiB.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// copyInto copies r into f. A file source goes through the kernel (copy_file_range); any other through a
// pooled buffer, which *os.File's own ReadFrom would replace with 32 KiB.
func copyInto(f *os.File, r io.Reader) error {
	if src, ok := r.(*os.File); ok {
		_, err := io.Copy(f, src)
		return err
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	// The struct hides the file's ReadFrom, so that io.CopyBuffer uses buf.
	_, err := io.CopyBuffer(struct{ io.Writer }{f}, r, *buf)
	return err
}
