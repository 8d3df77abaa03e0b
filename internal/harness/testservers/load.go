package testservers

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// Pgbench runs a pgbench load (2 clients) on the server until the returned stop is called or the test
// ends; the database must have been initialised with `pgbench -i`.
func (p *Postgres) Pgbench(t testing.TB) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := p.Command(ctx, "pgbench", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", "-c", "2", "-T", "600", "-n", "postgres")
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("testservers: starting pgbench: %v", err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	return stop
}

// SwitchWAL closes the current segment and returns its name.
func (p *Postgres) SwitchWAL(t testing.TB) string {
	t.Helper()
	return p.SQL(t, "SELECT pg_walfile_name(pg_switch_wal())")
}

// WaitFor polls cond every 100 ms until it holds, failing the test after timeout with what() as the
// explanation.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, what())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BuildArchiver builds cmd/wal-archiver into a new directory the postgres OS user can read (a
// restore_command runs as postgres), for a TestMain; remove removes it.
func BuildArchiver() (binary string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "wal-archiver-bin-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		remove()
		return "", nil, err
	}
	binary = filepath.Join(dir, "wal-archiver")
	cmd := exec.Command("go", "build", "-o", binary, "github.com/objectstore-webhook/objectstore-webhook/cmd/wal-archiver")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		remove()
		return "", nil, err
	}
	return binary, remove, nil
}

// Log is a logger into the test's log that falls silent when the test ends (goroutines still running
// then must not call t.Log).
func Log(t testing.TB) logr.Logger {
	over := make(chan struct{})
	t.Cleanup(func() { close(over) })
	return funcr.New(func(prefix, args string) {
		select {
		case <-over:
		default:
			t.Log(prefix, args)
		}
	}, funcr.Options{Verbosity: 0})
}
