package basebackup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the lock file in the spool directory, which the stream process and an exec'd
// `wal-archiver backup` in the same container both see.
const LockName = "backup.lock"

// ErrRunning is returned by Lock while another backup holds the lock.
var ErrRunning = errors.New("a base backup is already running")

// Lock takes the backup lock in dir (an flock, released by the kernel when the process dies, so a killed
// backup never leaves a stale lock). unlock releases it.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup lock: %w", err)
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if pid := strings.TrimSpace(string(holder)); pid != "" {
				return nil, fmt.Errorf("%w (process %s holds %s); try again when it has finished", ErrRunning, pid, path)
			}
			return nil, fmt.Errorf("%w (%s is held); try again when it has finished", ErrRunning, path)
		}
		return nil, fmt.Errorf("backup lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
