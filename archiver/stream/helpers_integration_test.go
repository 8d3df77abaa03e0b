//go:build integration

package stream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

const bucket = "wal"

func minioStore(t testing.TB, m *testservers.MinIO) store.Store {
	t.Helper()
	st, err := s3store.New(context.Background(), s3store.Config{Bucket: bucket, Endpoint: m.URL,
		Credentials: &s3store.Credentials{AccessKeyID: m.AccessKey, SecretAccessKey: m.SecretKey}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// primary starts a PostgreSQL primary that keeps every segment in pg_wal, so archived segments can be
// compared with the server's own files.
func primary(t testing.TB) *testservers.Postgres {
	return testservers.StartPostgres(t, testservers.PostgresOptions{Conf: append([]string{"wal_keep_size = '4GB'"}, senderConf...)})
}

// senderConf is the primary's replication capacity. A standby or a restored copy of it needs at least as
// much: PostgreSQL refuses to recover with a lower max_wal_senders or max_replication_slots.
var senderConf = []string{"max_wal_senders = 40", "max_replication_slots = 40"}

type running struct {
	a       *Archiver
	m       *metrics.Metrics
	lay     layout.Layout
	codec   compress.Codec
	st      store.Store
	spool   string
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// startArchiver runs an Archiver in this process until stop (or the test's end).
func startArchiver(t testing.TB, pg *testservers.Postgres, st store.Store, server, codecName string, mod func(*Config)) *running {
	t.Helper()
	codec, err := compress.Lookup(codecName)
	if err != nil {
		t.Fatal(err)
	}
	lay, err := layout.New("prefix", server)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.ParseConfig(pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	cfg := Config{Conn: conn, Slot: "arch_" + strings.ReplaceAll(server, "-", "_"), SpoolDir: filepath.Join(t.TempDir(), "spool"),
		Upload:          UploaderConfig{Target: Target{Store: st, Layout: lay, Codec: codec}, MaxParallel: 4, MaxBackoff: time.Second},
		PartialInterval: 0, StatusInterval: 200 * time.Millisecond, PollInterval: 500 * time.Millisecond,
		MemoryBudget: 8 * pg.SegSize, Metrics: m, Log: testLog(t)}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{a: a, m: m, lay: lay, codec: codec, st: st, spool: cfg.SpoolDir, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t testing.TB) {
	if r.stopped {
		return
	}
	r.stopped = true
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("archiver stopped with %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Errorf("archiver did not stop within 2 minutes")
	}
}

// switchWAL writes some WAL, switches segments and returns the name of the segment just completed.
func switchWAL(t testing.TB, pg *testservers.Postgres) string {
	t.Helper()
	pg.SQL(t, "CREATE TABLE IF NOT EXISTS filler(x int, s text); INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g")
	return pg.SQL(t, "SELECT pg_walfile_name(pg_switch_wal())")
}

// waitFor polls cond until it holds, failing the test after timeout with what() as the explanation.
func waitFor(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	testservers.WaitFor(t, timeout, cond, what)
}

func (r *running) key(name string) string {
	n, err := layout.Parse(name)
	if err != nil {
		panic(err)
	}
	return r.lay.Key(n, r.codec.Ext())
}

func (r *running) has(name string) bool {
	_, err := r.st.Stat(context.Background(), r.key(name))
	return err == nil
}

func (r *running) waitArchived(t testing.TB, name string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, func() bool { return r.has(name) }, func() string {
		return fmt.Sprintf("%s was not archived; archive holds %v", r.key(name), r.list(t))
	})
}

// list returns the WAL names (with .partial/.history) in the archive, in key order.
func (r *running) list(t testing.TB) []string {
	t.Helper()
	objs, err := r.st.List(context.Background(), r.lay.WALPrefix())
	if err != nil {
		t.Fatalf("listing the archive: %v", err)
	}
	var out []string
	for _, o := range objs {
		n, ext, err := r.lay.ParseKey(o.Key, compress.Exts())
		if err != nil {
			t.Errorf("unexpected object in the archive: %v", err)
			continue
		}
		if ext != r.codec.Ext() {
			t.Errorf("%s has extension %q, want %q", o.Key, ext, r.codec.Ext())
		}
		out = append(out, n.String())
	}
	return out
}

// fetch downloads and decompresses an archived file.
func (r *running) fetch(t testing.TB, name string) []byte {
	t.Helper()
	rc, err := r.st.Get(context.Background(), r.key(name))
	if err != nil {
		t.Fatalf("get %s: %v", r.key(name), err)
	}
	defer rc.Close()
	d, err := r.codec.NewReader(rc)
	if err != nil {
		t.Fatalf("decompressing %s: %v", name, err)
	}
	b, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("decompressing %s: %v", name, err)
	}
	return b
}

// checkAgainstPGWAL compares every archived complete segment still in pg_wal with the server's file and
// returns how many it compared.
func (r *running) checkAgainstPGWAL(t testing.TB, pg *testservers.Postgres) int {
	t.Helper()
	compared := 0
	for _, name := range r.list(t) {
		n, _ := layout.Parse(name)
		if n.Kind != layout.Segment && n.Kind != layout.History {
			continue
		}
		local, err := os.ReadFile(filepath.Join(pg.DataDir, "pg_wal", name))
		if err != nil {
			continue
		}
		if got := r.fetch(t, name); !bytes.Equal(got, local) {
			t.Errorf("%s (%s): archived bytes differ from pg_wal (%d vs %d bytes)", name, r.codec.Name(), len(got), len(local))
		}
		compared++
	}
	return compared
}

// checkContiguous asserts the archive holds every segment of timeline tli from first to last.
func checkContiguous(t testing.TB, names []string, tli uint32, first, last string, segSize uint64) {
	t.Helper()
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	f, _ := layout.Parse(first)
	l, _ := layout.Parse(last)
	var missing []string
	for s := f.SegNo(segSize); s <= l.SegNo(segSize); s++ {
		if n := layout.SegmentName(tli, s, segSize).String(); !have[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("gap in the archive between %s and %s: missing %v", first, last, missing)
	}
}

// testLog logs through t while the test runs (the archiver may log after the test's end: then nothing).
func testLog(t testing.TB) logr.Logger {
	var mu sync.Mutex
	over := false
	t.Cleanup(func() { mu.Lock(); over = true; mu.Unlock() })
	return funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		if !over {
			t.Log(prefix, args)
		}
	}, funcr.Options{Verbosity: 0})
}
