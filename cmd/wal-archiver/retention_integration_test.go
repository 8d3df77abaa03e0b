//go:build integration

package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

const retentionBucket = "ret"

// seed writes three daily-ish backups (20, 10 and 1 day old) and segments 0..29 of timeline 1: with 7d,
// the oldest goes with the WAL before the second's begin_wal (segment 10).
func seed(t *testing.T, st store.Store, l layout.Layout, now time.Time) []string {
	t.Helper()
	var ids []string
	for i, ago := range []int{20, 10, 1} {
		start := now.Add(-time.Duration(ago) * 24 * time.Hour)
		id := layout.NewBackupID(start)
		begin := layout.SegmentName(1, uint64(10*i), layout.DefaultSegmentSize)
		info := catalog.Info{Status: catalog.StatusDone, ServerName: catalog.ServerName, BeginTime: start, EndTime: start.Add(time.Minute),
			BeginWAL: begin.String(), EndWAL: begin.Next(layout.DefaultSegmentSize).String(), Timeline: catalog.Int(1), Version: catalog.Int(150000)}
		create(t, st, l.TarKey(id, layout.Tar{Name: layout.DataTar, Ext: ".gz"}), "tar")
		create(t, st, l.BackupInfoKey(id), string(catalog.Format(info)))
		ids = append(ids, id)
	}
	for s := uint64(0); s < 30; s++ {
		create(t, st, l.Key(layout.SegmentName(1, s, layout.DefaultSegmentSize), ".gz"), "wal")
	}
	return ids
}

func create(t *testing.T, st store.Store, key, body string) {
	t.Helper()
	if err := st.Create(context.Background(), key, strings.NewReader(body), int64(len(body)), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

func keys(t *testing.T, st store.Store, prefix string) []string {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func TestRetentionCommand(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, retentionBucket)
	st, err := s3store.New(context.Background(), s3store.Config{Bucket: retentionBucket, Endpoint: m.URL,
		Credentials: &s3store.Credentials{AccessKeyID: m.AccessKey, SecretAccessKey: m.SecretKey}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	lay, _ := layout.New("db", "pg")
	ids := seed(t, st, lay, time.Now())
	for k, v := range map[string]string{"WAL_ARCHIVER_DESTINATION_PATH": "s3://" + retentionBucket + "/db", "WAL_ARCHIVER_ENDPOINT_URL": m.URL,
		"WAL_ARCHIVER_SERVER_NAME": "pg", "AWS_ACCESS_KEY_ID": m.AccessKey, "AWS_SECRET_ACCESS_KEY": m.SecretKey, "AWS_REGION": m.Region} {
		t.Setenv(k, v)
	}
	before := keys(t, st, "db/")
	exec := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"retention"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	if code, _, errOut := exec(); code != 2 || !strings.Contains(errOut, "no retention policy: set --retention-policy (WAL_ARCHIVER_RETENTION_POLICY)") {
		t.Errorf("without a policy: %d %q", code, errOut)
	}
	if code, _, errOut := exec("--retention-policy", "7x"); code != 2 || !strings.Contains(errOut, "such as 7d, 4w, 3m") {
		t.Errorf("a bad policy: %d %q", code, errOut)
	}

	code, out, errOut := exec("--dry-run", "--retention-policy", "7d")
	if code != 0 {
		t.Fatalf("dry run: %d %s", code, errOut)
	}
	for _, want := range []string{
		"[dry run] retention RECOVERY WINDOW OF 7 DAYS at ",
		"[dry run] backup " + ids[0] + " OBSOLETE: older than the backup that covers the window start",
		"[dry run] backup " + ids[1] + " VALID: the newest backup that ended before the window start",
		"[dry run] delete backup " + ids[0] + ": 2 objects (its tars, then backup.info)",
		"[dry run]   delete db/pg/base/" + ids[0] + "/data.tar.gz\n[dry run]   delete db/pg/base/" + ids[0] + "/backup.info\n",
		"[dry run] delete 10 WAL objects freed by backup " + ids[0] + ": WAL before 00000001000000000000000A (begin_wal of " + ids[1] + "); history files are kept",
		"[dry run]   delete db/pg/wals/0000000100000000/000000010000000000000009.gz",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	if after := keys(t, st, "db/"); !slices.Equal(after, before) {
		t.Errorf("the dry run deleted something: %d objects before, %d after", len(before), len(after))
	}

	code, out, errOut = exec("--retention-policy", "7d")
	if code != 0 || !strings.Contains(out, "deleted 1 backups (2 objects) and 10 WAL objects") {
		t.Fatalf("retention: %d\n%s\n%s", code, out, errOut)
	}
	if after := keys(t, st, "db/"); len(after) != len(before)-12 || slices.Contains(after, lay.BackupInfoKey(ids[0])) {
		t.Errorf("after retention %d objects (from %d)", len(after), len(before))
	}

	// The stream process's periodic run: metrics from the catalog, deletions counted, and an
	// unreadable backup.info stops deletion and counts as a failure.
	mt := metrics.New()
	s := newSettings("stream", &bytes.Buffer{})
	if err := s.parse([]string{"--retention-policy", "1d"}); err != nil {
		t.Fatal(err)
	}
	r, err := newRetention(s, st, lay, mt, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(2 * time.Minute) // the newest backup ended just over a day ago: it covers the window start
	if err := r.Once(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	third, _ := layout.ParseBackupID(ids[2])
	if got := testutil.ToFloat64(mt.Catalog.Deleted.WithLabelValues(metrics.DeletedBackup)); got != 1 {
		t.Errorf("deleted backups counter = %v, want 1 (the 10-day-old one under 1d)", got)
	}
	if got := testutil.ToFloat64(mt.Catalog.FirstRecoverabilityPoint); int64(got) != third.Add(time.Minute).Unix() {
		t.Errorf("first recoverability point = %v, want the end of %s", got, ids[2])
	}
	if got := testutil.ToFloat64(mt.Catalog.LastBackup); int64(got) != third.Add(time.Minute).Unix() || testutil.ToFloat64(mt.Catalog.Backups) != 1 {
		t.Errorf("last backup = %v, backups %v", got, testutil.ToFloat64(mt.Catalog.Backups))
	}
	create(t, st, lay.BackupInfoKey("20200101T000000"), "status=DONE\nnot a line\n")
	if err := r.Once(context.Background(), now); err == nil || !strings.Contains(err.Error(), "20200101T000000") {
		t.Errorf("an unreadable backup.info: %v", err)
	}
	if got := testutil.ToFloat64(mt.Failures.WithLabelValues(metrics.ReasonRetention)); got != 1 {
		t.Errorf("retention failures = %v, want 1", got)
	}
	if code, _, errOut := exec("--retention-policy", "7d"); code != 1 || !strings.Contains(errOut, "20200101T000000") ||
		!strings.Contains(errOut, "line 2") {
		t.Errorf("the command with an unreadable backup.info: %d %q", code, errOut)
	}
}
