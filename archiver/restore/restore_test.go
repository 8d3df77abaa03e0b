package restore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/memstore"
)

const segSize = 1 << 20

func segment(fill byte) []byte { return bytes.Repeat([]byte{fill}, segSize) }

func put(t *testing.T, m *memstore.Store, lay layout.Layout, name, codecName string, data []byte) {
	t.Helper()
	c, _ := compress.Lookup(codecName)
	var buf bytes.Buffer
	w, _ := c.NewWriter(&buf)
	w.Write(data)
	w.Close()
	n, err := layout.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	m.Seed(lay.Key(n, c.Ext()), buf.Bytes())
}

func setup(t *testing.T) (*memstore.Store, Config, string) {
	m := memstore.New()
	lay, _ := layout.New("p", "srv")
	dir := t.TempDir()
	return m, Config{Store: m, Layout: lay, Log: logr.Discard()}, dir
}

func TestRestoreEveryExtension(t *testing.T) {
	m, cfg, dir := setup(t)
	for i, c := range append([]string{""}, compress.Names()...) {
		name := layout.SegmentName(1, uint64(i+1), segSize).String()
		put(t, m, cfg.Layout, name, c, segment(byte(i+1)))
		dest := filepath.Join(dir, "RECOVERYXLOG")
		if err := Restore(context.Background(), cfg, name, dest); err != nil {
			t.Fatalf("%s (%q): %v", name, c, err)
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, segment(byte(i+1))) {
			t.Errorf("%s (%q): restored bytes differ", name, c)
		}
	}
	put(t, m, cfg.Layout, "00000002.history", "gzip", []byte("1\t0/3000000\tno recovery target specified\n"))
	if err := Restore(context.Background(), cfg, "00000002.history", filepath.Join(dir, "RECOVERYHISTORY")); err != nil {
		t.Fatal(err)
	}
	if err := Restore(context.Background(), cfg, "00000003.history", filepath.Join(dir, "x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing history: %v, want ErrNotFound", err)
	}
	if err := Restore(context.Background(), cfg, "not-a-wal", filepath.Join(dir, "x")); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("a bad name must be an error, not not-found: %v", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestRestorePartial(t *testing.T) {
	m, cfg, dir := setup(t)
	name := "000000010000000000000005"
	put(t, m, cfg.Layout, name+".partial", "zstd", segment(7))
	dest := filepath.Join(dir, "RECOVERYXLOG")
	if err := Restore(context.Background(), cfg, name, dest); err != nil {
		t.Fatalf("restoring from .partial: %v", err)
	}
	cfg.NoPartial = true
	if err := Restore(context.Background(), cfg, name, dest); !errors.Is(err, ErrNotFound) {
		t.Errorf("with NoPartial: %v, want ErrNotFound", err)
	}
	cfg.NoPartial = false
	put(t, m, cfg.Layout, name, "", segment(8))
	if err := Restore(context.Background(), cfg, name, dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); got[0] != 8 {
		t.Errorf("the full segment must win over the .partial")
	}
}

func TestRestoreRetriesThenFails(t *testing.T) {
	m, cfg, dir := setup(t)
	name := "000000010000000000000001"
	put(t, m, cfg.Layout, name, "", segment(1))
	m.SetFault(memstore.FailNext(memstore.OpGet, 2, errors.New("connection reset")))
	if err := Restore(context.Background(), cfg, name, filepath.Join(dir, "a")); err != nil {
		t.Fatalf("two transient failures then success: %v", err)
	}
	m.SetFault(memstore.FailNext(memstore.OpGet, 10, errors.New("connection reset")))
	err := Restore(context.Background(), cfg, name, filepath.Join(dir, "b"))
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("persistent failure = %v, want an error that is not ErrNotFound", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "b")); serr == nil {
		t.Errorf("a failed restore left a destination file")
	}
}

func TestPrefetch(t *testing.T) {
	m, cfg, dir := setup(t)
	for i := 1; i <= 4; i++ {
		put(t, m, cfg.Layout, layout.SegmentName(1, uint64(i), segSize).String(), "lz4", segment(byte(i)))
	}
	cfg.Prefetch, cfg.SpoolDir = 5, filepath.Join(dir, "spool")
	dest := filepath.Join(dir, "RECOVERYXLOG")
	if err := Restore(context.Background(), cfg, "000000010000000000000001", dest); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		if _, err := os.Stat(filepath.Join(cfg.SpoolDir, layout.SegmentName(1, uint64(i), segSize).String())); err != nil {
			t.Errorf("segment %d not prefetched: %v", i, err)
		}
	}
	gets := m.Calls(memstore.OpGet)
	if err := Restore(context.Background(), cfg, "000000010000000000000002", dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, segment(2)) {
		t.Error("the prefetched segment restored wrong bytes")
	}
	if n := m.Calls(memstore.OpGet); n != gets {
		t.Errorf("segment 2 was downloaded again (%d gets) instead of taken from the spool", n-gets)
	}
	if _, err := os.Stat(filepath.Join(cfg.SpoolDir, "000000010000000000000002")); err == nil {
		t.Error("a used spool file was left behind")
	}
}
