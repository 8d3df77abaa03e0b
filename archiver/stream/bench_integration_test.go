//go:build integration

package stream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// BenchmarkArchiveThroughput measures, against MinIO on loopback with 16 MiB segments and no compression:
//   - saturated: pgbench (4 clients, a bulk-insert script of about 1 MB of WAL per transaction) writes for
//     30 s as fast as it can; reports the WAL rate and the lag in segments (median, 90th percentile,
//     maximum), sampled every 250 ms after a 5 s warm-up (see sampleLag for what counts as archived);
//   - paced: the same for 30 s at half the saturated transaction rate (pgbench -R), the steady state;
//   - catch-up: pgbench writes 20 s with the archiver stopped (the slot keeps the WAL), then the archiver
//     drains the backlog; reports MB/s and the ratio to raw PUTs of the same bytes with the same client, both
//     serial (s3store.RawPutThroughput) and with the archiver's parallelism;
//   - ceiling: the same backlog drained again into a store that discards what it reads, so the rate is
//     the archiver's own (with the walsender feeding it), not MinIO's.
//
// Each phase also reports the cores used by the archiver (this process), MinIO, the walsender and the whole
// machine, read from /proc: on two cores shared by everything, they explain the ratios.
//
// Run it once: go test -tags integration -run '^$' -bench ArchiveThroughput -benchtime 1x ./archiver/stream/
func BenchmarkArchiveThroughput(b *testing.B) {
	m := testservers.StartMinIO(b, testservers.MinIOOptions{})
	m.CreateBucket(b, bucket)
	stIface := minioStore(b, m)
	st := stIface.(*s3store.Store)
	pg := testservers.StartPostgres(b, testservers.PostgresOptions{WALSegSizeMB: 16,
		Conf: []string{"wal_keep_size = '8GB'", "max_wal_size = '4GB'", "synchronous_commit = off"}})
	pg.SQL(b, "CREATE TABLE bulk(id int, s text)")
	// A pgbench script that writes about 1 MB of WAL per transaction, so that the machine, not TPC-B's
	// row locks, sets the WAL rate.
	script := filepath.Join(pg.Dir, "bulk.sql")
	if err := os.WriteFile(script, []byte("INSERT INTO bulk SELECT g, repeat('x', 400) FROM generate_series(1, 2000) g;\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	const parallel = 4
	mod := func(c *Config) { c.Slot = "bench"; c.Upload.MaxParallel = parallel; c.StatusInterval = time.Second }
	for b.Loop() {
		r := startArchiver(b, pg, stIface, "bench", "", mod)
		r.waitArchived(b, switchWAL(b, pg), time.Minute)

		// Saturated: pgbench as fast as the machine lets it, so the WAL rate is the machine's, and the lag
		// shows whether the archiver keeps up while competing with PostgreSQL for the same cores.
		pids := map[string]int{"archiver": 0, "minio": m.PID()}
		startLSN, startRows := lsn(b, pg, "pg_current_wal_lsn()"), rows(b, pg)
		cpu0 := sampleCPU(b, pids)
		spooled0 := testutil.ToFloat64(r.m.SpooledSegments)
		bench := runPgbench(b, pg, script, 30*time.Second)
		lags := sampleLag(b, pg, r, 5*time.Second, 29*time.Second)
		bench()
		cores, machine := sampleCPU(b, pids).cores(cpu0)
		walRate := float64(lsn(b, pg, "pg_current_wal_lsn()")-startLSN) / 30 / 1e6
		tps := float64(rows(b, pg)-startRows) / 2000 / 30
		reportLag(b, "saturated", walRate, lags)
		b.ReportMetric(cores["archiver"], "saturated-cores-archiver")
		b.ReportMetric(cores["minio"], "saturated-cores-minio")
		b.ReportMetric(machine, "saturated-cores-machine")
		b.ReportMetric(testutil.ToFloat64(r.m.SpooledSegments)-spooled0, "saturated-spooled-segments")
		b.ReportMetric(meanUpload(b, r), "segment-upload-mean-s")

		// Paced: half that transaction rate (pgbench -R), a load the pipeline can hold, so the lag has a
		// steady state to measure.
		r.waitArchived(b, switchWAL(b, pg), 5*time.Minute)
		startLSN = lsn(b, pg, "pg_current_wal_lsn()")
		bench = runPgbench(b, pg, script, 30*time.Second, "-R", strconv.FormatFloat(max(tps/2, 1), 'f', 1, 64))
		lags = sampleLag(b, pg, r, 5*time.Second, 29*time.Second)
		bench()
		reportLag(b, "paced", float64(lsn(b, pg, "pg_current_wal_lsn()")-startLSN)/30/1e6, lags)
		r.stop(b)

		// Backlog, then catch-up. A second slot keeps the same backlog for the ceiling below.
		pg.SQL(b, "SELECT pg_create_physical_replication_slot('ceiling', true)")
		bench = runPgbench(b, pg, script, 20*time.Second)
		bench()
		last := switchWAL(b, pg)
		backlog := lsn(b, pg, "pg_current_wal_lsn()") - lsn(b, pg, "(SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'bench')")
		archiveRate := drainBacklog(b, pg, stIface, "bench", last, pids, mod).report(b, "catchup", backlog)

		// Raw PUTs of real segments, same client.
		body, err := os.ReadFile(filepath.Join(pg.DataDir, "pg_wal", last))
		if err != nil {
			b.Fatal(err)
		}
		n := max(8, int(backlog/pg.SegSize)/2)
		serial, err := s3store.RawPutThroughput(context.Background(), st, "raw/serial/", body, n)
		if err != nil {
			b.Fatal(err)
		}
		cpu0 = sampleCPU(b, pids)
		par := parallelPut(b, st, body, n, parallel)
		cores, machine = sampleCPU(b, pids).cores(cpu0)
		b.ReportMetric(cores["archiver"], "rawput-cores-client")
		b.ReportMetric(cores["minio"], "rawput-cores-minio")
		b.ReportMetric(machine, "rawput-cores-machine")
		b.ReportMetric(float64(backlog)/1e6, "backlog-MB")
		b.ReportMetric(serial/1e6, "rawput-serial-MB/s")
		b.ReportMetric(par/1e6, "rawput-parallel-MB/s")
		b.ReportMetric(archiveRate/(serial/1e6), "ratio-vs-serial")
		b.ReportMetric(archiveRate/(par/1e6), "ratio-vs-parallel")

		// Ceiling: the same backlog again, from the second slot, into a store that reads each body and
		// keeps nothing. It costs no CPU beyond reading, so this is the rate at which the archiver itself
		// (walsender, receive, hash, hand-off) can take WAL from PostgreSQL on this machine.
		drainBacklog(b, pg, newDiscardStore(), "ceiling", last, pids, mod).report(b, "ceiling", backlog)
		pg.SQL(b, "SELECT pg_drop_replication_slot('ceiling')")
	}
}

// drained is one drain of the backlog by a fresh archiver: how long it took and the cores used meanwhile.
type drained struct {
	seconds            float64
	cores              map[string]float64
	machine, walsender float64 // cores
	spooled            float64 // segments that went through the spool
}

// drainBacklog starts an archiver on slot into st, waits until last is stored, and stops it.
func drainBacklog(b *testing.B, pg *testservers.Postgres, st store.Store, slot, last string, pids map[string]int, mod func(*Config)) drained {
	cpu0 := sampleCPU(b, pids)
	t0 := time.Now()
	r := startArchiver(b, pg, st, "bench", "", func(c *Config) { mod(c); c.Slot = slot })
	r.waitArchived(b, last, 10*time.Minute)
	d := drained{seconds: time.Since(t0).Seconds()}
	d.cores, d.machine = sampleCPU(b, pids).cores(cpu0)
	d.walsender = walsenderCPU(b, pg, slot) / d.seconds
	d.spooled = testutil.ToFloat64(r.m.SpooledSegments)
	r.stop(b)
	return d
}

// report reports the drain of backlog bytes under phase (rate, cores per process, the archiver's CPU per MB,
// spooled segments) and returns the rate in MB/s.
func (d drained) report(b *testing.B, phase string, backlog uint64) float64 {
	mb := float64(backlog) / 1e6
	for name, v := range d.cores {
		b.ReportMetric(v, phase+"-cores-"+name)
	}
	b.ReportMetric(d.walsender, phase+"-cores-walsender")
	b.ReportMetric(d.machine, phase+"-cores-machine")
	b.ReportMetric(d.cores["archiver"]*d.seconds*1e3/mb, phase+"-archiver-CPU-ms/MB")
	b.ReportMetric(d.spooled, phase+"-spooled-segments")
	b.ReportMetric(mb/d.seconds, phase+"-MB/s")
	return mb / d.seconds
}

// sampleLag samples, every 250 ms from warm to end, the server's flush position (pg_current_wal_flush_lsn)
// minus the archived position, in segments. Archived means durably in the store: up to the oldest complete
// segment not stored yet, else up to the open segment, or as far as its last stored .partial reached (the
// benchmark runs with --partial-interval 0, so only complete segments count). The archived position is read
// before the server's, so a sample never flatters the lag; and the segment just before it is checked to be
// in the store, so the archiver's own bookkeeping is not taken on trust.
func sampleLag(b *testing.B, pg *testservers.Postgres, r *running, warm, end time.Duration) []float64 {
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, pg.ConnString())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var lags []float64
	checked := map[uint64]bool{}
	for t0 := time.Now(); time.Since(t0) < end; time.Sleep(250 * time.Millisecond) {
		if time.Since(t0) < warm {
			continue
		}
		archived := r.a.archivedLSN()
		res, err := conn.Exec(ctx, "SELECT pg_current_wal_flush_lsn()").ReadAll()
		if err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
			b.Fatalf("reading the server's flush position: %v", err)
		}
		flush, err := layout.ParseLSN(string(res[0].Rows[0][0]))
		if err != nil {
			b.Fatal(err)
		}
		lags = append(lags, float64(flush-min(flush, archived))/float64(pg.SegSize))
		if seg := archived / pg.SegSize; archived%pg.SegSize == 0 && seg > 0 && !checked[seg] {
			checked[seg] = true
			if name := layout.SegmentName(1, seg-1, pg.SegSize).String(); !r.has(name) {
				b.Fatalf("the archiver counts WAL up to %s as archived, but %s is not in the store",
					layout.FormatLSN(archived), name)
			}
		}
	}
	return lags
}

// discardStore reads every body to the end and keeps only the keys and metadata: a store that costs
// nothing, for measuring the archiver alone.
type discardStore struct {
	mu   sync.Mutex
	objs map[string]store.Object
}

func newDiscardStore() *discardStore { return &discardStore{objs: map[string]store.Object{}} }

func (d *discardStore) Create(_ context.Context, key string, body io.Reader, _ int64, opts store.PutOptions) error {
	return d.put(key, body, opts, true)
}

func (d *discardStore) Put(_ context.Context, key string, body io.Reader, _ int64, opts store.PutOptions) error {
	return d.put(key, body, opts, false)
}

// put reads the body, then records the key; with create, only if no object is there (the check and the
// record under one lock, as a conditional create is one step on a real store).
func (d *discardStore) put(key string, body io.Reader, opts store.PutOptions, create bool) error {
	n, err := io.Copy(io.Discard, body)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, exists := d.objs[key]; exists && create {
		return store.ErrExists
	}
	d.objs[key] = store.Object{Key: key, Size: n, Metadata: opts.Metadata}
	return nil
}

func (d *discardStore) Stat(_ context.Context, key string) (store.Object, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.objs[key]
	if !ok {
		return store.Object{}, store.ErrNotFound
	}
	return o, nil
}

func (d *discardStore) Get(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("the discard store keeps no bodies")
}

func (d *discardStore) GetRange(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return nil, errors.New("the discard store keeps no bodies")
}

func (d *discardStore) CreateParallel(ctx context.Context, key string, body io.Reader, opts store.PutOptions, _ int) (int64, error) {
	return store.CreateSerially(ctx, d, key, body, opts)
}

func (d *discardStore) List(_ context.Context, prefix string) ([]store.Object, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []store.Object
	for k, o := range d.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (d *discardStore) Delete(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.objs, key)
	return nil
}

// walsenderCPU is the CPU time, in seconds, used by the walsender serving slot since it started.
func walsenderCPU(b testing.TB, pg *testservers.Postgres, slot string) float64 {
	pid, err := strconv.Atoi(pg.SQL(b, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '"+slot+"'"))
	if err != nil {
		b.Fatalf("finding the walsender of slot %s: %v", slot, err)
	}
	return sampleCPU(b, map[string]int{"walsender": pid}).procs["walsender"]
}

// meanUpload is the mean time to store one complete segment so far (wal_archiver_upload_duration_seconds).
func meanUpload(b *testing.B, r *running) float64 {
	var m dto.Metric
	if err := r.m.UploadSeconds.WithLabelValues("segment").(prometheus.Histogram).Write(&m); err != nil {
		b.Fatal(err)
	}
	if m.Histogram.GetSampleCount() == 0 {
		return 0
	}
	return m.Histogram.GetSampleSum() / float64(m.Histogram.GetSampleCount())
}

// reportLag reports a phase's WAL rate and its lag samples: median, 90th percentile and maximum.
func reportLag(b *testing.B, phase string, walRate float64, lags []float64) {
	sort.Float64s(lags)
	b.ReportMetric(walRate, phase+"-WAL-MB/s")
	b.ReportMetric(lags[len(lags)/2], phase+"-lag-p50-segments")
	b.ReportMetric(lags[len(lags)*9/10], phase+"-lag-p90-segments")
	b.ReportMetric(lags[len(lags)-1], phase+"-lag-max-segments")
}

func rows(b testing.TB, pg *testservers.Postgres) int {
	n, err := strconv.Atoi(pg.SQL(b, "SELECT count(*) FROM bulk"))
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func lsn(b testing.TB, pg *testservers.Postgres, expr string) uint64 {
	v, err := layout.ParseLSN(pg.SQL(b, "SELECT "+expr))
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func runPgbench(b testing.TB, pg *testservers.Postgres, script string, d time.Duration, extra ...string) func() {
	args := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres",
		"-n", "-c", "4", "-j", "2", "-f", script, "-T", strconv.Itoa(int(d.Seconds()))}, extra...)
	cmd := pg.Command(context.Background(), "pgbench", append(args, "postgres")...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return func() {
		if err := cmd.Wait(); err != nil {
			b.Fatalf("pgbench: %v\n%s", err, out.String())
		}
	}
}

// parallelPut is RawPutThroughput with workers uploads in flight, the archiver's setting.
func parallelPut(b testing.TB, st *s3store.Store, body []byte, n, workers int) float64 {
	sum := sha256.Sum256(body)
	opts := store.PutOptions{Metadata: map[string]string{store.MetaSHA256: hex.EncodeToString(sum[:])}}
	var wg sync.WaitGroup
	next := make(chan int)
	t0 := time.Now()
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := st.Put(context.Background(), fmt.Sprintf("raw/parallel/%08d", i), bytes.NewReader(body), int64(len(body)), opts); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return float64(len(body)) * float64(n) / time.Since(t0).Seconds()
}
