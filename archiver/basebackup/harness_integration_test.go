//go:build integration

package basebackup

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/archivertest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// target is one store as both we and barman reach it (the shared harness's).
type target struct{ *archivertest.Target }

func minioTarget(t testing.TB, server string) *target {
	return &target{archivertest.NewTarget(t, "s3", server)}
}

func fakeGCSTarget(t testing.TB, server string) *target {
	return &target{archivertest.NewTarget(t, "gcs", server)}
}

func azuriteTarget(t testing.TB, server string) *target {
	return &target{archivertest.NewTarget(t, "azure", server)}
}

// startStream runs the WAL archiver on pg into the target until the test ends.
func startStream(t testing.TB, pg *testservers.Postgres, tg *target, codec string) *metrics.Metrics {
	t.Helper()
	return tg.StartStream(t, pg, codec, testLog(t).WithName("stream"))
}

func backupConfig(t testing.TB, pg *testservers.Postgres, tg *target, codec string) Config {
	conn, err := pgconn.ParseConfig(pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	return Config{Conn: conn, Store: tg.Store, Layout: tg.Layout, Compression: codec, Jobs: 4, ImmediateCheckpoint: true,
		WALTimeout: 2 * time.Minute, PollInterval: 200 * time.Millisecond, Log: testLog(t)}
}

// pgbench runs a pgbench load on pg until the returned stop is called.
func pgbench(t testing.TB, pg *testservers.Postgres) (stop func()) { return pg.Pgbench(t) }

// switchAndWait closes the current segment and waits until the target's archive holds it.
func switchAndWait(t testing.TB, pg *testservers.Postgres, tg *target) {
	t.Helper()
	tg.SwitchAndWait(t, pg)
}

func waitFor(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	testservers.WaitFor(t, timeout, cond, what)
}

func barmanTool(t testing.TB, name string) string {
	t.Helper()
	if dir := os.Getenv("BARMAN_BINDIR"); dir != "" {
		return filepath.Join(dir, name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (set BARMAN_BINDIR; hack/tools/install.sh barman installs Debian's barman-cli-cloud): %v", name, err)
	}
	return p
}

// barman runs a barman-cloud tool against the target and returns its output.
func (tg *target) barman(t testing.TB, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(barmanTool(t, tool), append(append([]string{}, tg.Flags...), args...)...)
	cmd.Env = append(os.Environ(), append([]string{"TZ=UTC"}, tg.Env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}

// barmanRecover restores backup id with barman-cloud-restore into a new data directory and recovers it
// with barman-cloud-wal-restore as restore_command, with the recovery settings conf; it returns the
// running, promoted server.
func (tg *target) barmanRecover(t testing.TB, id string, segMB int, conf ...string) *testservers.Postgres {
	return tg.recoverWith(t, id, segMB, nil, conf)
}

// barmanRecoverTS is barmanRecover to the end of the archive with a tablespace relocation (NAME:/path).
func (tg *target) barmanRecoverTS(t testing.TB, id, tablespace string) *testservers.Postgres {
	return tg.recoverWith(t, id, 1, []string{"--tablespace", tablespace}, nil)
}

func (tg *target) recoverWith(t testing.TB, id string, segMB int, restoreArgs, conf []string) *testservers.Postgres {
	t.Helper()
	p := testservers.NewPostgresDir(t, testservers.PostgresOptions{WALSegSizeMB: segMB, Conf: senderConf})
	tg.barman(t, "barman-cloud-restore", append(restoreArgs, tg.Dest, tg.Server, id, p.DataDir)...)
	if out, err := exec.Command("chown", "-R", "postgres:postgres", p.DataDir).CombinedOutput(); os.Geteuid() == 0 && err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	if err := os.Chmod(p.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"backup_label", "global/pg_control"} {
		if _, err := os.Stat(filepath.Join(p.DataDir, f)); err != nil {
			t.Fatalf("barman-cloud-restore left no %s: %v", f, err)
		}
	}
	p.Configure(t)
	restore := fmt.Sprintf("restore_command = '%s %s %s %s %%f %%p'", barmanTool(t, "barman-cloud-wal-restore"),
		strings.Join(tg.Flags, " "), tg.Dest, tg.Server)
	p.SetEnv(append([]string{"TZ=UTC"}, tg.Env...))
	p.AppendConf(t, append([]string{restore, "archive_mode = off"}, conf...)...)
	if err := os.WriteFile(filepath.Join(p.DataDir, "recovery.signal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	testservers.ChownPostgres(t, filepath.Join(p.DataDir, "recovery.signal"))
	p.Start(t)
	waitFor(t, 5*time.Minute, func() bool {
		v, err := p.TrySQL("SELECT pg_is_in_recovery()")
		return err == nil && v == "f"
	}, func() string { return "recovery did not finish" })
	return p
}

// senderConf is the primary's replication capacity; a restored copy needs as much.
var senderConf = []string{"max_wal_senders = 10", "max_replication_slots = 10"}

func testLog(t testing.TB) logr.Logger { return testservers.Log(t) }

func readAll(t testing.TB, r interface{ Read([]byte) (int, error) }) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			return b.String()
		}
	}
}
