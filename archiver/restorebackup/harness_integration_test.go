//go:build integration

package restorebackup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/archivertest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// archiverBin is the wal-archiver built for these tests.
var archiverBin string

func TestMain(m *testing.M) {
	bin, remove, err := testservers.BuildArchiver()
	if err != nil {
		fmt.Fprintln(os.Stderr, "building wal-archiver for the integration tests:", err)
		os.Exit(1)
	}
	archiverBin = bin
	code := m.Run()
	remove()
	os.Exit(code)
}

func binary() string { return archiverBin }

// target is one store with the restore tests' helpers.
type target struct{ *archivertest.Target }

func newTarget(t testing.TB, kind string) *target {
	return &target{archivertest.NewTarget(t, kind, "pg")}
}

// senderConf is the primary's replication capacity; a restored copy needs at least as much.
var senderConf = []string{"max_wal_senders = 10", "max_replication_slots = 10"}

func startStream(t testing.TB, pg *testservers.Postgres, tg *target) {
	tg.StartStream(t, pg, "gzip", testLog(t).WithName("stream"))
}

// barmanBackup takes a backup of pg with Debian's barman-cloud-backup, run as the postgres OS user
// where PGDATA is (as the plugin runs it), and returns its ID.
func (tg *target) barmanBackup(t testing.TB, pg *testservers.Postgres, codecFlag string) string {
	t.Helper()
	args := append(append([]string{}, tg.Flags...), "--immediate-checkpoint")
	if codecFlag != "" {
		args = append(args, codecFlag)
	}
	args = append(args, "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres", tg.Dest, tg.Server)
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", "env"}, append(tg.Env, append([]string{testservers.BarmanTool(t, "barman-cloud-backup")}, args...)...)...)...)
	if os.Geteuid() != 0 {
		cmd = exec.Command(testservers.BarmanTool(t, "barman-cloud-backup"), args...)
		cmd.Env = append(os.Environ(), tg.Env...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("barman-cloud-backup %v: %v\n%s", args, err, out)
	}
	objs, err := tg.Store.List(context.Background(), tg.Layout.BasePrefix())
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, o := range objs {
		if k, err := tg.Layout.ParseBaseKey(o.Key); err == nil && k.Kind == layout.BaseInfo && k.ID > id {
			id = k.ID
		}
	}
	if id == "" {
		t.Fatalf("barman-cloud-backup left no backup.info under %s", tg.Layout.BasePrefix())
	}
	return id
}

// restoreBackup runs `wal-archiver restore-backup` with the target's environment and returns its exit
// code and output.
func (tg *target) restoreBackup(t testing.TB, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(), append([]string{"restore-backup"}, args...)...)
	cmd.Env = append(os.Environ(), tg.Env...)
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
	p.SetEnv(tg.Env)
	p.Start(t)
	testservers.WaitFor(t, 5*time.Minute, func() bool {
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
	tg.SwitchAndWait(t, pg)
	return target
}

func testLog(t testing.TB) logr.Logger { return testservers.Log(t) }
