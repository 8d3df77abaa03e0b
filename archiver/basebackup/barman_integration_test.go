//go:build integration

package basebackup

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestBarmanRestoresOurBackup: a backup taken under pgbench load, in each codec barman-cloud 3.4 reads,
// with both segment sizes and on S3 and Azure, is listed by barman-cloud-backup-list, restored by
// barman-cloud-restore, and recovered with barman-cloud-wal-restore over the WAL our stream archived to
// a target time after it: exactly the rows committed before the target are there.
func TestBarmanRestoresOurBackup(t *testing.T) {
	cases := []struct {
		store, codec string
		segMB        int
	}{
		{"s3", "", 16}, {"s3", "gzip", 16}, {"s3", "bzip2", 16}, {"s3", "gzip", 1}, {"azure", "gzip", 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-%s-%dMiB", c.store, codecName(c.codec), c.segMB), func(t *testing.T) {
			var tg *target
			if c.store == "azure" {
				tg = azuriteTarget(t, "pg")
			} else {
				tg = minioTarget(t, "pg")
			}
			pg := testservers.StartPostgres(t, testservers.PostgresOptions{WALSegSizeMB: c.segMB, Conf: senderConf})
			startStream(t, pg, tg, "gzip")
			pg.Run(t, "pgbench", "-i", "-s", "3", "-q", "postgres")
			stop := pgbench(t, pg)
			res, err := Run(context.Background(), backupConfig(t, pg, tg, c.codec))
			stop()
			if err != nil {
				t.Fatalf("backup: %v", err)
			}
			checkStored(t, tg, res, c.codec)

			pg.SQL(t, "CREATE TABLE marker(id int); INSERT INTO marker SELECT generate_series(1, 1000)")
			time.Sleep(1100 * time.Millisecond) // commits on both sides of the target differ in time
			targetTime := pg.SQL(t, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
			time.Sleep(1100 * time.Millisecond)
			pg.SQL(t, "INSERT INTO marker SELECT generate_series(1001, 1500)")
			switchAndWait(t, pg, tg)

			if list := tg.barman(t, "barman-cloud-backup-list", tg.Dest, tg.Server); !strings.Contains(list, res.ID) {
				t.Fatalf("barman-cloud-backup-list does not list %s:\n%s", res.ID, list)
			}
			restored := tg.barmanRecover(t, res.ID, c.segMB, "recovery_target_time = '"+targetTime+"'", "recovery_target_action = 'promote'")
			if got := restored.SQL(t, "SELECT count(*) FROM marker"); got != "1000" {
				t.Errorf("recovered to %s with %s marker rows, want exactly 1000", targetTime, got)
			}
			if got := restored.SQL(t, "SELECT count(*) FROM pgbench_accounts"); got != "300000" {
				t.Errorf("pgbench_accounts has %s rows after recovery, want 300000", got)
			}
		})
	}
}

func codecName(c string) string {
	if c == "" {
		return "none"
	}
	return c
}

// checkStored: the backup directory holds data.tar with the codec's suffix and a backup.info that
// parses, is DONE, and whose positions and times are ordered.
func checkStored(t *testing.T, tg *target, res Result, codec string) {
	t.Helper()
	objs, err := tg.Store.List(context.Background(), tg.Layout.BackupPrefix(res.ID))
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := layout.TarExt(codec)
	var names []string
	for _, o := range objs {
		names = append(names, strings.TrimPrefix(o.Key, tg.Layout.BackupPrefix(res.ID)))
	}
	if strings.Join(names, ",") != "backup.info,data.tar"+ext {
		t.Fatalf("backup %s holds %v, want backup.info and data.tar%s", res.ID, names, ext)
	}
	rc, err := tg.Store.Get(context.Background(), tg.Layout.BackupInfoKey(res.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	content := readAll(t, rc)
	info, err := catalog.Parse([]byte(content))
	if err != nil {
		t.Fatalf("backup.info does not parse: %v\n%s", err, content)
	}
	if info.Status != catalog.StatusDone || !info.Done() || info.EndTime.Before(info.BeginTime) ||
		info.BeginWAL > info.EndWAL || !strings.Contains(info.BackupLabel, "START WAL LOCATION") {
		t.Fatalf("backup.info is not a complete backup:\n%s", content)
	}
}
