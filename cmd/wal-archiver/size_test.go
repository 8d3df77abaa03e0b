package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestByteSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "1048576": 1 << 20, "128Mi": 128 << 20, "1Gi": 1 << 30, "64Ki": 64 << 10, "500M": 500e6, "2G": 2e9, "3k": 3000,
	} {
		var b byteSize
		if err := b.Set(in); err != nil || uint64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, uint64(b), err, want)
		}
	}
	for _, in := range []string{"", "Mi", "-1Mi", "1.5Gi", "128MB", "128 Mi", "99999999999Ti", "lots"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) accepted as %d", in, uint64(b))
		}
	}
	for v, want := range map[uint64]string{0: "0", 128 << 20: "128Mi", 1 << 30: "1Gi", 1000: "1000", 3 << 10: "3Ki"} {
		b := byteSize(v)
		if got := b.String(); got != want {
			t.Errorf("String(%d) = %q, want %q", v, got, want)
		}
	}
}

// TestDefaultMemoryBudget: 128Mi unless the container's memory limit is too tight for it, then half of
// what the limit leaves beside the process; the limit is read from cgroup v2, else v1.
func TestDefaultMemoryBudget(t *testing.T) {
	for _, c := range []struct {
		limit   uint64
		limited bool
		want    uint64
	}{
		{0, false, 128 << 20},
		{1 << 30, true, 128 << 20},
		{256 << 20, true, 96 << 20},
		{128 << 20, true, 32 << 20},
		{64 << 20, true, 0},
		{16 << 20, true, 0},
	} {
		if got := defaultMemoryBudget(c.limit, c.limited); got != c.want {
			t.Errorf("defaultMemoryBudget(%d, %v) = %d, want %d", c.limit, c.limited, got, c.want)
		}
	}
	write := func(dir, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v2, v2max, v1, v1none, none := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	write(v2, "memory.max", "268435456\n")
	write(v2max, "memory.max", "max\n")
	write(v1, "memory/memory.limit_in_bytes", "134217728\n")
	write(v1none, "memory/memory.limit_in_bytes", "9223372036854771712\n")
	for dir, want := range map[string]struct {
		limit   uint64
		limited bool
	}{v2: {256 << 20, true}, v2max: {0, false}, v1: {128 << 20, true}, v1none: {0, false}, none: {0, false}} {
		if limit, limited := cgroupMemoryLimit(dir); limit != want.limit || limited != want.limited {
			t.Errorf("cgroupMemoryLimit(%s) = %d, %v; want %d, %v", dir, limit, limited, want.limit, want.limited)
		}
	}
}
