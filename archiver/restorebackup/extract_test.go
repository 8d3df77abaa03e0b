package restorebackup

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
