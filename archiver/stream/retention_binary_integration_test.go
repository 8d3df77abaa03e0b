//go:build integration

package stream

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestBinaryRetentionOnThePrimaryOnly runs `wal-archiver stream --retention-policy 7d` beside a standby
// and beside its primary, over a store holding three backups (20, 10 and 1 day old) and WAL at a high log
// number: the primary's archiver deletes the oldest backup and the WAL before the middle one's begin_wal,
// and exports the catalog; the standby's deletes and exports nothing.
func TestBinaryRetentionOnThePrimaryOnly(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	const server = "retained"
	lay, _ := layout.New("prefix", server)
	ctx := context.Background()
	put := func(key string, body []byte) {
		if err := st.Create(ctx, key, bytes.NewReader(body), int64(len(body)), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	var ids []string
	var ends []time.Time
	for i, ago := range []int{20, 10, 1} {
		start := now.Add(-time.Duration(ago)*24*time.Hour - time.Hour)
		begin := layout.Name{Kind: layout.Segment, TLI: 1, Log: 0x100, Seg: uint32(10 * i)}
		info := catalog.Info{Status: catalog.StatusDone, ServerName: catalog.ServerName, BeginTime: start, EndTime: start.Add(time.Minute),
			BeginWAL: begin.String(), EndWAL: begin.String(), Timeline: catalog.Int(1), Version: catalog.Int(150000)}
		id := layout.NewBackupID(start)
		put(lay.TarKey(id, layout.Tar{Name: layout.DataTar}), []byte("tar"))
		put(lay.BackupInfoKey(id), catalog.Format(info))
		ids, ends = append(ids, id), append(ends, info.EndTime)
	}
	var oldWAL []string
	for s := uint32(0); s < 15; s++ {
		key := lay.Key(layout.Name{Kind: layout.Segment, TLI: 1, Log: 0x100, Seg: s}, ".gz")
		put(key, []byte("wal"))
		if s < 10 {
			oldWAL = append(oldWAL, key)
		}
	}

	pg := primary(t)
	standby := testservers.StartStandby(t, pg, testservers.PostgresOptions{Conf: append([]string{"wal_keep_size = '4GB'"}, senderConf...)})
	args := []string{"--retention-policy", "7d", "--retention-interval", "1m"}
	onStandby := startBinary(t, standby, m, server, t.TempDir(), args...)
	waitFor(t, time.Minute, func() bool {
		resp, err := http.Get("http://" + onStandby.listen + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), "standby")
	}, func() string {
		return "the standby's archiver never said it waits on a standby:\n" + onStandby.out.String()
	})
	onPrimary := startBinary(t, pg, m, server, t.TempDir(), args...)
	deleted := `wal_archiver_retention_deleted_objects_total{kind="backup"}`
	waitFor(t, 2*time.Minute, func() bool { return onPrimary.metric(t, deleted) == 1 },
		func() string { return "the primary's archiver did not apply retention:\n" + onPrimary.out.String() })

	c, err := catalog.Read(ctx, st, lay)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Backups) != 2 || c.Backups[0].ID != ids[1] {
		t.Errorf("backups left: %+v, want %s and %s", c.Backups, ids[1], ids[2])
	}
	for _, k := range oldWAL {
		if _, err := st.Stat(ctx, k); err == nil {
			t.Errorf("%s (before the middle backup's begin_wal) is still there", k)
		}
	}
	if _, err := st.Stat(ctx, lay.Key(layout.Name{Kind: layout.Segment, TLI: 1, Log: 0x100, Seg: 10}, ".gz")); err != nil {
		t.Errorf("the middle backup's begin_wal is gone: %v", err)
	}
	// The real WAL (log 0) sorts before the seeded begin_wal too, so retention deletes what was archived
	// by then as well, as barman would: at least the 10 seeded segments.
	if got := onPrimary.metric(t, `wal_archiver_retention_deleted_objects_total{kind="wal"}`); got < 10 {
		t.Errorf("deleted WAL counter = %v, want at least the 10 seeded segments", got)
	}
	for name, want := range map[string]time.Time{
		"wal_archiver_catalog_first_recoverability_point_timestamp_seconds": ends[1],
		"wal_archiver_catalog_last_backup_timestamp_seconds":                ends[2],
	} {
		if got := onPrimary.metric(t, name); int64(got) != want.Unix() {
			t.Errorf("%s = %f, want %d", name, got, want.Unix())
		}
	}
	for _, name := range []string{"wal_archiver_retention_last_success_timestamp_seconds", deleted, "wal_archiver_catalog_backups"} {
		if got := onStandby.metric(t, name); got != 0 {
			t.Errorf("the standby's archiver has %s = %v; only the primary applies retention", name, got)
		}
	}
}
