package restorebackup

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// extractor writes tar entries under root and nowhere else. A backup comes from a store that others can
// write to, so nothing in it is trusted: names that are absolute or climb out with "..", links whose
// target leaves the directory they are in, and device files are refused; extraction never follows a
// symlink (every parent is checked to be a real directory), so a link in the tar cannot redirect a later
// entry outside root.
type extractor struct {
	root string
	// sync fsyncs every file before closing it; directories are synced once at the end of the restore.
	sync bool
	// syncers is how many files are synced at once (2 when 0); syncs is their pool during extract.
	syncers int
	syncs   *syncPool
	// skip, when it returns true for a cleaned name, drops the entry (pg_tblspc links the restore
	// makes itself).
	skip func(name string) bool
	// buf is the copy buffer, reused across files.
	buf []byte
	// files and bytes count what was written.
	files, bytes int64
	// owner is the tar's owner of PG_VERSION (or of the first file), which finish gives the whole
	// restore when it runs as root.
	owner owner
}

// maxEntrySize bounds one file: a PostgreSQL relation segment is 1 GiB; anything far above that is not
// a PGDATA file.
const maxEntrySize = 64 << 30

// cleanName turns a tar entry name into a slash-separated path relative to root, or refuses it. "" means
// the root itself ("./").
func cleanName(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty name")
	}
	if strings.ContainsRune(name, 0) || strings.ContainsRune(name, '\\') {
		return "", fmt.Errorf("name %q contains a NUL or a backslash", clip(name))
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("name %q is absolute; a backup's names are relative to PGDATA or the tablespace", clip(name))
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("name %q contains \"..\", which would write outside the destination", clip(name))
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", nil
	}
	return c, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// extract writes every entry of the tar stream r under root. It returns once every file is closed (and
// synced, with sync), or with the first error.
func (x *extractor) extract(r io.Reader) (err error) {
	if x.sync {
		x.syncs = newSyncPool(max(2, x.syncers))
		defer func() {
			if serr := x.syncs.close(); err == nil {
				err = serr
			}
		}()
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the tar: %w", err)
		}
		if err := x.entry(tr, h); err != nil {
			return err
		}
	}
}

func (x *extractor) entry(r io.Reader, h *tar.Header) error {
	name, err := cleanName(h.Name)
	if err != nil {
		return fmt.Errorf("refusing tar entry: %w", err)
	}
	if x.skip != nil && x.skip(name) {
		return nil
	}
	dst := filepath.Join(x.root, filepath.FromSlash(name))
	if name != "" {
		if err := x.parents(name); err != nil {
			return err
		}
	}
	if isSparse(h) {
		// The reader would fill the holes with zeros: a few bytes of tar could write gigabytes. Neither
		// PostgreSQL nor barman writes sparse entries.
		return fmt.Errorf("refusing tar entry %q: a sparse file, which no base backup contains", clip(name))
	}
	mode := os.FileMode(h.Mode) & os.ModePerm
	switch h.Typeflag {
	case tar.TypeDir:
		if name == "" {
			return nil // the root's mode is the restore's (0700, what PostgreSQL demands)
		}
		if err := x.mkdir(name, dst, mode|0o700); err != nil {
			return err
		}
	case tar.TypeReg:
		if h.Size < 0 || h.Size > maxEntrySize {
			return fmt.Errorf("refusing tar entry %q: size %d is outside 0..%d", clip(name), h.Size, int64(maxEntrySize))
		}
		if err := x.file(dst, name, r, h.Size, mode|0o600, h.ModTime); err != nil {
			return err
		}
		x.files++
		x.bytes += h.Size
		if !x.owner.set || name == "PG_VERSION" {
			x.owner = owner{set: true, uid: h.Uid, gid: h.Gid, pgVersion: name == "PG_VERSION"}
		}
		return nil // its times are set once it is closed
	case tar.TypeSymlink:
		if err := checkLinkTarget(name, h.Linkname); err != nil {
			return err
		}
		if err := removeLeaf(dst); err != nil {
			return err
		}
		if err := os.Symlink(h.Linkname, dst); err != nil {
			return fmt.Errorf("creating symlink %s: %w", dst, err)
		}
		return nil
	case tar.TypeLink:
		target, err := cleanName(h.Linkname)
		if err != nil || target == "" {
			return fmt.Errorf("refusing hard link %q to %q: the target must be a file of the same backup", clip(name), clip(h.Linkname))
		}
		if err := x.parents(target); err != nil {
			return err
		}
		src := filepath.Join(x.root, filepath.FromSlash(target))
		if fi, err := os.Lstat(src); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("refusing hard link %q: its target %q is not a regular file extracted before it", clip(name), clip(target))
		}
		if err := removeLeaf(dst); err != nil {
			return err
		}
		if err := os.Link(src, dst); err != nil {
			return fmt.Errorf("creating hard link %s: %w", dst, err)
		}
		return nil
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return fmt.Errorf("refusing tar entry %q: type %q (device, fifo or unknown) has no place in a PostgreSQL data directory",
			clip(name), string(h.Typeflag))
	}
	if !h.ModTime.IsZero() {
		// Only for the record (PostgreSQL does not read it); a failure does not matter.
		_ = os.Chtimes(dst, time.Now(), h.ModTime)
	}
	return nil
}

func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// checkLinkTarget allows relative symlinks that stay below their own directory: with no ".." and no
// absolute path, no chain of such links can resolve outside the destination.
func checkLinkTarget(name, target string) error {
	if target == "" || strings.HasPrefix(target, "/") || strings.ContainsRune(target, 0) {
		return fmt.Errorf("refusing symlink %q -> %q: the target must be a relative path inside the backup", clip(name), clip(target))
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			return fmt.Errorf("refusing symlink %q -> %q: the target climbs out of the link's directory with \"..\"", clip(name), clip(target))
		}
	}
	return nil
}

// parents creates the missing directories above name and refuses any that exists as something other
// than a real directory: a symlink there could send the entry outside root.
func (x *extractor) parents(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	p := x.root
	for _, part := range strings.Split(dir, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("creating directory %s: %w", p, err)
			}
			if fi, err = os.Lstat(p); err != nil {
				return err
			}
			if !fi.IsDir() {
				return fmt.Errorf("refusing tar entry %q: %s is not a directory", clip(name), p)
			}
		case err != nil:
			return err
		case !fi.IsDir():
			return fmt.Errorf("refusing tar entry %q: %s is a symlink or file, not a directory; extraction never follows links", clip(name), p)
		}
	}
	return nil
}

func (x *extractor) mkdir(name, dst string, mode os.FileMode) error {
	fi, err := os.Lstat(dst)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.Mkdir(dst, mode); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("creating directory %s: %w", dst, err)
		}
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("refusing directory entry %q: %s exists and is not a directory", clip(name), dst)
	}
	// Mkdir's mode passes through the umask; the backup's mode is what the files had.
	return os.Chmod(dst, mode)
}

// file writes size bytes of r to dst, never through a symlink. With sync, the pool syncs and closes it
// while the extraction goes on.
func (x *extractor) file(dst, name string, r io.Reader, size int64, mode os.FileMode, modTime time.Time) error {
	if x.syncs != nil {
		if err := x.syncs.failed(); err != nil {
			return err
		}
	}
	if err := removeLeaf(dst); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	if x.buf == nil {
		x.buf = make([]byte, 1<<20)
	}
	// Through Write only (the struct hides ReadFrom): *os.File's ReadFrom would copy through a 32 KiB
	// buffer of its own, one write(2) per 32 KiB instead of per MiB.
	n, err := io.CopyBuffer(struct{ io.Writer }{f}, io.LimitReader(r, size), x.buf)
	if err == nil && n != size {
		err = fmt.Errorf("the tar ends after %d of its %d bytes", n, size)
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s (%q in the backup): %w", dst, clip(name), err)
	}
	wf := &writtenFile{f: f, dst: dst, name: name, mode: mode, modTime: modTime}
	if x.syncs != nil {
		x.syncs.files <- wf
		return nil
	}
	return wf.finish(false)
}

// removeLeaf removes what is at dst (a file or link from an earlier part of the same backup) so the new
// entry replaces it, as tar does; a directory there is an error.
func removeLeaf(dst string) error {
	fi, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory in the destination and a file or link in the backup", dst)
	}
	return os.Remove(dst)
}
