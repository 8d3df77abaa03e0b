//go:build integration

package stream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestBinaryFollowsARenewedStoreCA renews the CA of a TLS MinIO under pgbench the way a rotation
// publishes it: the archiver's endpoint CA file first gains the new CA beside the old one, then MinIO
// restarts with a certificate of the new CA, then the old CA leaves the file. The running archiver must
// follow each file change without a restart: no gap, every segment identical to pg_wal's.
func TestBinaryFollowsARenewedStoreCA(t *testing.T) {
	oldCA, oldServing := testservers.LocalTLS(t, "store-ca-1")
	newCA, newServing := testservers.LocalTLS(t, "store-ca-2")
	m := testservers.StartMinIO(t, testservers.MinIOOptions{CA: oldCA, Serving: oldServing})
	m.CreateBucket(t, bucket)
	pg := primary(t)
	pg.Run(t, "pgbench", "-i", "-q", "-s", "5", "postgres")
	dir := t.TempDir()
	caDir := filepath.Join(dir, "endpoint-ca")
	testservers.KubeletSwap(t, caDir, map[string]string{"ca.crt": string(oldCA.CertPEM)})
	p := launch(t, m, "ca-renewal", filepath.Join(dir, "spool"),
		[]string{"--conninfo", pg.ConnString(), "--settings-poll-interval", "200ms"},
		"WAL_ARCHIVER_PARTIAL_INTERVAL=2s", "WAL_ARCHIVER_ENDPOINT_CA_FILE="+filepath.Join(caDir, "ca.crt"))
	waitFor(t, time.Minute, func() bool { code, _ := p.probe("/readyz"); return code == 200 },
		func() string { _, body := p.probe("/readyz"); return "/readyz before the renewal: " + body })

	switches := func() int { return strings.Count(p.out.String(), "uploads switch at the next attempt") }
	wait := pgbench(t, pg, 25*time.Second, 4)
	time.Sleep(5 * time.Second)
	testservers.KubeletSwap(t, caDir, map[string]string{"ca.crt": string(oldCA.CertPEM) + string(newCA.CertPEM)})
	waitFor(t, time.Minute, func() bool { return switches() >= 1 }, func() string { return "the bundle was not taken:\n" + p.out.String() })
	m.RenewServing(t, newCA, newServing)
	time.Sleep(3 * time.Second)
	testservers.KubeletSwap(t, caDir, map[string]string{"ca.crt": string(newCA.CertPEM)})
	waitFor(t, time.Minute, func() bool { return switches() >= 2 }, func() string { return "the new CA alone was not taken:\n" + p.out.String() })
	wait()

	caFile := filepath.Join(dir, "new-ca.crt")
	if err := os.WriteFile(caFile, newCA.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := s3store.New(context.Background(), s3store.Config{Bucket: bucket, Endpoint: m.URL, CAFile: caFile, MaxAttempts: 1,
		Credentials: &s3store.Credentials{AccessKeyID: m.AccessKey, SecretAccessKey: m.SecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	last := switchWAL(t, pg)
	v := archiveView(t, st, "ca-renewal", "")
	v.waitArchived(t, last, 3*time.Minute)
	if code, body := p.probe("/readyz"); code != 200 {
		t.Errorf("/readyz %d %q after the renewal", code, body)
	}
	if strings.Contains(p.out.String(), "restarting archiving") {
		t.Error("archiving restarted; a new endpoint CA should reach the uploader between uploads")
	}
	p.term(t)
	segs := segmentsOf(v.list(t), 1)
	checkContiguous(t, segs, 1, segs[0], last, pg.SegSize)
	if n := v.checkAgainstPGWAL(t, pg); n < 20 {
		t.Errorf("only %d segments compared with pg_wal", n)
	}
	t.Logf("%d segments archived across a CA renewal", len(segs))
}
