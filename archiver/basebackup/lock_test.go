package basebackup

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
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

// TestStagesAreExported: every failure stage Reason returns has its metric series from the start.
func TestStagesAreExported(t *testing.T) {
	if strings.Join(Stages, ",") != strings.Join(metrics.BackupStages, ",") {
		t.Fatalf("basebackup stages %v, metrics exports %v", Stages, metrics.BackupStages)
	}
	if Reason(errors.New("x")) != StageUpload || Reason(stage(StageWAL, errors.New("x"))) != StageWAL {
		t.Fatal("Reason does not read the stage")
	}
}
