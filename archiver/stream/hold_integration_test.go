//go:build integration

package stream

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestBoundedHoldUnderOutage stops MinIO under pgbench with --max-wal-hold set: the slot, and so
// pg_wal, stop growing at the bound, the segments past it are reported as a gap, and archiving resumes
// from the current position once MinIO is back.
func TestBoundedHoldUnderOutage(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	const maxWALSize = 8 << 20
	// No wal_keep_size: the slot is the only thing that keeps WAL beyond the checkpoints' own needs.
	pg := testservers.StartPostgres(t, testservers.PostgresOptions{Conf: append([]string{"wal_keep_size = 0",
		"max_wal_size = '8MB'", "min_wal_size = '2MB'", "checkpoint_timeout = '30s'"}, senderConf...)})
	pg.Run(t, "pgbench", "-i", "-q", "-s", "2", "postgres")
	limit := 16 * pg.SegSize
	r := startArchiver(t, pg, st, "hold", "gzip", func(c *Config) { c.MaxWALHold = limit })
	first := switchWAL(t, pg)
	r.waitArchived(t, first, time.Minute)

	wait := pgbench(t, pg, 40*time.Second, 2)
	m.Stop(t)
	lsn := func() uint64 {
		v, err := layout.ParseLSN(pg.SQL(t, "SELECT pg_current_wal_lsn()"))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	slot := "arch_hold"
	began, from := time.Now(), lsn()
	var mostHeld, mostPGWAL uint64
	// Keep MinIO down until the server has written four bounds' worth of WAL: without the bound the slot
	// would then hold at least that much.
	for cur := from; cur-from < 4*limit; cur = lsn() {
		if time.Since(began) > 35*time.Second {
			t.Fatalf("pgbench wrote only %d bytes of WAL in 35 s; the test needs %d", cur-from, 4*limit)
		}
		held, err := strconv.ParseUint(pg.SQL(t, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = '"+slot+"'"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		mostHeld = max(mostHeld, held)
		mostPGWAL = max(mostPGWAL, pgWALBytes(t, pg))
		time.Sleep(250 * time.Millisecond)
	}
	elapsed, wrote := time.Since(began), lsn()-from
	m.Restart(t)
	wait()

	// The slot follows the bound at each status (200 ms here), and a sample lags it by one SQL round
	// trip: allow what the server writes in a second at the rate it wrote during the outage.
	slack := uint64(float64(wrote)/elapsed.Seconds()) + 2*pg.SegSize
	if mostHeld > limit+slack {
		t.Errorf("the slot held up to %d bytes of WAL with --max-wal-hold %d (slack %d)", mostHeld, limit, slack)
	}
	// pg_wal also keeps what the next checkpoint needs (max_wal_size) and recycled segments.
	if bound := limit + maxWALSize + slack; mostPGWAL > bound {
		t.Errorf("pg_wal grew to %d bytes, over the bound %d + max_wal_size %d + slack %d", mostPGWAL, limit, maxWALSize, slack)
	}
	t.Logf("outage: %d bytes of WAL in %s; slot held at most %d, pg_wal at most %d (bound %d)", wrote, elapsed.Round(time.Millisecond), mostHeld, mostPGWAL, limit)
	gap := testutil.ToFloat64(r.m.GapSegments)
	if gap == 0 {
		t.Fatalf("no gap reported although the server wrote %d bytes while the store was down", wrote)
	}

	last := switchWAL(t, pg)
	r.waitArchived(t, last, 3*time.Minute)
	r.stop(t)
	segs := segmentsOf(r.list(t), 1)
	firstN, lastN := mustParse(first).SegNo(pg.SegSize), mustParse(last).SegNo(pg.SegSize)
	// An upload in flight when its segment was given up may still have landed: the counter is an upper bound.
	if missing := int(lastN-firstN+1) - len(segs); missing == 0 || missing > int(gap) {
		t.Errorf("%d segments between %s and %s are missing from the archive; the gap counter says %v", missing, first, last, gap)
	}
	r.checkAgainstPGWAL(t, pg)
	// Nothing given up lingers in the spool.
	left, _ := os.ReadDir(r.spool)
	for _, e := range left {
		if n, err := layout.Parse(e.Name()); err == nil && n.Kind == layout.Segment {
			t.Errorf("spool still holds %s after the archive caught up", e.Name())
		}
	}
}

// pgWALBytes is the size of the WAL segment files in pg_wal.
func pgWALBytes(t testing.TB, pg *testservers.Postgres) uint64 {
	entries, err := os.ReadDir(filepath.Join(pg.DataDir, "pg_wal"))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, e := range entries {
		if len(e.Name()) == 24 {
			if info, err := e.Info(); err == nil {
				n += uint64(info.Size())
			}
		}
	}
	return n
}
