package basebackup

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
)

// maxLabel bounds the backup_label kept for backup.info (PostgreSQL's is a few hundred bytes).
const maxLabel = 64 << 10

// filterTar copies the tar stream src to dst entry by entry, leaving out what barman-cloud-restore and a
// recovering server must not find in a backup taken with BASE_BACKUP: the pg_tblspc/<oid> symlinks
// (restore creates them itself, unconditionally) and standby.signal / recovery.signal (a backup taken on
// a standby would otherwise restore as a standby). Everything else, backup_label and pg_control
// included, is copied unchanged. It returns the content of backup_label when src has one, and reads src
// to its end even after the end-of-archive marker so that the sender never blocks.
func filterTar(dst io.Writer, src io.Reader, data bool) (label string, err error) {
	tr := tar.NewReader(src)
	tw := tar.NewWriter(dst)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading the server's tar: %w", err)
		}
		if data && dropped(hdr) {
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", fmt.Errorf("writing %s: %w", hdr.Name, err)
		}
		var body io.Reader = tr
		var buf *bytes.Buffer
		if data && hdr.Name == "backup_label" && hdr.Typeflag == tar.TypeReg && hdr.Size <= maxLabel {
			buf = &bytes.Buffer{}
			body = io.TeeReader(tr, buf)
		}
		if _, err := io.Copy(tw, body); err != nil {
			return "", fmt.Errorf("copying %s: %w", hdr.Name, err)
		}
		if buf != nil {
			label = buf.String()
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	_, err = io.Copy(io.Discard, src)
	return label, err
}

// dropped says whether a PGDATA entry stays out of data.tar.
func dropped(hdr *tar.Header) bool {
	name := path.Clean(hdr.Name)
	switch name {
	case "standby.signal", "recovery.signal", "tablespace_map":
		return true
	}
	return path.Dir(name) == "pg_tblspc" && hdr.Typeflag == tar.TypeSymlink
}
