package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"1MB": 1 << 20, "16MB": 16 << 20, "1GB": 1 << 30, "1024kB": 1 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "3MB", "16", "2GB", "512kB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestBackoffBounded(t *testing.T) {
	for attempt := 0; attempt < 100; attempt++ {
		if d := backoff(attempt, 5*time.Second); d <= 0 || d > 5*time.Second {
			t.Fatalf("backoff(%d) = %s", attempt, d)
		}
	}
}

func TestNewRejectsBadSlot(t *testing.T) {
	conn, _ := pgconn.ParseConfig("host=127.0.0.1")
	for _, slot := range []string{"", "Has-Caps", "drop table x"} {
		if _, err := New(Config{Conn: conn, Slot: slot}); err == nil {
			t.Errorf("slot %q accepted", slot)
		}
	}
	a, err := New(Config{Conn: conn, Slot: "wal_archiver"})
	if err != nil || a.cfg.Conn.RuntimeParams["replication"] != "true" {
		t.Errorf("New: %v, replication=%q", err, a.cfg.Conn.RuntimeParams["replication"])
	}
}

// TestSpool covers the file protocol: an open segment becomes durable under its final name, pending files
// come out history first, refused files are parked and no longer pending.
func TestSpool(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	sp, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	const seg = 1 << 20
	n := layout.SegmentName(1, 3, seg)
	o, err := sp.OpenSegment(n, seg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.f.WriteAt([]byte("wal"), 0); err != nil {
		t.Fatal(err)
	}
	if err := sp.Finish(o, n); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, n.String()))
	if err != nil || st.Size() != seg {
		t.Fatalf("finished segment: %v, size %d", err, st.Size())
	}
	if err := sp.WriteFile("00000002.history", []byte("1\t0/300000\tx\n")); err != nil {
		t.Fatal(err)
	}
	o2, _ := sp.OpenSegment(layout.SegmentName(1, 4, seg), seg)
	if err := sp.Finish(o2, layout.SegmentName(1, 4, seg).AsPartial()); err != nil {
		t.Fatal(err)
	}
	got, _ := sp.Pending()
	want := []string{"00000002.history", "000000010000000000000003", "000000010000000000000004.partial"}
	if !slices.Equal(got, want) {
		t.Errorf("Pending = %v, want %v", got, want)
	}
	if err := sp.Park(n.String()); err != nil {
		t.Fatal(err)
	}
	if got, _ := sp.Pending(); slices.Contains(got, n.String()) {
		t.Errorf("a parked file is still pending: %v", got)
	}
	if c := sp.Conflicts(); !slices.Equal(c, []string{n.String()}) {
		t.Errorf("Conflicts = %v", c)
	}
}

// TestOpenSegmentSum covers the sha256 kept while a segment is written: known only when every byte was
// written in order from the start, restarted by a rewrite from the start, equal to the file's own sum.
func TestOpenSegmentSum(t *testing.T) {
	sp, err := OpenSpool(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	const seg = 1 << 20
	o, err := sp.OpenSegment(layout.SegmentName(1, 5, seg), seg)
	if err != nil {
		t.Fatal(err)
	}
	defer o.f.Close()
	write := func(off uint64, p []byte) {
		t.Helper()
		if _, err := o.f.WriteAt(p, int64(off)); err != nil {
			t.Fatal(err)
		}
		o.note(off, p)
	}
	chunk := func(b byte) []byte { return bytes.Repeat([]byte{b}, seg/4) }
	write(0, chunk(1))
	write(seg/4, chunk(2))
	if s := o.wholeSum(seg); s != "" {
		t.Fatalf("sum of a half-written segment: %s", s)
	}
	write(seg/2+seg/4, chunk(9)) // out of order
	write(seg/2, chunk(3))
	if s := o.wholeSum(seg); s != "" {
		t.Fatalf("sum after an out-of-order write: %s", s)
	}
	for i := uint64(0); i < 4; i++ { // streamed again from the start
		write(i*seg/4, chunk(byte(10+i)))
	}
	file, err := os.ReadFile(o.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(file)
	if got := o.wholeSum(seg); got != hex.EncodeToString(want[:]) {
		t.Errorf("wholeSum = %q, want the file's sha256 %x", got, want)
	}
}

// TestBuffersBudget covers the memory that carries segments: never more than the budget, a returned
// buffer is reused (and wakes a waiting receiver), only keepFree are kept once a burst has passed, and a
// budget smaller than a segment means the spool.
func TestBuffersBudget(t *testing.T) {
	const seg = 1 << 20
	b := newBuffers(3*seg, nil)
	var held [][]byte
	for i := 0; i < 3; i++ {
		buf := b.get(seg, 0)
		if len(buf) != seg {
			t.Fatalf("get %d: %d bytes, want %d", i, len(buf), seg)
		}
		held = append(held, buf)
	}
	if buf := b.get(seg, 10*time.Millisecond); buf != nil {
		t.Fatalf("a fourth buffer beyond a budget of three")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		b.put(held[0])
	}()
	buf := b.get(seg, time.Minute)
	if buf == nil || &buf[0] != &held[0][0] {
		t.Fatalf("a waiting get did not receive the returned buffer")
	}
	b.put(buf)
	b.put(held[1])
	b.put(held[2])
	if b.used != keepFree*seg || len(b.free) != keepFree {
		t.Errorf("after everything came back: %d bytes held in %d free buffers, want %d in %d", b.used, len(b.free), keepFree*seg, keepFree)
	}
	if buf := newBuffers(seg-1, nil).get(seg, time.Minute); buf != nil {
		t.Errorf("a segment larger than the budget got a buffer")
	}
	b.put(nil)
}
