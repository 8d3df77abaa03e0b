//go:build integration

package restorebackup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// BenchmarkRestoreBackup restores the same barman-cloud-backup backup of a pgbench database (scale
// RESTORE_BENCH_SCALE, default 100, about 1.5 GB) from MinIO twice per iteration: with barman-cloud-restore
// 3.4 and with restore-backup (data.jobs RESTORE_BENCH_JOBS, default 4). Both skip fsync (barman never syncs). It reports the MB/s of
// each, over the PGDATA bytes restored, and their ratio.
//
//	go test -tags integration -run '^$' -bench RestoreBackup -benchtime 1x -timeout 60m ./archiver/restorebackup/
func BenchmarkRestoreBackup(b *testing.B) {
	scale := 100
	if v := os.Getenv("RESTORE_BENCH_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("RESTORE_BENCH_SCALE=%q: want a pgbench scale factor, e.g. 100", v)
		}
		scale = n
	}
	codec := os.Getenv("RESTORE_BENCH_CODEC") // "", "-z" or "-j": barman-cloud-backup's flag
	jobs := 4
	if v := os.Getenv("RESTORE_BENCH_JOBS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("RESTORE_BENCH_JOBS=%q: want data.jobs, e.g. 4", v)
		}
		jobs = n
	}
	tg := newTarget(b, "s3")
	pg := testservers.StartPostgres(b, testservers.PostgresOptions{WALSegSizeMB: 16, Conf: senderConf})
	// No WAL archiving: only the base backup is measured.
	pg.Run(b, "pgbench", "-i", "-s", strconv.Itoa(scale), "-q", "postgres")
	id := tg.barmanBackup(b, pg, codec)
	pgSize, _ := strconv.ParseInt(pg.SQL(b, "SELECT sum(pg_database_size(oid)) FROM pg_database"), 10, 64)
	b.Logf("backup %s of %d MB (scale %d, codec %q)", id, pgSize/1e6, scale, codec)

	var barmanSecs, oursSecs float64
	var bytes int64
	for i := 0; b.Loop(); i++ {
		dir := b.TempDir()
		barmanDest := filepath.Join(dir, "barman")
		start := time.Now()
		cmd := exec.Command(testservers.BarmanTool(b, "barman-cloud-restore"), append(append([]string{}, tg.Flags...), tg.Dest, tg.Server, id, barmanDest)...)
		cmd.Env = append(os.Environ(), tg.Env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("barman-cloud-restore: %v\n%s", err, out)
		}
		barmanSecs += time.Since(start).Seconds()
		if err := os.RemoveAll(barmanDest); err != nil {
			b.Fatal(err)
		}

		cfg := Config{Store: tg.Store, Layout: tg.Layout, BackupID: id, Dest: filepath.Join(dir, "ours"), Jobs: jobs, NoSync: true, Log: testLog(b)}
		start = time.Now()
		res, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		oursSecs += time.Since(start).Seconds()
		bytes = res.Bytes
		if err := os.RemoveAll(cfg.Dest); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	barmanMBs := float64(bytes) / 1e6 / (barmanSecs / n)
	oursMBs := float64(bytes) / 1e6 / (oursSecs / n)
	b.ReportMetric(barmanMBs, "barman-MB/s")
	b.ReportMetric(oursMBs, "ours-MB/s")
	b.ReportMetric(oursMBs/barmanMBs, "ours/barman")
	b.ReportMetric(float64(bytes)/1e6, "PGDATA-MB")
	b.Logf("restore of %d MB: barman-cloud-restore %.1fs (%.0f MB/s), restore-backup %.1fs (%.0f MB/s): %.1fx",
		bytes/1e6, barmanSecs/n, barmanMBs, oursSecs/n, oursMBs, oursMBs/barmanMBs)
}
