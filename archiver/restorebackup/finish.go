package restorebackup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/durable"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// finish does what barman-cloud-restore does after extracting (pg_tblspc links, pg_wal), checks the
// result is a base backup PostgreSQL can start from, writes the recovery settings when asked, and makes
// it all durable.
func finish(cfg Config, info catalog.Info, dest string, own owner) error {
	if len(info.Tablespaces) > 0 {
		tblspc := filepath.Join(dest, "pg_tblspc")
		if err := mkdirIfMissing(tblspc); err != nil {
			return err
		}
		for _, ts := range info.Tablespaces {
			link := filepath.Join(tblspc, layout.TablespaceTar(ts.OID))
			if err := removeLeaf(link); err != nil {
				return err
			}
			if err := os.Symlink(location(cfg, ts), link); err != nil {
				return fmt.Errorf("linking tablespace %s: %w", ts.Name, err)
			}
		}
	}
	// barman excludes pg_wal's contents and may leave out the directory itself (a symlinked pg_wal).
	if err := mkdirIfMissing(filepath.Join(dest, "pg_wal")); err != nil {
		return err
	}
	if err := mkdirIfMissing(filepath.Join(dest, "pg_wal", "archive_status")); err != nil {
		return err
	}
	for _, f := range []string{"backup_label", "global/pg_control", "PG_VERSION"} {
		if _, err := os.Lstat(filepath.Join(dest, f)); err != nil {
			return fmt.Errorf("the restored backup has no %s: it is not a base backup PostgreSQL can recover from (%w)", f, err)
		}
	}
	if cfg.Recovery != nil {
		if err := writeRecovery(cfg, dest); err != nil {
			return err
		}
	}
	roots := []string{dest}
	for _, ts := range info.Tablespaces {
		roots = append(roots, location(cfg, ts))
	}
	if own.set {
		for _, root := range roots {
			if err := chownAll(root, own); err != nil {
				return err
			}
		}
	}
	if cfg.NoSync {
		return nil
	}
	for _, root := range roots {
		if err := syncDirs(root); err != nil {
			return err
		}
		if err := durable.SyncDir(filepath.Dir(root)); err != nil {
			return err
		}
	}
	return nil
}

func mkdirIfMissing(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, os.ErrExist) {
		if fi, serr := os.Lstat(dir); serr != nil || !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		return nil
	}
	if err != nil {
		return err
	}
	return nil
}

// chownAll gives everything under root, links themselves included, to own.
func chownAll(root string, own owner) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, own.uid, own.gid); err != nil {
			return fmt.Errorf("giving %s to the owner of the backup's PG_VERSION (%d:%d): %w", p, own.uid, own.gid, err)
		}
		return nil
	})
}

// syncDirs fsyncs every directory under root (the files were synced as they were written), so that
// their entries survive a crash.
func syncDirs(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return durable.SyncDir(p)
		}
		return nil
	})
}

// writeRecovery writes recovery.signal and appends the recovery settings to postgresql.auto.conf, which
// PostgreSQL reads last, so they win over postgresql.conf.
func writeRecovery(cfg Config, dest string) error {
	r := cfg.Recovery
	if r.RestoreCommand == "" {
		return errors.New("no restore_command to write; give the command PostgreSQL runs to fetch WAL, e.g. 'wal-archiver restore %f %p'")
	}
	var b bytes.Buffer
	auto := filepath.Join(dest, "postgresql.auto.conf")
	old, err := os.ReadFile(auto)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	b.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "# Added by wal-archiver restore-backup at %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "restore_command = %s\n", quote(r.RestoreCommand))
	if !cfg.TargetTime.IsZero() {
		fmt.Fprintf(&b, "recovery_target_time = %s\n", quote(FormatTargetTime(cfg.TargetTime)))
		if r.TargetAction != "" {
			fmt.Fprintf(&b, "recovery_target_action = %s\n", quote(r.TargetAction))
		}
	}
	if err := durable.WriteFile(auto, dest, &b); err != nil {
		return fmt.Errorf("writing %s: %w", auto, err)
	}
	signal := filepath.Join(dest, "recovery.signal")
	if err := durable.WriteFile(signal, dest, strings.NewReader("")); err != nil {
		return fmt.Errorf("writing %s: %w", signal, err)
	}
	return nil
}

// quote is a PostgreSQL configuration string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// FormatTargetTime is t as recovery_target_time takes it, in UTC with microseconds.
func FormatTargetTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999+00") }
