//go:build integration

package basebackup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/archivertest"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
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
	minio  *testservers.MinIO // the S3 target's server
}

func minioTarget(t testing.TB, server string) *target {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, "wal")
	tg := &target{name: "s3", dest: "s3://wal/prefix", server: server, flags: []string{"--endpoint-url", m.URL},
		env: []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey,
			"AWS_DEFAULT_REGION=" + m.Region, "AWS_REGION=" + m.Region, "AWS_EC2_METADATA_DISABLED=true",
			"WAL_ARCHIVER_ENDPOINT_URL=" + m.URL}}
	tg.minio = m
	tg.open(t)
	return tg
}

func fakeGCSTarget(t testing.TB, server string) *target {
	f := testservers.StartFakeGCS(t)
	f.CreateBucket(t, "wal")
	tg := &target{name: "gcs", dest: "gs://wal/prefix", server: server, env: []string{"STORAGE_EMULATOR_HOST=" + f.Host}}
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
	return (&archivertest.Target{Store: tg.st, Layout: tg.lay}).StartStream(t, pg, codec, testLog(t).WithName("stream"))
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
func pgbench(t testing.TB, pg *testservers.Postgres) (stop func()) { return pg.Pgbench(t) }

// switchAndWait closes the current segment and waits until the target's archive holds it.
func switchAndWait(t testing.TB, pg *testservers.Postgres, tg *target) {
	t.Helper()
	(&archivertest.Target{Store: tg.st, Layout: tg.lay}).SwitchAndWait(t, pg)
}

func waitFor(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	testservers.WaitFor(t, timeout, cond, what)
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
	return tg.recoverWith(t, id, segMB, nil, conf)
}

// barmanRecoverTS is barmanRecover to the end of the archive with a tablespace relocation (NAME:/path).
func (tg *target) barmanRecoverTS(t testing.TB, id, tablespace string) *testservers.Postgres {
	return tg.recoverWith(t, id, 1, []string{"--tablespace", tablespace}, nil)
}

func (tg *target) recoverWith(t testing.TB, id string, segMB int, restoreArgs, conf []string) *testservers.Postgres {
	t.Helper()
	p := testservers.NewPostgresDir(t, testservers.PostgresOptions{WALSegSizeMB: segMB, Conf: senderConf})
	tg.barman(t, "barman-cloud-restore", append(restoreArgs, tg.dest, tg.server, id, p.DataDir)...)
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

func testLog(t testing.TB) logr.Logger { return testservers.Log(t) }

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
