//go:build integration

package stream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// archiveView reads server's archive (zstd) without an archiver of its own.
func archiveView(t testing.TB, st store.Store, server, codec string) *running {
	c, _ := compress.Lookup(codec)
	lay, _ := layout.New("prefix", server)
	return &running{lay: lay, codec: c, st: st, stopped: true}
}

func segmentsOf(names []string, tli uint32) []string {
	var out []string
	for _, n := range names {
		if p, err := layout.Parse(n); err == nil && p.Kind == layout.Segment && p.TLI == tli {
			out = append(out, n)
		}
	}
	return out
}

// TestKill9DuringPgbench kills the archiver process three times while pgbench writes: after each restart
// it must resume from the slot and the spool, leaving no gap and overwriting nothing.
func TestKill9DuringPgbench(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)
	pg.Run(t, "pgbench", "-i", "-q", "-s", "5", "postgres")
	spool := filepath.Join(t.TempDir(), "spool")
	a := startBinary(t, pg, m, "kill9", spool, "--compression", "lz4")
	wait := pgbench(t, pg, 40*time.Second, 4)
	for i := 0; i < 3; i++ {
		time.Sleep(8 * time.Second)
		a.kill9()
		time.Sleep(time.Second)
		a = startBinary(t, pg, m, "kill9", spool, "--compression", "lz4")
	}
	wait()
	last := switchWAL(t, pg)
	v := archiveView(t, st, "kill9", "lz4")
	v.waitArchived(t, last, 3*time.Minute)
	if c := a.metric(t, "wal_archiver_conflicts_total"); c != 0 {
		t.Errorf("wal_archiver_conflicts_total = %v after restarts, want 0", c)
	}
	a.term(t)
	segs := segmentsOf(v.list(t), 1)
	checkContiguous(t, segs, 1, segs[0], last, pg.SegSize)
	if n := v.checkAgainstPGWAL(t, pg); n < 20 {
		t.Errorf("only %d segments compared with pg_wal; pgbench wrote too little to test anything", n)
	}
	t.Logf("%d segments archived across 3 kill -9", len(segs))
}

// TestStoreDownUnderLoad stops MinIO for 30 s while pgbench writes: the spool absorbs the backlog and
// the archiver catches up without a gap once MinIO is back.
func TestStoreDownUnderLoad(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)
	pg.Run(t, "pgbench", "-i", "-q", "-s", "5", "postgres")
	r := startArchiver(t, pg, st, "outage", "zstd", nil)
	budget := r.a.cfg.MemoryBudget
	peak := make(chan float64)
	sampling, stopSampling := context.WithCancel(context.Background())
	go func() {
		var most float64
		for sampling.Err() == nil {
			most = max(most, testutil.ToFloat64(r.m.BufferBytes))
			time.Sleep(20 * time.Millisecond)
		}
		peak <- most
	}()
	wait := pgbench(t, pg, 45*time.Second, 4)
	time.Sleep(5 * time.Second)
	m.Stop(t)
	time.Sleep(30 * time.Second)
	m.Restart(t)
	wait()
	stopSampling()
	if p := <-peak; p > float64(budget) {
		t.Errorf("segment buffers held %.0f bytes, over the %d-byte budget", p, budget)
	}
	// 30 s of pgbench is far more WAL than the budget: the spool must have taken over.
	if n := testutil.ToFloat64(r.m.SpooledSegments); n == 0 {
		t.Errorf("no segment went through the spool during the outage")
	}
	last := switchWAL(t, pg)
	r.waitArchived(t, last, 5*time.Minute)
	if f := testutil.ToFloat64(r.m.Failures.WithLabelValues("upload")); f == 0 {
		t.Errorf("no upload failures counted while MinIO was down")
	}
	r.stop(t)
	if c := testutil.ToFloat64(r.m.Conflicts); c != 0 {
		t.Errorf("%v conflicts", c)
	}
	segs := segmentsOf(r.list(t), 1)
	checkContiguous(t, segs, 1, segs[0], last, pg.SegSize)
	r.checkAgainstPGWAL(t, pg)
}

// TestConflictRefused plants a different object at a future segment's key: the archiver must refuse it,
// count and report it, leave the object alone and keep the slot before that segment.
func TestConflictRefused(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)
	r := startArchiver(t, pg, st, "conflict", "gzip", nil)
	r.waitArchived(t, switchWAL(t, pg), time.Minute)

	cur, _ := layout.Parse(pg.SQL(t, "SELECT pg_walfile_name(pg_current_wal_lsn())"))
	target := cur.Next(pg.SegSize)
	planted := []byte("WAL of some other cluster")
	ctx := context.Background()
	if err := st.Create(ctx, r.key(target.String()), bytes.NewReader(planted), int64(len(planted)), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	var last string
	for i := 0; i < 4; i++ {
		last = switchWAL(t, pg)
	}
	waitFor(t, 2*time.Minute, func() bool { return testutil.ToFloat64(r.m.Conflicts) == 1 }, func() string { return "no conflict counted" })
	r.waitArchived(t, last, time.Minute)

	rc, err := st.Get(ctx, r.key(target.String()))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, planted) {
		t.Errorf("the planted object at %s was replaced", r.key(target.String()))
	}
	// The refused WAL is kept for a person (it was in memory: the budget was never spent).
	parked, err := os.ReadFile(filepath.Join(r.spool, target.String()+extConflict))
	if err != nil {
		t.Errorf("the refused segment is not parked in the spool: %v", err)
	} else if walFile, err := os.ReadFile(filepath.Join(pg.DataDir, "pg_wal", target.String())); err == nil && !bytes.Equal(parked, walFile) {
		t.Errorf("the parked %s differs from pg_wal's", target)
	}
	rec := httptest.NewRecorder()
	r.m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || !bytes.Contains(rec.Body.Bytes(), []byte(r.key(target.String()))) {
		t.Errorf("/healthz = %d %q, want 503 naming the key", rec.Code, rec.Body.String())
	}
	// While the target segment was still open its WAL was durable in the spool, so a status update may
	// legitimately have confirmed a position inside it; what must hold is that the slot never passes its
	// end, so PostgreSQL keeps the whole refused segment.
	end := layout.FormatLSN((target.SegNo(pg.SegSize) + 1) * pg.SegSize)
	// Give the archiver a few status intervals to (wrongly) confirm further.
	time.Sleep(time.Second)
	if ok := pg.SQL(t, fmt.Sprintf("SELECT restart_lsn < '%s' FROM pg_replication_slots WHERE slot_name = 'arch_conflict'", end)); ok != "t" {
		t.Errorf("the slot was confirmed past the refused segment %s (restart_lsn %s)", target,
			pg.SQL(t, "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'arch_conflict'"))
	}
}

// TestPromotion runs an archiver beside a primary and one beside its standby, as in a CloudNativePG
// cluster; after the primary stops and the standby is promoted, the second one archives the new
// timeline's history file, the old timeline's last segment as .partial, and the new timeline.
func TestPromotion(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)
	standby := testservers.StartStandby(t, pg, testservers.PostgresOptions{Conf: append([]string{"wal_keep_size = '4GB'"}, senderConf...)})
	a1 := startArchiver(t, pg, st, "ha", "snappy", func(c *Config) { c.Slot = "arch_one" })
	a2 := startArchiver(t, standby, st, "ha", "snappy", func(c *Config) { c.Slot = "arch_two" })
	before := switchWAL(t, pg)
	a1.waitArchived(t, before, time.Minute)
	waitFor(t, time.Minute, func() bool { return a2.m.Health.State() == "waiting: the server is a standby" },
		func() string { return "the standby's archiver is " + a2.m.Health.State() })
	switchWAL(t, pg)
	pg.Stop(t, "fast")
	a1.stop(t)
	standby.Promote(t)
	if tli := standby.SQL(t, "SELECT timeline_id FROM pg_control_checkpoint()"); tli == "" {
		t.Fatal("no timeline after promotion")
	}
	var last string
	for i := 0; i < 3; i++ {
		last = switchWAL(t, standby)
	}
	a2.waitArchived(t, last, 2*time.Minute)
	a2.waitArchived(t, "00000002.history", time.Minute)
	names := a2.list(t)
	var partial string
	for _, n := range names {
		if p, _ := layout.Parse(n); p.Kind == layout.Partial && p.TLI == 1 {
			partial = n
		}
	}
	if partial == "" {
		t.Errorf("no timeline-1 .partial archived after promotion; archive: %v", names)
	}
	if !bytes.HasPrefix([]byte(last), []byte("00000002")) {
		t.Errorf("last switched segment %s is not on timeline 2", last)
	}
	segs2 := segmentsOf(names, 2)
	checkContiguous(t, segs2, 2, segs2[0], last, pg.SegSize)
	if c := testutil.ToFloat64(a1.m.Conflicts) + testutil.ToFloat64(a2.m.Conflicts); c != 0 {
		t.Errorf("%v conflicts between the two archivers", c)
	}
	a2.stop(t)
	a2.checkAgainstPGWAL(t, standby)
}
