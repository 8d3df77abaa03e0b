//go:build integration

package basebackup

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// binDir holds the wal-archiver binary built for these tests.
var binDir string

func TestMain(m *testing.M) { os.Exit(testservers.RunWithArchiver(m, &binDir)) }

// archiverCmd is the wal-archiver binary with the target's settings, a spool dir and pg's connection.
func (tg *target) archiverCmd(pg *testservers.Postgres, spool string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "wal-archiver"), append(args[:1:1], append([]string{"--conninfo", pg.ConnString()}, args[1:]...)...)...)
	cmd.Env = append(os.Environ(), append([]string{"WAL_ARCHIVER_DESTINATION_PATH=" + tg.Dest, "WAL_ARCHIVER_SERVER_NAME=" + tg.Server,
		"WAL_ARCHIVER_SPOOL_DIR=" + spool, "WAL_ARCHIVER_LISTEN=127.0.0.1:0"}, tg.Env...)...)
	return cmd
}

// backupRunning says whether a walsender of pg is sending a base backup.
func backupRunning(pg *testservers.Postgres) bool {
	v, err := pg.TrySQL("SELECT count(*) FROM pg_stat_replication WHERE state = 'backup'")
	return err == nil && v != "0"
}

// infos lists the backups with a backup.info in the target, and whether any directory has tars only.
func infos(t *testing.T, tg *target) (done, incomplete []string) {
	t.Helper()
	c, err := catalog.Read(context.Background(), tg.Store, tg.Layout)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range c.Backups {
		done = append(done, b.ID)
	}
	for _, d := range c.Incomplete {
		incomplete = append(incomplete, d.Keys...)
	}
	return done, incomplete
}

// TestKilledBackupLeavesNothingVisible: while `wal-archiver backup` runs, a second one is refused (exit
// 3, "already running"); SIGKILL of the first leaves no backup.info (a directory of tars at most, which
// every reader ignores); the next backup takes the lock the kernel released and succeeds.
func TestKilledBackupLeavesNothingVisible(t *testing.T) {
	tg := minioTarget(t, "pg")
	pg := testservers.StartPostgres(t, testservers.PostgresOptions{WALSegSizeMB: 16, Conf: senderConf})
	startStream(t, pg, tg, "gzip")
	pg.Run(t, "pgbench", "-i", "-s", "10", "-q", "postgres")
	spool := t.TempDir()

	slow := tg.archiverCmd(pg, spool, "backup", "--data-compression", "bzip2", "--data-jobs", "1", "--data-immediate-checkpoint", "true")
	var out bytes.Buffer
	slow.Stdout, slow.Stderr = &out, &out
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = slow.Process.Kill(); _ = slow.Wait() })
	waitFor(t, time.Minute, func() bool { return backupRunning(pg) }, func() string { return "no base backup started: " + out.String() })

	second := tg.archiverCmd(pg, spool, "backup")
	msg, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(string(msg), "already running") {
		t.Fatalf("a second backup during the first: %v, %q; want exit 3 saying a backup is already running", err, msg)
	}

	if err := slow.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = slow.Wait()
	waitFor(t, time.Minute, func() bool { return !backupRunning(pg) }, func() string { return "the server still sends the killed backup" })
	if done, _ := infos(t, tg); len(done) != 0 {
		t.Fatalf("the killed backup is visible: %v", done)
	}

	next := tg.archiverCmd(pg, spool, "backup", "--data-compression", "gzip", "--data-immediate-checkpoint", "true")
	var stdout, stderr bytes.Buffer
	next.Stdout, next.Stderr = &stdout, &stderr
	if err := next.Run(); err != nil {
		t.Fatalf("the backup after the kill: %v\n%s", err, stderr.String())
	}
	id := strings.TrimSpace(stdout.String())
	if done, _ := infos(t, tg); len(done) != 1 || done[0] != id {
		t.Fatalf("after the next backup the catalog has %v, want exactly the printed ID %q", done, id)
	}
	if list := tg.barman(t, "barman-cloud-backup-list", tg.Dest, tg.Server); !strings.Contains(list, id) {
		t.Fatalf("barman-cloud-backup-list does not list %s:\n%s", id, list)
	}
}

// TestFailoverDuringBackup: the primary stops in the middle of a backup; the backup fails at the
// postgres stage, leaves no backup.info and deletes its tars; after the standby's promotion the next
// backup, of the new primary, succeeds.
func TestFailoverDuringBackup(t *testing.T) {
	tg := minioTarget(t, "pg")
	pg := testservers.StartPostgres(t, testservers.PostgresOptions{WALSegSizeMB: 1, Conf: senderConf})
	pg.Run(t, "pgbench", "-i", "-s", "10", "-q", "postgres")
	standby := testservers.StartStandby(t, pg, testservers.PostgresOptions{Conf: senderConf})
	startStream(t, pg, tg, "gzip")

	cfg := backupConfig(t, pg, tg, "bzip2")
	cfg.Jobs = 1
	errc := make(chan error, 1)
	go func() { _, err := Run(context.Background(), cfg); errc <- err }()
	waitFor(t, time.Minute, func() bool { return backupRunning(pg) }, func() string { return "no base backup started" })
	pg.Stop(t, "fast")
	var err error
	select {
	case err = <-errc:
	case <-time.After(2 * time.Minute):
		t.Fatal("the backup did not end when its server stopped")
	}
	if err == nil {
		t.Fatal("a backup whose server stopped in the middle succeeded")
	}
	if Reason(err) != StagePostgres {
		t.Errorf("failure reason %q (%v), want %q", Reason(err), err, StagePostgres)
	}
	if done, incomplete := infos(t, tg); len(done) != 0 || len(incomplete) != 0 {
		t.Fatalf("after the failed backup: backups %v, objects without backup.info %v; want none", done, incomplete)
	}

	standby.Promote(t)
	startStream(t, standby, tg, "gzip")
	res, err := Run(context.Background(), backupConfig(t, standby, tg, "gzip"))
	if err != nil {
		t.Fatalf("the backup of the promoted standby: %v", err)
	}
	checkStored(t, tg, res, "gzip")
	if res.Info.Timeline == nil || *res.Info.Timeline != 2 {
		t.Errorf("the new primary's backup is on timeline %v, want 2", res.Info.Timeline)
	}
}
