//go:build integration

package stream

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/madmin-go/v3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// minioUser creates a MinIO user with the readwrite policy through the admin API, as an operator rotating
// the store's access key would create the new key.
func minioUser(t *testing.T, adm *madmin.AdminClient, access, secret string) {
	t.Helper()
	ctx := context.Background()
	if err := adm.AddUser(ctx, access, secret); err != nil {
		t.Fatalf("creating MinIO user %s: %v", access, err)
	}
	if _, err := adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{"readwrite"}, User: access}); err != nil {
		t.Fatalf("attaching readwrite to %s: %v", access, err)
	}
}

// TestBinaryFollowsKeyRotationUnderPgbench rotates the store's access key while pgbench writes: a new
// MinIO user is made, the credentials files are swapped as the kubelet does, then the old user is
// removed. The running archiver (never restarted) must go on archiving with the new key: no segment
// missing, every one byte-identical to pg_wal's, nothing refused as a conflict.
func TestBinaryFollowsKeyRotationUnderPgbench(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	u, err := url.Parse(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	adm, err := madmin.New(u.Host, m.AccessKey, m.SecretKey, false)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, oldSecret := "archiver-old", "archiver-old-secret-1"
	newKey, newSecret := "archiver-new", "archiver-new-secret-2"
	minioUser(t, adm, oldKey, oldSecret)

	pg := primary(t)
	pg.Run(t, "pgbench", "-i", "-q", "-s", "5", "postgres")
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	testservers.KubeletSwap(t, creds, map[string]string{"AWS_ACCESS_KEY_ID": oldKey, "AWS_SECRET_ACCESS_KEY": oldSecret + "\n"})
	p := launch(t, m, "rotation", filepath.Join(dir, "spool"),
		[]string{"--conninfo", pg.ConnString(), "--settings-poll-interval", "200ms", "--compression", "lz4"},
		"WAL_ARCHIVER_PARTIAL_INTERVAL=2s", "WAL_ARCHIVER_CREDENTIALS_DIR="+creds, "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=")
	waitFor(t, time.Minute, func() bool { code, _ := p.probe("/readyz"); return code == 200 },
		func() string { _, body := p.probe("/readyz"); return "/readyz before the rotation: " + body })

	slotPID := func() string {
		return pg.SQL(t, "SELECT coalesce(active_pid::text, 'none') FROM pg_replication_slots WHERE slot_name = 'arch_rotation'")
	}
	pidBefore := slotPID()
	wait := pgbench(t, pg, 30*time.Second, 4)
	time.Sleep(10 * time.Second)
	minioUser(t, adm, newKey, newSecret)
	testservers.KubeletSwap(t, creds, map[string]string{"AWS_ACCESS_KEY_ID": newKey, "AWS_SECRET_ACCESS_KEY": newSecret + "\n"})
	waitFor(t, time.Minute, func() bool { return strings.Contains(p.out.String(), "uploads switch at the next attempt") },
		func() string { return "the archiver never noticed the swapped credentials:\n" + p.out.String() })
	time.Sleep(3 * time.Second)
	if err := adm.RemoveUser(context.Background(), oldKey); err != nil {
		t.Fatal(err)
	}
	// The old key is really gone: the store now refuses it.
	old, err := s3store.New(context.Background(), s3store.Config{Bucket: bucket, Endpoint: m.URL, MaxAttempts: 1,
		Credentials: &s3store.Credentials{AccessKeyID: oldKey, SecretAccessKey: oldSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Stat(context.Background(), "prefix/rotation/probe"); errors.Is(err, store.ErrNotFound) || err == nil {
		t.Fatalf("the removed key still works: %v", err)
	}
	wait()

	last := switchWAL(t, pg)
	v := archiveView(t, minioStore(t, m), "rotation", "lz4")
	v.waitArchived(t, last, 3*time.Minute)
	if c := p.metric(t, "wal_archiver_conflicts_total"); c != 0 {
		t.Errorf("wal_archiver_conflicts_total = %v after the rotation, want 0", c)
	}
	if code, body := p.probe("/readyz"); code != 200 {
		t.Errorf("/readyz %d %q after the rotation", code, body)
	}
	// Handed to the running archiver: the replication connection was never dropped for it.
	if pid := slotPID(); pid != pidBefore || strings.Contains(p.out.String(), "restarting archiving") {
		t.Errorf("the slot's walsender changed (%s -> %s) or archiving restarted; the new key should reach the uploader between uploads", pidBefore, pid)
	}
	p.term(t)
	segs := segmentsOf(v.list(t), 1)
	checkContiguous(t, segs, 1, segs[0], last, pg.SegSize)
	if n := v.checkAgainstPGWAL(t, pg); n < 20 {
		t.Errorf("only %d segments compared with pg_wal; pgbench wrote too little to test anything", n)
	}
	t.Logf("%d segments archived across a key rotation", len(segs))
}
