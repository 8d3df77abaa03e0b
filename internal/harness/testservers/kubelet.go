package testservers

import (
	"os"
	"path/filepath"
	"testing"
)

// KubeletSwap writes files into dir the way the kubelet updates a Secret, ConfigMap or projected volume: a
// new timestamped directory, a ..data symlink renamed over the old one, and top-level links through
// ..data. A reader never sees half an update; a file left out of files disappears. dir is created when
// missing.
func KubeletSwap(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts, err := os.MkdirTemp(dir, "..ts")
	if err != nil {
		t.Fatal(err)
	}
	for n, v := range files {
		if err := os.WriteFile(filepath.Join(ts, n), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, n)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", n), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
}
