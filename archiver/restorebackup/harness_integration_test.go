//go:build integration

package restorebackup

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

// binDir holds the wal-archiver built for these tests, readable by the postgres OS user (restore_command
// runs as postgres).
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wal-archiver-bin-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err == nil {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "wal-archiver"), "github.com/objectstore-webhook/objectstore-webhook/cmd/wal-archiver")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		err = cmd.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "building wal-archiver for the integration tests:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func binary() string { return filepath.Join(binDir, "wal-archiver") }

// target is one store as wal-archiver (env) and barman (dest, flags, env) reach it.
type target struct {
	name   string
	dest   string
	env    []string // credentials and WAL_ARCHIVER_* settings
	flags  []string // barman's provider flags; nil when barman cannot reach the store (GCS)
	st     store.Store
	lay    layout.Layout
	server string
}

func newTarget(t testing.TB, kind string) *target {
	t.Helper()
	tg := &target{name: kind, server: "pg"}
	switch kind {
	case "s3":
		m := testservers.StartMinIO(t, testservers.MinIOOptions{})
		m.CreateBucket(t, "wal")
		tg.dest = "s3://wal/prefix"
		tg.flags = []string{"--endpoint-url", m.URL}
		tg.env = []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey, "AWS_DEFAULT_REGION=" + m.Region,
			"AWS_REGION=" + m.Region, "AWS_EC2_METADATA_DISABLED=true", "WAL_ARCHIVER_ENDPOINT_URL=" + m.URL}
	case "azure":
		a := testservers.StartAzurite(t)
		a.CreateContainer(t, "wal")
		tg.dest = a.BlobEndpoint + "/wal/prefix"
		tg.flags = []string{"--cloud-provider", "azure-blob-storage"}
		tg.env = []string{"AZURE_STORAGE_CONNECTION_STRING=" + a.ConnectionString()}
	case "gcs":
		f := testservers.StartFakeGCS(t)
		f.CreateBucket(t, "wal")
		tg.dest = "gs://wal/prefix"
		tg.env = []string{"STORAGE_EMULATOR_HOST=" + f.Host}
	default:
		t.Fatalf("unknown store %s", kind)
	}
	tg.env = append(tg.env, "WAL_ARCHIVER_DESTINATION_PATH="+tg.dest, "WAL_ARCHIVER_SERVER_NAME="+tg.server, "TZ=UTC")
	st, loc, err := storeconfig.Open(context.Background(), storeconfig.SettingsFromEnv(tg.getenv))
	if err != nil {
		t.Fatal(err)
	}
	tg.st = st
	if tg.lay, err = layout.New(loc.Prefix, tg.server); err != nil {
		t.Fatal(err)
	}
	return tg
}

func (tg *target) getenv(k string) string {
	for _, e := range tg.env {
		if v, ok := strings.CutPrefix(e, k+"="); ok {
			return v
		}
	}
	return ""
}

// senderConf is the primary's replication capacity; a restored copy needs at least as much.
var senderConf = []string{"max_wal_senders = 10", "max_replication_slots = 10"}

// startStream runs our WAL archiver on pg into the target until the test ends.
func startStream(t testing.TB, pg *testservers.Postgres, tg *target) {
	t.Helper()
	c, err := compress.Lookup("gzip")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.ParseConfig(pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	a, err := stream.New(stream.Config{Conn: conn, Slot: "archiver", SpoolDir: filepath.Join(t.TempDir(), "spool"),
		Upload:         stream.UploaderConfig{Store: tg.st, Layout: tg.lay, Codec: c, MaxParallel: 4, MaxBackoff: time.Second},
		StatusInterval: 200 * time.Millisecond, PollInterval: 500 * time.Millisecond, MemoryBudget: 8 * pg.SegSize,
		Metrics: metrics.New(), Log: testLog(t).WithName("stream")})
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
	dir := os.Getenv("BARMAN_BINDIR")
	if dir == "" {
		dir = "/usr/bin"
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found (set BARMAN_BINDIR; hack/tools/install.sh barman installs Debian's barman-cli-cloud): %v", p, err)
	}
	return p
}

// barmanBackup takes a backup of pg with Debian's barman-cloud-backup, run as the postgres OS user
// where PGDATA is (as the plugin runs it), and returns its ID.
func (tg *target) barmanBackup(t testing.TB, pg *testservers.Postgres, codecFlag string) string {
	t.Helper()
	args := append(append([]string{}, tg.flags...), "--immediate-checkpoint")
	if codecFlag != "" {
		args = append(args, codecFlag)
	}
	args = append(args, "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres", tg.dest, tg.server)
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", "env"}, append(tg.env, append([]string{barmanTool(t, "barman-cloud-backup")}, args...)...)...)...)
	if os.Geteuid() != 0 {
		cmd = exec.Command(barmanTool(t, "barman-cloud-backup"), args...)
		cmd.Env = append(os.Environ(), tg.env...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("barman-cloud-backup %v: %v\n%s", args, err, out)
	}
	objs, err := tg.st.List(context.Background(), tg.lay.BasePrefix())
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, o := range objs {
		if k, err := tg.lay.ParseBaseKey(o.Key); err == nil && k.Kind == layout.BaseInfo && k.ID > id {
			id = k.ID
		}
	}
	if id == "" {
		t.Fatalf("barman-cloud-backup left no backup.info under %s", tg.lay.BasePrefix())
	}
	return id
}

// restoreBackup runs `wal-archiver restore-backup` with the target's environment and returns its exit
// code and output.
func (tg *target) restoreBackup(t testing.TB, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(), append([]string{"restore-backup"}, args...)...)
	cmd.Env = append(os.Environ(), tg.env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("running restore-backup: %v", err)
	}
	return 0, string(out)
}

// recoverWithOurs restores with `wal-archiver restore-backup --target-time target --write-recovery-conf`
// into a new data directory, starts PostgreSQL on it with our restore_command, and waits until it has
// promoted at the target.
func (tg *target) recoverWithOurs(t testing.TB, segMB int, target string, extra ...string) *testservers.Postgres {
	t.Helper()
	p := testservers.NewPostgresDir(t, testservers.PostgresOptions{WALSegSizeMB: segMB, Conf: senderConf})
	args := append([]string{"--target-time", target, "--write-recovery-conf", "--restore-command", binary() + " restore %f %p"}, extra...)
	code, out := tg.restoreBackup(t, append(args, p.DataDir)...)
	if code != 0 {
		t.Fatalf("restore-backup exited %d:\n%s", code, out)
	}
	t.Logf("restore-backup: %s", strings.TrimSpace(lastLine(out)))
	p.Configure(t)
	p.SetEnv(tg.env)
	p.Start(t)
	waitFor(t, 5*time.Minute, func() bool {
		v, err := p.TrySQL("SELECT pg_is_in_recovery()")
		return err == nil && v == "f"
	}, func() string { return "recovery did not finish" })
	return p
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// markTarget writes 1000 marker rows, takes a target time after them, writes 500 more, and archives it
// all: a recovery to the target has exactly 1000.
func markTarget(t testing.TB, pg *testservers.Postgres, tg *target) string {
	t.Helper()
	pg.SQL(t, "CREATE TABLE marker(id int); INSERT INTO marker SELECT generate_series(1, 1000)")
	time.Sleep(1100 * time.Millisecond)
	target := pg.SQL(t, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
	time.Sleep(1100 * time.Millisecond)
	pg.SQL(t, "INSERT INTO marker SELECT generate_series(1001, 1500)")
	switchAndWait(t, pg, tg)
	return target
}

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
