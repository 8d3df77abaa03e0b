//go:build integration

package restorebackup

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/archivertest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// BenchmarkRestoreBackup restores the same barman-cloud-backup backup of a pgbench database (scale
// RESTORE_BENCH_SCALE, default 100, about 1.5 GB) from MinIO twice per iteration: with barman-cloud-restore
// 3.4 and with restore-backup (data.jobs RESTORE_BENCH_JOBS, default 4). Both skip fsync (barman never
// syncs) unless RESTORE_BENCH_SYNC=1. It reports the MB/s of each, over the PGDATA bytes restored, and
// their ratio; and, as the network's ceiling, the MB/s of fetching the backup's objects with the same
// jobs and chunks into nothing (the raw parallel GET: no decoding, no files), with the restore's share.
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
	// RESTORE_BENCH_SYNC=1 measures ours as it restores by default, syncing every file (barman never does).
	syncFiles := os.Getenv("RESTORE_BENCH_SYNC") == "1"
	tg := newTarget(b, "s3")
	if ext := archivertest.ExternalFromEnv(b); ext != nil {
		tg = &target{ext} // a store on other machines (BENCH_DESTINATION; see the basebackup benchmark)
	}
	pg := testservers.StartPostgres(b, testservers.PostgresOptions{WALSegSizeMB: 16, Conf: senderConf})
	// No WAL archiving: only the base backup is measured.
	pg.Run(b, "pgbench", "-i", "-s", strconv.Itoa(scale), "-q", "postgres")
	id := tg.barmanBackup(b, pg, codec)
	pgSize, _ := strconv.ParseInt(pg.SQL(b, "SELECT sum(pg_database_size(oid)) FROM pg_database"), 10, 64)
	b.Logf("backup %s of %d MB (scale %d, codec %q)", id, pgSize/1e6, scale, codec)

	var barmanSecs, oursSecs, rawSecs float64
	var pgBytes int64
	for i := 0; b.Loop(); i++ {
		dir := b.TempDir()
		barmanDest := filepath.Join(dir, "barman")
		// Each timed part starts with nothing dirty in the page cache: otherwise the kernel's writeback
		// of what the previous part wrote throttles the next one's writes, and the order decides.
		syscall.Sync()
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

		cfg := Config{Store: tg.Store, Layout: tg.Layout, BackupID: id, Dest: filepath.Join(dir, "ours"), Jobs: jobs, NoSync: !syncFiles, Log: testLog(b)}
		syscall.Sync()
		start = time.Now()
		res, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		oursSecs += time.Since(start).Seconds()
		pgBytes = res.Bytes
		if err := os.RemoveAll(cfg.Dest); err != nil {
			b.Fatal(err)
		}

		syscall.Sync()
		start = time.Now()
		rawGet(b, tg.Store, tg.Layout.BackupPrefix(id), jobs)
		rawSecs += time.Since(start).Seconds()
	}
	n := float64(b.N)
	barmanMBs := float64(pgBytes) / 1e6 / (barmanSecs / n)
	oursMBs := float64(pgBytes) / 1e6 / (oursSecs / n)
	b.ReportMetric(barmanMBs, "barman-MB/s")
	b.ReportMetric(oursMBs, "ours-MB/s")
	rawMBs := float64(pgBytes) / 1e6 / (rawSecs / n)
	b.ReportMetric(oursMBs/barmanMBs, "ours/barman")
	b.ReportMetric(rawMBs, "raw-parallel-GET-MB/s")
	b.ReportMetric(oursMBs/rawMBs, "ours/raw-GET")
	b.ReportMetric(float64(pgBytes)/1e6, "PGDATA-MB")
	b.Logf("restore of %d MB: barman-cloud-restore %.1fs (%.0f MB/s), restore-backup %.1fs (%.0f MB/s): %.1fx; raw parallel GET %.1fs (%.0f MB/s, ours %.2fx of it)",
		pgBytes/1e6, barmanSecs/n, barmanMBs, oursSecs/n, oursMBs, oursMBs/barmanMBs, rawSecs/n, rawMBs, oursMBs/rawMBs)
}

// rawGet fetches every object under prefix the way a restore does (one fetcher, jobs ranged reads in
// flight, DefaultChunkSize chunks, up to jobs objects at once) and throws the bytes away.
func rawGet(b *testing.B, st Store, prefix string, jobs int) {
	b.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		b.Fatal(err)
	}
	f := newFetcher(st, jobs, DefaultChunkSize)
	var g errgroup.Group
	g.SetLimit(jobs)
	for _, o := range objs {
		g.Go(func() error {
			r := f.open(context.Background(), o.Key, o.Size)
			defer r.Close()
			_, err := io.Copy(io.Discard, r)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}
