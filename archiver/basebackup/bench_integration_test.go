//go:build integration

package basebackup

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/archivertest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// BenchmarkBaseBackup backs up one database of at least 2 GB (pgbench scale BENCH_SCALE, default 150)
// with barman-cloud-backup and with ours into the same MinIO, restores each with its own tool
// (barman-cloud-restore, wal-archiver restore-backup), and uploads the same number of bytes from memory
// with CreateParallel and the same jobs (the raw parallel PUT ceiling of this machine and MinIO), and
// times pg_basebackup into /dev/null (the ceiling of one walsender's BASE_BACKUP, which ours reads). It
// reports MB/s of the database's bytes (what PostgreSQL sent) for each and the ratios, per codec in
// BENCH_CODECS (default "none,gzip"), over plain HTTP or, with BENCH_TLS=1, HTTPS. BENCH_DESTINATION
// (s3://, gs:// or an Azure https:// path, credentials in the environment) replaces MinIO with a store on
// other machines. Run once: go test -tags integration -run '^$' -bench BaseBackup -benchtime 1x.
func BenchmarkBaseBackup(b *testing.B) {
	scale := 150
	if v := os.Getenv("BENCH_SCALE"); v != "" {
		scale, _ = strconv.Atoi(v)
	}
	codecs := []string{"none", "gzip"}
	if v := os.Getenv("BENCH_CODECS"); v != "" {
		codecs = strings.Split(v, ",")
	}
	const jobs = 4
	tg := minioTarget(b, "pg")
	if os.Getenv("BENCH_TLS") == "1" {
		// As S3 is reached: over HTTPS, where the SDK signs no payload hash and both sides pay for TLS.
		tg = &target{archivertest.NewTarget(b, "s3-tls", "pg")}
	}
	if ext := archivertest.ExternalFromEnv(b); ext != nil {
		// A store on other machines, where it does not share these cores with PostgreSQL and both tools.
		tg = &target{ext}
	}
	pg := testservers.StartPostgres(b, testservers.PostgresOptions{WALSegSizeMB: 16, Conf: append([]string{"max_wal_size = '4GB'"}, senderConf...)})
	pg.Run(b, "pgbench", "-i", "-s", strconv.Itoa(scale), "-q", "postgres")
	pg.SQL(b, "CHECKPOINT")
	// The archive starts after the load: the backups need only the WAL from their own start.
	startStream(b, pg, tg, "gzip")
	size, _ := strconv.ParseInt(pg.SQL(b, "SELECT sum(pg_database_size(oid)) FROM pg_database"), 10, 64)
	b.Logf("databases: %.2f GB (pgbench scale %d)", float64(size)/1e9, scale)
	if size < 2e9 && os.Getenv("BENCH_SCALE") == "" {
		b.Fatalf("the database is %.2f GB, below the 2 GB the benchmark is defined for", float64(size)/1e9)
	}
	mb := func(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

	for _, codec := range codecs {
		codec = strings.TrimSpace(codec)
		b.Run(codec, func(b *testing.B) {
			c := codec
			if c == "none" {
				c = ""
			}
			// Ours.
			cfg := backupConfig(b, pg, tg, c)
			cfg.Jobs = jobs
			// Every timed part starts with nothing dirty in the page cache (MinIO's and the restores'
			// writes): the kernel's writeback of one part would otherwise throttle the next.
			syscall.Sync()
			cpu := cpuTime()
			res, err := Run(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			oursCPU := cpuTime() - cpu
			raw := res.RawBytes
			ours := mb(raw, res.Duration)

			// barman-cloud-backup, same store, same codec, its own directory.
			bdest := tg.Dest + "/barman-" + codec
			args := []string{"--immediate-checkpoint", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-J", strconv.Itoa(jobs)}
			switch c {
			case "gzip":
				args = append(args, "--gzip")
			case "bzip2":
				args = append(args, "--bzip2")
			}
			syscall.Sync()
			start := time.Now()
			tg.barman(b, "barman-cloud-backup", append(args, bdest, tg.Server)...)
			barman := mb(raw, time.Since(start))
			ids := strings.Fields(tg.barman(b, "barman-cloud-backup-list", "--format", "console", bdest, tg.Server))
			var bid string
			for _, f := range ids {
				if len(f) == 15 && f[8] == 'T' {
					bid = f
				}
			}

			// Raw parallel PUT of as many bytes, from memory.
			syscall.Sync()
			start = time.Now()
			cpu = cpuTime()
			rawKey := fmt.Sprintf("%sraw-%s-%d", strings.TrimSuffix(tg.Layout.BasePrefix(), "base/"), codec, time.Now().UnixNano())
			if _, err := tg.Store.CreateParallel(context.Background(), rawKey,
				io.LimitReader(zeros{}, raw), store.PutOptions{}, jobs); err != nil {
				b.Fatal(err)
			}
			rawPut := mb(raw, time.Since(start))
			rawCPU := cpuTime() - cpu

			// PostgreSQL's own send ceiling: one walsender's BASE_BACKUP, as pg_basebackup receives it into
			// /dev/null (the protocol this archiver, unlike barman-cloud, reads a backup through).
			devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			send := exec.Command(filepath.Join(pg.BinDir, "pg_basebackup"), "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres",
				"-D", "-", "-F", "tar", "-X", "none", "-c", "fast", "--no-manifest")
			var stderr strings.Builder
			send.Stdout, send.Stderr = devNull, &stderr
			syscall.Sync()
			start = time.Now()
			if err := send.Run(); err != nil {
				b.Fatalf("pg_basebackup: %v\n%s", err, stderr.String())
			}
			pgSend := mb(raw, time.Since(start))
			_ = devNull.Close()

			// Restores.
			dir := b.TempDir()
			syscall.Sync()
			start = time.Now()
			tg.barman(b, "barman-cloud-restore", bdest, tg.Server, bid, filepath.Join(dir, "barman"))
			barmanRestore := mb(raw, time.Since(start))
			syscall.Sync()
			start = time.Now()
			cmd := exec.Command(filepath.Join(binDir, "wal-archiver"), "restore-backup", "--backup-id", res.ID, "--no-sync", filepath.Join(dir, "ours"))
			cmd.Env = append(os.Environ(), append([]string{"WAL_ARCHIVER_DESTINATION_PATH=" + tg.Dest, "WAL_ARCHIVER_SERVER_NAME=" + tg.Server,
				"WAL_ARCHIVER_DATA_JOBS=" + strconv.Itoa(jobs)}, tg.Env...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("wal-archiver restore-backup: %v\n%s", err, out)
			}
			oursRestore := mb(raw, time.Since(start))

			b.ReportMetric(ours, "ours-backup-MB/s")
			b.ReportMetric(barman, "barman-backup-MB/s")
			b.ReportMetric(rawPut, "raw-parallel-PUT-MB/s")
			b.ReportMetric(ours/barman, "backup-ours/barman")
			b.ReportMetric(ours/rawPut, "backup-ours/raw-PUT")
			b.ReportMetric(pgSend, "pg_basebackup-to-null-MB/s")
			b.ReportMetric(oursCPU.Seconds()/(float64(raw)/1e9), "ours-backup-CPU-s/GB")
			b.ReportMetric(rawCPU.Seconds()/(float64(raw)/1e9), "raw-PUT-CPU-s/GB")
			b.ReportMetric(oursRestore, "ours-restore-MB/s")
			b.ReportMetric(barmanRestore, "barman-restore-MB/s")
			b.ReportMetric(oursRestore/barmanRestore, "restore-ours/barman")
			b.Logf("%s: %d MB from PostgreSQL, %d MB stored by us; backup ours %.1f MB/s, barman %.1f MB/s (%.2fx), raw parallel PUT %.1f MB/s (ours %.2fx of it), pg_basebackup into /dev/null %.1f MB/s (ours %.2fx of it); restore ours %.1f MB/s, barman %.1f MB/s (%.2fx)",
				codec, raw/1e6, res.Bytes/1e6, ours, barman, ours/barman, rawPut, ours/rawPut, pgSend, ours/pgSend, oursRestore, barmanRestore, oursRestore/barmanRestore)
			_ = os.RemoveAll(dir)
		})
	}
}

// cpuTime is the CPU this process has used, user and system: what ours costs beside the server and the
// store, which share the machine's cores with it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// zeros is an endless source for the raw PUT (MinIO does not compress or deduplicate it).
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
