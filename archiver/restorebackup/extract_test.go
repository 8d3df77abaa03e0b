package restorebackup

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestExtractRefusesEscapes: every way a tar could write outside the destination is refused with a
// message naming the entry, and nothing lands outside.
func TestExtractRefusesEscapes(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []file
		want  string
	}{
		{"dot-dot", []file{{name: "base/../../evil", body: "x"}}, `contains ".."`},
		{"absolute", []file{{name: "/tmp/evil", body: "x"}}, "is absolute"},
		{"symlink up", []file{{name: "l", typ: tar.TypeSymlink, link: "../outside"}}, "climbs out"},
		{"symlink absolute", []file{{name: "l", typ: tar.TypeSymlink, link: "/etc"}}, "must be a relative path"},
		{"write through a symlink", []file{{name: "d", typ: tar.TypeDir, mode: 0o700}, {name: "l", typ: tar.TypeSymlink, link: "d"},
			{name: "l/x", body: "x"}}, "extraction never follows links"},
		{"hard link outside", []file{{name: "h", typ: tar.TypeLink, link: "../../etc/passwd"}}, "the target must be a file of the same backup"},
		{"device", []file{{name: "dev", typ: tar.TypeChar}}, "has no place in a PostgreSQL data directory"},
		{"dir over file", []file{{name: "f", body: "x"}, {name: "f/", typ: tar.TypeDir, mode: 0o700}}, "exists and is not a directory"},
	} {
		parent := t.TempDir()
		root := filepath.Join(parent, "root")
		if err := os.Mkdir(root, 0o700); err != nil {
			t.Fatal(err)
		}
		x := &extractor{root: root}
		err := x.extract(bytes.NewReader(tarOf(t, c.files)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error saying %q", c.name, err, c.want)
		}
		assertOnlyRoot(t, parent)
	}
}

// TestExtractKeepsInsideLinks: relative links below their directory and hard links within the backup
// are restored.
func TestExtractKeepsInsideLinks(t *testing.T) {
	root := t.TempDir()
	x := &extractor{root: root}
	files := []file{{name: "a/b", body: "data", mode: 0o600}, {name: "a/l", typ: tar.TypeSymlink, link: "b"},
		{name: "h", typ: tar.TypeLink, link: "a/b"}}
	if err := x.extract(bytes.NewReader(tarOf(t, files))); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Readlink(filepath.Join(root, "a/l")); err != nil || l != "b" {
		t.Fatalf("a/l -> %q, %v", l, err)
	}
	if got := read(t, filepath.Join(root, "h")); got != "data" {
		t.Fatalf("hard link reads %q", got)
	}
}

// assertOnlyRoot fails when anything but root and what is under it exists in parent.
func assertOnlyRoot(t *testing.T, parent string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "root" {
			t.Fatalf("extraction wrote %s outside the destination", filepath.Join(parent, e.Name()))
		}
	}
}

// FuzzExtract feeds arbitrary bytes to the tar reader and extractor: nothing panics, and nothing is
// written outside the destination, or through a link out of it.
func FuzzExtract(f *testing.F) {
	f.Add(tarOf(f, pgdata(64)))
	f.Add(tarOf(f, []file{{name: "a/b", body: "x"}, {name: "a/l", typ: tar.TypeSymlink, link: "b"}, {name: "h", typ: tar.TypeLink, link: "a/b"}}))
	f.Add(tarOf(f, []file{{name: "l", typ: tar.TypeSymlink, link: "../x"}, {name: "l/y", body: "z"}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		root := filepath.Join(parent, "root")
		if err := os.Mkdir(root, 0o700); err != nil {
			t.Fatal(err)
		}
		x := &extractor{root: root}
		_ = x.extract(bytes.NewReader(b))
		assertOnlyRoot(t, parent)
		// Every link left behind is relative and never climbs.
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 {
				l, err := os.Readlink(p)
				if err != nil {
					return err
				}
				if checkLinkTarget(p, l) != nil {
					t.Fatalf("extraction left %s -> %s", p, l)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestExtractFinishesEveryFile: with and without fsync (synced files are closed by the sync pool, after
// the extractor has moved on), extract returns only once every file has its bytes, mode and time, and
// holds no file open.
func TestExtractFinishesEveryFile(t *testing.T) {
	var files []file
	for i := range 300 {
		mode := int64(0o600)
		if i%3 == 0 {
			mode = 0o640
		}
		files = append(files, file{name: fmt.Sprintf("base/%d/%d", i%7, i), body: strings.Repeat(string(rune('a'+i%26)), i*97), mode: mode})
	}
	stream := tarOf(t, files)
	for _, sync := range []bool{false, true} {
		root := t.TempDir()
		before := openFiles(t)
		x := &extractor{root: root, sync: sync, syncers: 3}
		if err := x.extract(bytes.NewReader(stream)); err != nil {
			t.Fatalf("sync=%v: %v", sync, err)
		}
		if after := openFiles(t); after != before {
			t.Errorf("sync=%v: %d files open before extract, %d after", sync, before, after)
		}
		for _, f := range files {
			p := filepath.Join(root, f.name)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("sync=%v: %v", sync, err)
			}
			if got := read(t, p); got != f.body {
				t.Fatalf("sync=%v: %s holds %d bytes, want %d", sync, f.name, len(got), len(f.body))
			}
			if fi.Mode().Perm() != os.FileMode(f.mode) || fi.ModTime().Unix() != 1700000000 {
				t.Fatalf("sync=%v: %s has mode %v and time %v, want %v and the tar's", sync, f.name, fi.Mode().Perm(), fi.ModTime(), os.FileMode(f.mode))
			}
		}
		if x.files != int64(len(files)) {
			t.Errorf("sync=%v: counted %d files, want %d", sync, x.files, len(files))
		}
	}
}

// TestSyncPoolReportsTheFirstFailure: a file that cannot be finished fails the extraction with its
// name, the next file is refused rather than written, and the pool's close still waits for the rest.
func TestSyncPoolReportsTheFirstFailure(t *testing.T) {
	root := t.TempDir()
	x := &extractor{root: root, sync: true}
	x.syncs = newSyncPool(2)
	bad, err := os.Create(filepath.Join(root, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.Close() // finishing it now fails: its descriptor is gone
	x.syncs.files <- &writtenFile{f: bad, dst: bad.Name(), name: "bad", mode: 0o600}
	for x.syncs.failed() == nil {
		runtime.Gosched()
	}
	err = x.file(filepath.Join(root, "next"), "next", strings.NewReader("x"), 1, 0o600, time.Time{})
	if err == nil || !strings.Contains(err.Error(), `"bad" in the backup`) {
		t.Fatalf("the next file: got %v, want the failure of bad", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "next")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the next file was created after the pool failed: %v", err)
	}
	if err := x.syncs.close(); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("close: got %v, want the failure of bad", err)
	}
}

// openFiles counts this process's open descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
