//go:build integration

package restorebackup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/basebackup"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestRestoresBarmanBackups: backups taken by Debian's barman-cloud-backup 3.4 under pgbench load (upstream's
// own layout, backup.info and tar naming), uncompressed, gzip and bzip2, with both segment sizes, on S3 and
// Azure, are restored by `wal-archiver restore-backup --target-time`, and PostgreSQL started on the result
// with our restore_command recovers to the target time with exactly the rows committed before it.
func TestRestoresBarmanBackups(t *testing.T) {
	for _, c := range []struct {
		store, flag string
		segMB       int
	}{
		{"s3", "", 16}, {"s3", "-z", 1}, {"s3", "-j", 1}, {"azure", "-z", 1},
	} {
		t.Run(fmt.Sprintf("%s%s-%dMiB", c.store, c.flag, c.segMB), func(t *testing.T) {
			tg, pg := newTarget(t, c.store), loadedPrimary(t, c.segMB)
			startStream(t, pg, tg)
			stop := pg.Pgbench(t)
			id := tg.barmanBackup(t, pg, c.flag)
			stop()
			recoverAndCheck(t, tg, pg, c.segMB, "barman backup "+id)
		})
	}
}

// TestRestoresOurBackups: backups taken by `basebackup` (BASE_BACKUP over the archiver's connection) in
// every codec we write, on MinIO, Azurite and fake-gcs-server, recover the same way.
func TestRestoresOurBackups(t *testing.T) {
	for _, c := range []struct {
		store, codec string
		segMB        int
	}{
		{"s3", "snappy", 16}, {"s3", "lz4", 1}, {"s3", "bzip2", 1}, {"azure", "", 1}, {"gcs", "gzip", 1},
	} {
		t.Run(fmt.Sprintf("%s-%s-%dMiB", c.store, c.codec, c.segMB), func(t *testing.T) {
			tg, pg := newTarget(t, c.store), loadedPrimary(t, c.segMB)
			startStream(t, pg, tg)
			stop := pg.Pgbench(t)
			conn, err := pgconn.ParseConfig(pg.ConnString())
			if err != nil {
				t.Fatal(err)
			}
			res, err := basebackup.Run(context.Background(), basebackup.Config{Conn: conn, Store: tg.Store, Layout: tg.Layout,
				Compression: c.codec, Jobs: 4, ImmediateCheckpoint: true, WALTimeout: 2 * time.Minute,
				PollInterval: 200 * time.Millisecond, Log: testLog(t)})
			stop()
			if err != nil {
				t.Fatalf("backup: %v", err)
			}
			recoverAndCheck(t, tg, pg, c.segMB, "our backup "+res.ID)
		})
	}
}

// loadedPrimary is a primary with a pgbench database of scale 3 (300000 accounts).
func loadedPrimary(t *testing.T, segMB int) *testservers.Postgres {
	pg := testservers.StartPostgres(t, testservers.PostgresOptions{WALSegSizeMB: segMB, Conf: senderConf})
	pg.Run(t, "pgbench", "-i", "-s", "3", "-q", "postgres")
	return pg
}

// recoverAndCheck marks a target time on pg, recovers the target's backup to it with restore-backup and
// our restore_command, and checks the rows.
func recoverAndCheck(t *testing.T, tg *target, pg *testservers.Postgres, segMB int, what string) {
	t.Helper()
	target := markTarget(t, pg, tg)
	restored := tg.recoverWithOurs(t, segMB, target)
	checkRecovered(t, restored, target)
	t.Logf("%s recovered to %s", what, target)
}

func checkRecovered(t *testing.T, restored *testservers.Postgres, target string) {
	t.Helper()
	if got := restored.SQL(t, "SELECT count(*) FROM marker"); got != "1000" {
		t.Errorf("recovered to %s with %s marker rows, want exactly 1000", target, got)
	}
	if got := restored.SQL(t, "SELECT count(*) FROM pgbench_accounts"); got != "300000" {
		t.Errorf("pgbench_accounts has %s rows after recovery, want 300000", got)
	}
}

// TestBinaryRefusals runs the binary against a store with one backup: a non-empty DEST, an unknown ID, a target
// time before the first backup and both selectors at once are refused with exit 1 or 2 and a message
// that says what is wrong; DEST is left as it was.
func TestBinaryRefusals(t *testing.T) {
	tg := newTarget(t, "s3")
	pg := testservers.StartPostgres(t, testservers.PostgresOptions{Conf: senderConf})
	startStream(t, pg, tg)
	before := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	id := tg.barmanBackup(t, pg, "")
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "PG_VERSION"), []byte("14\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "pgdata")
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"non-empty DEST", []string{full}, 1, []string{full + " is not empty", "PG_VERSION"}},
		{"unknown ID", []string{"--backup-id", "20200101T000000", empty}, 1, []string{"no backup 20200101T000000"}},
		{"target before the first backup", []string{"--target-time", before, empty}, 1,
			[]string{"no backup ended at or before", "first recoverability point is"}},
		{"both selectors", []string{"--backup-id", id, "--target-time", before, empty}, 2, []string{"not both"}},
		{"bad time", []string{"--target-time", "yesterday", empty}, 2, []string{`"yesterday" is not a time`}},
		{"no DEST", nil, 2, []string{"expected one DEST"}},
	} {
		code, out := tg.restoreBackup(t, c.args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d:\n%s", c.name, code, c.code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output does not say %q:\n%s", c.name, w, out)
			}
		}
	}
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Errorf("a refused restore created %s", empty)
	}
	if b, _ := os.ReadFile(filepath.Join(full, "PG_VERSION")); string(b) != "14\n" {
		t.Errorf("a refused restore changed the non-empty DEST")
	}
	// The same backup by ID restores (the refusals above were not about the store).
	if code, out := tg.restoreBackup(t, "--backup-id", id, "--no-sync", empty); code != 0 {
		t.Fatalf("restore of %s by ID: exit %d:\n%s", id, code, out)
	}
}
