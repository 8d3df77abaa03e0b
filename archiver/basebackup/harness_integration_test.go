//go:build integration

package basebackup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/stream"
	"github.com/objectstore-webhook/objectstore-webhook/testservers"
)

// target is one store as both we and barman reach it.
type target struct {
	name   string
	dest   string   // destination path: s3://wal/prefix, http://127.0.0.1:N/devstoreaccount1/wal/prefix
	env    []string // the store's credentials, for barman and for wal-archiver
	flags  []string // barman's provider flags
	st     store.Store
	lay    layout.Layout
	server string
}

func minioTarget(t testing.TB, server string) *target {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, "wal")
	tg := &target{name: "s3", dest: "s3://wal/prefix", server: server, flags: []string{"--endpoint-url", m.URL},
		env: []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey,
			"AWS_DEFAULT_REGION=" + m.Region, "AWS_REGION=" + m.Region, "AWS_EC2_METADATA_DISABLED=true",
			"WAL_ARCHIVER_ENDPOINT_URL=" + m.URL}}
	tg.open(t)
	return tg
}

func azuriteTarget(t testing.TB, server string) *target {
	a := testservers.StartAzurite(t)
	a.CreateContainer(t, "wal")
	tg := &target{name: "azure", dest: a.BlobEndpoint + "/wal/prefix", server: server,
		flags: []string{"--cloud-provider", "azure-blob-storage"},
		env:   []string{"AZURE_STORAGE_CONNECTION_STRING=" + a.ConnectionString()}}
	tg.open(t)
	return tg
}

func (tg *target) getenv(k string) string {
	for _, e := range tg.env {
		if v, ok := strings.CutPrefix(e, k+"="); ok {
			return v
		}
	}
	if k == "WAL_ARCHIVER_DESTINATION_PATH" {
		return tg.dest
	}
	return ""
}

func (tg *target) open(t testing.TB) {
	t.Helper()
	cfg := storeconfig.SettingsFromEnv(tg.getenv)
	st, loc, err := storeconfig.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tg.st = st
	if tg.lay, err = layout.New(loc.Prefix, tg.server); err != nil {
		t.Fatal(err)
	}
}

// startStream runs the WAL archiver on pg into the target until the test ends.
func startStream(t testing.TB, pg *testservers.Postgres, tg *target, codec string) *metrics.Metrics {
	t.Helper()
	c, err := compress.Lookup(codec)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.ParseConfig(pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	a, err := stream.New(stream.Config{Conn: conn, Slot: "archiver", SpoolDir: filepath.Join(t.TempDir(), "spool"),
		Upload:         stream.UploaderConfig{Store: tg.st, Layout: tg.lay, Codec: c, MaxParallel: 4, MaxBackoff: time.Second},
		StatusInterval: 200 * time.Millisecond, PollInterval: 500 * time.Millisecond, MemoryBudget: 8 * pg.SegSize,
		Metrics: m, Log: testLog(t).WithName("stream")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Errorf("the WAL archiver did not stop")
		}
	})
	return m
}

func backupConfig(t testing.TB, pg *testservers.Postgres, tg *target, codec string) Config {
	conn, err := pgconn.ParseConfig(pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	return Config{Conn: conn, Store: tg.st, Layout: tg.lay, Compression: codec, Jobs: 4, ImmediateCheckpoint: true,
		WALTimeout: 2 * time.Minute, PollInterval: 200 * time.Millisecond, Log: testLog(t)}
}

// pgbench runs a pgbench load on pg until the returned stop is called.
func pgbench(t testing.TB, pg *testservers.Postgres) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := pg.Command(ctx, "pgbench", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-c", "2", "-T", "600", "-n", "postgres")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	return stop
}

// switchAndWait closes the current segment and waits until the target's archive holds it.
func switchAndWait(t testing.TB, pg *testservers.Postgres, tg *target) {
	t.Helper()
	seg := pg.SQL(t, "SELECT pg_walfile_name(pg_switch_wal())")
	n, err := layout.Parse(seg)
	if err != nil {
		t.Fatal(err)
	}
	key := tg.lay.Key(n, "")
	waitFor(t, 2*time.Minute, func() bool {
		objs, err := tg.st.List(context.Background(), key)
		return err == nil && len(objs) > 0
	}, func() string { return seg + " was not archived" })
}

func waitFor(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, what())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func barmanTool(t testing.TB, name string) string {
	t.Helper()
	if dir := os.Getenv("BARMAN_BINDIR"); dir != "" {
		return filepath.Join(dir, name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (set BARMAN_BINDIR; hack/tools/install.sh barman installs Debian's barman-cli-cloud): %v", name, err)
	}
	return p
}

// barman runs a barman-cloud tool against the target and returns its output.
func (tg *target) barman(t testing.TB, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(barmanTool(t, tool), append(append([]string{}, tg.flags...), args...)...)
	cmd.Env = append(os.Environ(), append([]string{"TZ=UTC"}, tg.env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}

// barmanRecover restores backup id with barman-cloud-restore into a new data directory and recovers it
// with barman-cloud-wal-restore as restore_command, with the recovery settings conf; it returns the
// running, promoted server.
func (tg *target) barmanRecover(t testing.TB, id string, segMB int, conf ...string) *testservers.Postgres {
	t.Helper()
	p := testservers.NewPostgresDir(t, testservers.PostgresOptions{WALSegSizeMB: segMB, Conf: senderConf})
	tg.barman(t, "barman-cloud-restore", tg.dest, tg.server, id, p.DataDir)
	if out, err := exec.Command("chown", "-R", "postgres:postgres", p.DataDir).CombinedOutput(); os.Geteuid() == 0 && err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	if err := os.Chmod(p.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"backup_label", "global/pg_control"} {
		if _, err := os.Stat(filepath.Join(p.DataDir, f)); err != nil {
			t.Fatalf("barman-cloud-restore left no %s: %v", f, err)
		}
	}
	p.Configure(t)
	restore := fmt.Sprintf("restore_command = '%s %s %s %s %%f %%p'", barmanTool(t, "barman-cloud-wal-restore"),
		strings.Join(tg.flags, " "), tg.dest, tg.server)
	p.SetEnv(append([]string{"TZ=UTC"}, tg.env...))
	p.AppendConf(t, append([]string{restore, "archive_mode = off"}, conf...)...)
	if err := os.WriteFile(filepath.Join(p.DataDir, "recovery.signal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	testservers.ChownPostgres(t, filepath.Join(p.DataDir, "recovery.signal"))
	p.Start(t)
	waitFor(t, 5*time.Minute, func() bool {
		v, err := p.TrySQL("SELECT pg_is_in_recovery()")
		return err == nil && v == "f"
	}, func() string { return "recovery did not finish" })
	return p
}

// senderConf is the primary's replication capacity; a restored copy needs as much.
var senderConf = []string{"max_wal_senders = 10", "max_replication_slots = 10"}

func testLog(t testing.TB) logr.Logger {
	over := make(chan struct{})
	t.Cleanup(func() { close(over) })
	return funcr.New(func(prefix, args string) {
		select {
		case <-over:
		default:
			t.Log(prefix, args)
		}
	}, funcr.Options{Verbosity: 0})
}

func readAll(t testing.TB, r interface{ Read([]byte) (int, error) }) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			return b.String()
		}
	}
}
