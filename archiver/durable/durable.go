package durable

import (
	"io"
	"os"
	"path/filepath"
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
	if _, err := io.Copy(f, r); err != nil {
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
