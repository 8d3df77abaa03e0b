//go:build integration

package basebackup

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestScheduleRunsOnThePrimaryOnly: `wal-archiver stream --backup-schedule` on a primary and on its
// standby, both every 3 seconds, into one store: backups appear, every one of them taken from the
// primary, and only the primary's process reports a successful backup.
func TestScheduleRunsOnThePrimaryOnly(t *testing.T) {
	tg := minioTarget(t, "pg")
	pg := testservers.StartPostgres(t, testservers.PostgresOptions{WALSegSizeMB: 1, Conf: senderConf})
	standby := testservers.StartStandby(t, pg, testservers.PostgresOptions{Conf: senderConf})
	type proc struct {
		listen string
		out    *bytes.Buffer
	}
	start := func(p *testservers.Postgres) proc {
		listen := "127.0.0.1:" + strconv.Itoa(testservers.FreePort(t))
		cmd := tg.archiverCmd(p, t.TempDir(), "stream", "--backup-schedule", "*/3 * * * * *", "--listen", listen,
			"--data-immediate-checkpoint", "true", "--data-compression", "gzip", "--partial-interval", "0")
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("wal-archiver stream on port %d:\n%s", p.Port, out.String())
			}
		})
		return proc{listen: listen, out: out}
	}
	primary, second := start(pg), start(standby)
	pg.SQL(t, "CREATE TABLE load AS SELECT generate_series(1, 100000) g")
	waitFor(t, 3*time.Minute, func() bool { done, _ := infos(t, tg); return len(done) >= 2 },
		func() string {
			done, _ := infos(t, tg)
			return "scheduled backups in the store: " + strings.Join(done, ",")
		})

	done, _ := infos(t, tg)
	for _, id := range done {
		rc, err := tg.Store.Get(t.Context(), tg.Layout.BackupInfoKey(id))
		if err != nil {
			t.Fatal(err)
		}
		info := readAll(t, rc)
		rc.Close()
		if !strings.Contains(info, "BACKUP FROM: primary") {
			t.Errorf("backup %s was not taken from the primary:\n%s", id, info)
		}
	}
	if v := metric(t, primary.listen, "wal_archiver_backup_last_success_timestamp_seconds"); v == "0" {
		t.Errorf("the primary's archiver reports no successful backup")
	}
	if v := metric(t, second.listen, "wal_archiver_backup_last_success_timestamp_seconds"); v != "0" {
		t.Errorf("the standby's archiver reports a backup at %s", v)
	}
	if v := metric(t, second.listen, "wal_archiver_backup_schedule_interval_seconds"); v != "3" {
		t.Errorf("schedule interval %s, want 3", v)
	}
}

// metric reads one unlabelled sample from an archiver's /metrics.
func metric(t *testing.T, listen, name string) string {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("%s has no %s", listen, name)
	return ""
}
