package durable

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "000000010000000000000001")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o277) // would leave the owner read-only without the explicit mode
	defer syscall.Umask(old)
	if err := WriteFile(path, dir, strings.NewReader("new contents")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new contents" {
		t.Fatalf("read %q, %v; want the new contents", got, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	assertOnly(t, dir, filepath.Base(path))
}

// failingReader yields some bytes, then fails: a download cut off halfway.
type failingReader struct{ sent bool }

func (r *failingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "half a segment"), nil
	}
	return 0, errors.New("connection reset")
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "segment")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, tmp, &failingReader{})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the reader's error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("path holds %q after a failed write, want the old file untouched", got)
	}
	assertOnly(t, tmp)

	// A missing destination directory is an error too, and leaves no temporary behind.
	if err := WriteFile(filepath.Join(dir, "missing", "x"), tmp, strings.NewReader("x")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	assertOnly(t, tmp)
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// onlyReader hides a source's WriteTo, as a decompressor's or an HTTP body's reader has none.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// BenchmarkWriteFile writes one 16 MiB WAL segment as restore does, from a reader without WriteTo, fsync
// included: go test -run '^$' -bench WriteFile ./archiver/durable/
func BenchmarkWriteFile(b *testing.B) {
	dir := b.TempDir()
	seg := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	b.SetBytes(int64(len(seg)))
	for b.Loop() {
		if err := WriteFile(filepath.Join(dir, "segment"), dir, onlyReader{bytes.NewReader(seg)}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteFileSources: every kind of source arrives whole: a file (copied in the kernel), a reader with
// WriteTo, and a plain reader larger than the copy buffer.
func TestWriteFileSources(t *testing.T) {
	dir := t.TempDir()
	want := bytes.Repeat([]byte("segment-"), 3<<18) // 6 MiB: several buffers' worth
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, want, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, r := range map[string]io.Reader{"file": f, "bytes.Reader": bytes.NewReader(want), "plain": onlyReader{bytes.NewReader(want)}} {
		dest := filepath.Join(dir, "dest-"+strings.ReplaceAll(name, ".", "-"))
		if err := WriteFile(dest, dir, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := os.ReadFile(dest); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: read back %d bytes (%v), want the %d written", name, len(got), err, len(want))
		}
	}
}
