package basebackup

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLockExcludes: a second holder is refused with ErrRunning naming the holder; after unlock the lock
// can be taken again. Two opens in one process are two open file descriptions, so flock excludes them
// as it excludes two processes.
func TestLockExcludes(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	if !errors.Is(err, ErrRunning) {
		t.Fatalf("second Lock: got %v, want ErrRunning", err)
	}
	if !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("the refusal %q does not name the holder's pid", err)
	}
	unlock()
	unlock2, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}
