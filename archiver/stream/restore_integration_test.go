//go:build integration

package stream

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestRestoreFromArchive recovers fresh servers from a base backup taken without WAL plus the archive,
// through `wal-archiver restore` as restore_command: once to the end of the archive (the last committed
// row, which only the final .partial holds), once to a named restore point.
func TestRestoreFromArchive(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)
	r := startArchiver(t, pg, st, "restore", "zstd", func(c *Config) { c.PartialInterval = time.Second })
	pg.SQL(t, "CREATE TABLE rows(id int primary key, phase text)")
	switchWAL(t, pg)

	backup := testservers.NewBaseBackup(t, pg, testservers.PostgresOptions{Conf: senderConf}, "-X", "none", "-c", "fast")
	pitr := testservers.NewBaseBackup(t, pg, testservers.PostgresOptions{Conf: senderConf}, "-X", "none", "-c", "fast")

	pg.SQL(t, "INSERT INTO rows SELECT g, 'before' FROM generate_series(1, 5000) g")
	switchWAL(t, pg)
	pg.SQL(t, "SELECT pg_create_restore_point('before_after')")
	pg.SQL(t, "INSERT INTO rows SELECT g, 'after' FROM generate_series(5001, 7000) g")
	switchWAL(t, pg)
	pg.SQL(t, "INSERT INTO rows VALUES (7001, 'last')")
	target := pg.SQL(t, "SELECT pg_current_wal_flush_lsn()")
	// The archiver has the last row durably once the server says it flushed past it.
	waitFor(t, time.Minute, func() bool {
		return pg.SQL(t, fmt.Sprintf("SELECT coalesce(bool_or(flush_lsn >= '%s'), false) FROM pg_stat_replication WHERE application_name = 'wal-archiver'", target)) == "t"
	}, func() string { return "the archiver did not confirm the last row's WAL" })
	r.stop(t) // uploads the segment being written as .partial
	names := r.list(t)
	if !strings.Contains(strings.Join(names, " "), ".partial") {
		t.Fatalf("no .partial in the archive after shutdown: %v", names)
	}

	restoreCmd := fmt.Sprintf("restore_command = '%s restore --prefetch 4 %%f %%p'", binary())
	env := storeEnv(m, "restore")
	recoverFrom(t, backup, env, restoreCmd, "recovery_target_timeline = 'latest'")
	if got := backup.SQL(t, "SELECT count(*) FROM rows"); got != "7001" {
		t.Errorf("recovered to the end of the archive with %s rows, want 7001 (the last committed row)", got)
	}
	recoverFrom(t, pitr, env, restoreCmd, "recovery_target_name = 'before_after'", "recovery_target_action = 'promote'")
	if got := pitr.SQL(t, "SELECT count(*) || ' ' || max(phase) FROM rows"); got != "5000 before" {
		t.Errorf("recovered to the restore point with %q, want \"5000 before\"", got)
	}
}

// recoverFrom configures archive recovery on a stopped base backup, starts it and waits until it is out
// of recovery (promoted at the end of the archive or at the target).
func recoverFrom(t *testing.T, p *testservers.Postgres, env []string, conf ...string) {
	t.Helper()
	p.SetEnv(env)
	p.AppendConf(t, conf...)
	if err := os.WriteFile(filepath.Join(p.DataDir, "recovery.signal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p.Start(t)
	waitFor(t, 3*time.Minute, func() bool {
		v, err := p.TrySQL("SELECT pg_is_in_recovery()")
		return err == nil && v == "f"
	}, func() string { return "recovery did not finish" })
}
