//go:build integration

package basebackup

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestEveryCodecAndStore: every codec we write (also those barman 3.4 cannot read) and the GCS driver
// give a data.tar that decodes with the codec named by its suffix into a tar holding backup_label first
// and global/pg_control, without the server's signal files or pg_tblspc links.
func TestEveryCodecAndStore(t *testing.T) {
	for _, c := range []struct{ store, codec string }{{"s3", "snappy"}, {"s3", "lz4"}, {"gcs", "gzip"}, {"gcs", ""}} {
		t.Run(c.store+"-"+codecName(c.codec), func(t *testing.T) {
			var tg *target
			if c.store == "gcs" {
				tg = fakeGCSTarget(t, "pg")
			} else {
				tg = minioTarget(t, "pg")
			}
			pg := testservers.StartPostgres(t, testservers.PostgresOptions{Conf: senderConf})
			startStream(t, pg, tg, "")
			pg.Run(t, "pgbench", "-i", "-s", "1", "-q", "postgres")
			res, err := Run(context.Background(), backupConfig(t, pg, tg, c.codec))
			if err != nil {
				t.Fatal(err)
			}
			checkStored(t, tg, res, c.codec)
			checkTar(t, tg, res.ID, c.codec)
		})
	}
}

func checkTar(t *testing.T, tg *target, id, codec string) {
	t.Helper()
	ext, _ := layout.TarExt(codec)
	rc, err := tg.Store.Get(context.Background(), tg.Layout.TarKey(id, layout.Tar{Name: layout.DataTar, Ext: ext}))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	cdc, ok := compress.ForExt(ext)
	if !ok {
		t.Fatalf("no codec for %q", ext)
	}
	zr, err := cdc.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("data.tar%s does not decode: %v", ext, err)
		}
		names = append(names, h.Name)
	}
	all := "," + strings.Join(names, ",") + ","
	if len(names) == 0 || names[0] != "backup_label" || !strings.Contains(all, ",global/pg_control,") {
		t.Fatalf("data.tar%s starts with %v and must hold backup_label first and global/pg_control", ext, names[:min(5, len(names))])
	}
	for _, n := range names {
		if n == "standby.signal" || n == "recovery.signal" || (strings.HasPrefix(n, "pg_tblspc/") && n != "pg_tblspc/") {
			t.Fatalf("data.tar%s holds %s", ext, n)
		}
	}
}

// TestTablespaceEncryptionAndTags: `wal-archiver backup` of a server with a tablespace stores <oid>.tar
// beside data.tar, both with data.encryption as S3 server-side encryption and the tags as object tags;
// backup.info names the tablespace; barman-cloud-restore puts it where --tablespace says and the
// recovered server reads the table in it.
func TestTablespaceEncryptionAndTags(t *testing.T) {
	tg := minioTarget(t, "pg")
	pg := testservers.StartPostgres(t, testservers.PostgresOptions{Conf: senderConf})
	startStream(t, pg, tg, "")
	tsDir := postgresDir(t)
	pg.SQL(t, "CREATE TABLESPACE extra LOCATION '"+tsDir+"'")
	pg.SQL(t, "CREATE TABLE far(id int) TABLESPACE extra; INSERT INTO far SELECT generate_series(1, 4321)")
	oid := pg.SQL(t, "SELECT oid FROM pg_tablespace WHERE spcname = 'extra'")

	cmd := tg.archiverCmd(pg, t.TempDir(), "backup", "--data-encryption", "AES256", "--tags", `{"team":"db","kind":"base backup"}`,
		"--data-compression", "gzip", "--data-immediate-checkpoint", "true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wal-archiver backup: %v\n%s", err, stderr.String())
	}
	id := strings.TrimSpace(stdout.String())
	for _, name := range []string{"data.tar.gz", oid + ".tar.gz", "backup.info"} {
		key := tg.Layout.BackupPrefix(id) + name
		head, err := tg.Store.(*s3store.Store).Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("wal"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if head.ServerSideEncryption != "AES256" {
			t.Errorf("%s is encrypted with %q, want AES256", key, head.ServerSideEncryption)
		}
		tags, err := tg.Store.(*s3store.Store).Client().GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: aws.String("wal"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, tag := range tags.TagSet {
			got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if got["team"] != "db" || got["kind"] != "base backup" {
			t.Errorf("%s has tags %v", key, got)
		}
	}
	rc, err := tg.Store.Get(context.Background(), tg.Layout.BackupInfoKey(id))
	if err != nil {
		t.Fatal(err)
	}
	info := readAll(t, rc)
	rc.Close()
	if want := "tablespaces=[('extra', " + oid + ", '" + tsDir + "')]"; !strings.Contains(info, want) {
		t.Fatalf("backup.info lacks %s:\n%s", want, info)
	}
	pg.SQL(t, "INSERT INTO far SELECT generate_series(4322, 5000)")
	switchAndWait(t, pg, tg)

	newLoc := postgresDir(t)
	p := tg.barmanRecoverTS(t, id, "extra:"+newLoc)
	if got := p.SQL(t, "SELECT count(*) FROM far"); got != "5000" {
		t.Errorf("the table in the tablespace has %s rows after recovery, want 5000", got)
	}
	if out, err := exec.Command("ls", newLoc).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "PG_") {
		t.Errorf("the relocated tablespace holds %q (%v), want its PG_ directory", out, err)
	}
}

// postgresDir is an empty directory the postgres OS user owns, outside the test's 0700 temporary tree.
func postgresDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgtablespace-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	testservers.ChownPostgres(t, dir)
	return dir
}
