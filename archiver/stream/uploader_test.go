package stream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/memstore"
)

// The uploader is where "never overwrite" is decided: these tests drive it against the in-memory store
// (held to the drivers' conformance suite) with the failures a network and a shared bucket produce.

type upHarness struct {
	t       *testing.T
	st      *memstore.Store
	spool   *Spool
	bufs    *buffers
	u       *Uploader
	results chan Result
	cancel  context.CancelFunc
	lay     layout.Layout
	codec   compress.Codec
}

func newUpHarness(t *testing.T, st *memstore.Store, codecName string, tune func(*UploaderConfig)) *upHarness {
	t.Helper()
	sp, err := OpenSpool(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	codec, err := compress.Lookup(codecName)
	if err != nil {
		t.Fatal(err)
	}
	lay, _ := layout.New("pfx", "srv")
	m := metrics.New()
	cfg := UploaderConfig{MaxParallel: 2, MaxBackoff: 5 * time.Millisecond, Metrics: m, Log: logr.Discard()}
	cfg.Target = Target{Store: st, Layout: lay, Codec: codec, Tags: map[string]string{"kind": "wal"}, HistoryTags: map[string]string{"kind": "history"}}
	if tune != nil {
		tune(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &upHarness{t: t, st: st, spool: sp, bufs: newBuffers(4*mib, m.BufferBytes), results: make(chan Result, 16), cancel: cancel, lay: lay, codec: codec}
	h.u = NewUploader(ctx, cfg, sp, h.bufs, h.results)
	return h
}

// spooled writes a file into the spool and submits it.
func (h *upHarness) spooled(name string, data []byte) {
	h.t.Helper()
	if err := h.spool.WriteFile(name, data); err != nil {
		h.t.Fatal(err)
	}
	h.u.Submit(name)
}

func (h *upHarness) result() Result {
	h.t.Helper()
	select {
	case r := <-h.results:
		return r
	case <-time.After(30 * time.Second):
		h.t.Fatal("no upload result within 30 s")
		return Result{}
	}
}

func (h *upHarness) key(name string) string {
	n, err := layout.Parse(name)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.lay.Key(n, h.codec.Ext())
}

func (h *upHarness) inSpool(name string) bool {
	_, err := os.Stat(filepath.Join(h.spool.Dir, name))
	return err == nil
}

func walBytes(seed byte) []byte {
	b := make([]byte, mib)
	for i := range b {
		b[i] = seed ^ byte(i*7)
	}
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestUploaderStoresWithSumAndTags(t *testing.T) {
	h := newUpHarness(t, memstore.New(), "", nil)
	data := walBytes(1)
	h.spooled(seg(1), data)
	hist := layout.HistoryName(2).String()
	h.spooled(hist, []byte("1\t0/3000000\tno recovery target specified\n"))
	for range 2 {
		if r := h.result(); r.Err != nil {
			t.Fatalf("%s: %v", r.File, r.Err)
		}
	}
	got, ok := h.st.Bytes(h.key(seg(1)))
	if !ok || !bytes.Equal(got, data) {
		t.Fatalf("the segment was not stored byte for byte at %s", h.key(seg(1)))
	}
	obj, _ := h.st.Stat(t.Context(), h.key(seg(1)))
	if obj.Metadata[store.MetaSHA256] != sha(data) {
		t.Errorf("sha metadata %q, want %q", obj.Metadata[store.MetaSHA256], sha(data))
	}
	if tags := h.st.Tags(h.key(seg(1))); tags["kind"] != "wal" {
		t.Errorf("segment tags %v, want the WAL tags", tags)
	}
	if tags := h.st.Tags(h.key(hist)); tags["kind"] != "history" {
		t.Errorf("history tags %v, want the history tags", tags)
	}
	if h.inSpool(seg(1)) || h.inSpool(hist) {
		t.Error("an archived file stayed in the spool")
	}
	if n := h.st.Calls(memstore.OpPut); n != 0 {
		t.Errorf("%d unconditional Puts for complete files; they must use Create", n)
	}
}

func TestUploaderCompressesAndHashesWhatItStores(t *testing.T) {
	h := newUpHarness(t, memstore.New(), "gzip", nil)
	data := walBytes(2)
	h.u.SubmitMemory(seg(2), append(h.bufs.get(mib, time.Second)[:0], data...), sha(data))
	if r := h.result(); r.Err != nil || r.Key != h.key(seg(2)) {
		t.Fatalf("result %+v, want stored at %s", r, h.key(seg(2)))
	}
	stored, _ := h.st.Bytes(h.key(seg(2)))
	codec, _ := compress.Lookup("gzip")
	rc, err := codec.NewReader(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(plain, data) {
		t.Fatalf("the stored gzip object does not decompress to the segment (%v)", err)
	}
	obj, _ := h.st.Stat(t.Context(), h.key(seg(2)))
	if obj.Metadata[store.MetaSHA256] != sha(stored) {
		t.Error("the sha metadata must be of the bytes as stored (compressed), so a retry compares like with like")
	}
}

// TestUploaderNeverOverwrites: different bytes at the key, by another tool (no metadata) or by another
// wal-archiver (metadata), are refused as a conflict, kept as they are, and the file parked.
func TestUploaderNeverOverwrites(t *testing.T) {
	for _, withMeta := range []bool{false, true} {
		st := memstore.New()
		h := newUpHarness(t, st, "", nil)
		theirs := walBytes(9)
		if withMeta {
			if err := st.Create(t.Context(), h.key(seg(3)), bytes.NewReader(theirs), int64(len(theirs)), store.PutOptions{Metadata: map[string]string{store.MetaSHA256: sha(theirs)}}); err != nil {
				t.Fatal(err)
			}
		} else {
			st.Seed(h.key(seg(3)), theirs)
		}
		h.spooled(seg(3), walBytes(3))
		r := h.result()
		if !errors.Is(r.Err, ErrConflict) {
			t.Fatalf("metadata=%v: result %v, want ErrConflict", withMeta, r.Err)
		}
		if got, _ := st.Bytes(h.key(seg(3))); !bytes.Equal(got, theirs) {
			t.Fatalf("metadata=%v: the object at the key was replaced", withMeta)
		}
		if n := st.Calls(memstore.OpPut); n != 0 {
			t.Fatalf("metadata=%v: %d Puts after a conflict", withMeta, n)
		}
		if !slices.Contains(h.spool.Conflicts(), seg(3)) {
			t.Fatalf("metadata=%v: the refused file was not parked (conflicts: %v)", withMeta, h.spool.Conflicts())
		}
		// With metadata the comparison costs one Stat; without, one read of the object.
		if gets := st.Calls(memstore.OpGet); withMeta && gets != 0 || !withMeta && gets != 1 {
			t.Errorf("metadata=%v: %d Gets to compare", withMeta, gets)
		}
	}
}

// TestUploaderAcceptsItsOwnEarlierUpload: the same bytes already stored (WAL streamed again after a
// restart, or an upload whose answer was lost) are success, not a conflict and not a second write.
func TestUploaderAcceptsItsOwnEarlierUpload(t *testing.T) {
	t.Run("SameBytesNoMetadata", func(t *testing.T) {
		st := memstore.New()
		h := newUpHarness(t, st, "", nil)
		st.Seed(h.key(seg(4)), walBytes(4))
		h.spooled(seg(4), walBytes(4))
		if r := h.result(); r.Err != nil {
			t.Fatalf("identical bytes already stored: %v", r.Err)
		}
		if h.inSpool(seg(4)) {
			t.Error("the spool file of an already archived segment was kept")
		}
	})
	t.Run("LostReply", func(t *testing.T) {
		st := memstore.New()
		st.SetFault(memstore.FailFirst(memstore.OpCreate, 1, memstore.AfterEffect(errors.New("read: connection reset by peer"))))
		h := newUpHarness(t, st, "lz4", nil)
		h.spooled(seg(5), walBytes(5))
		if r := h.result(); r.Err != nil {
			t.Fatalf("an upload whose reply was lost: %v", r.Err)
		}
		// The one Stat after the failure finds the object: no second Create of the segment is sent.
		if n := st.Calls(memstore.OpCreate); n != 1 {
			t.Errorf("%d Creates, want 1", n)
		}
	})
	t.Run("RefusedBeforeTheBody", func(t *testing.T) {
		// A service that closes the connection on an existing key looks like a broken pipe, not 412.
		st := memstore.New()
		h := newUpHarness(t, st, "", nil)
		st.Seed(h.key(seg(6)), walBytes(6))
		st.SetFault(memstore.FailOp(memstore.OpCreate, errors.New("write: broken pipe")))
		h.spooled(seg(6), walBytes(6))
		if r := h.result(); r.Err != nil {
			t.Fatalf("a broken pipe on an existing identical segment: %v", r.Err)
		}
		if n := st.Calls(memstore.OpCreate); n != 1 {
			t.Errorf("%d Creates: the segment went through backoff although it was there", n)
		}
	})
}

func TestUploaderRetriesUntilStored(t *testing.T) {
	st := memstore.New()
	st.SetFault(memstore.FailFirst(memstore.OpCreate, 3, errors.New("503 Slow Down")))
	h := newUpHarness(t, st, "", func(c *UploaderConfig) { c.MaxParallel = 1 })
	data := walBytes(7)
	h.spooled(seg(7), data)
	if r := h.result(); r.Err != nil {
		t.Fatalf("after three transient failures: %v", r.Err)
	}
	if n := st.Calls(memstore.OpCreate); n != 4 {
		t.Errorf("%d Creates, want 3 failed + 1", n)
	}
	if got, _ := st.Bytes(h.key(seg(7))); !bytes.Equal(got, data) {
		t.Error("the retried segment is not the spooled bytes")
	}
	if h.u.Failing() {
		t.Error("Failing() still true after a successful upload")
	}
}

func TestUploaderStopsRetryingWhenCancelled(t *testing.T) {
	st := memstore.New()
	st.SetFault(memstore.Down(errors.New("connection refused")))
	h := newUpHarness(t, st, "", func(c *UploaderConfig) { c.MaxParallel = 1 })
	u := h.u
	h.spooled(seg(8), walBytes(8))
	for st.Calls(memstore.OpCreate) < 3 {
		time.Sleep(time.Millisecond)
	}
	if !u.Failing() {
		t.Error("Failing() false while every attempt fails")
	}
	h.cancel()
	deadline := time.Now().Add(30 * time.Second)
	for !u.Idle() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !u.Idle() {
		t.Fatal("the upload went on retrying after its context ended")
	}
	// A worker that stops may or may not get to report; a report it makes names the context's error.
	select {
	case r := <-h.results:
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("result %v, want the context's error", r.Err)
		}
	default:
	}
	if !h.inSpool(seg(8)) {
		t.Error("a segment that was never stored left the spool")
	}
}

// TestUploaderPartialThenWhole: a .partial is written zero-padded with Put (it grows), and deleted once
// the whole segment is stored.
func TestUploaderPartialThenWhole(t *testing.T) {
	st := memstore.New()
	h := newUpHarness(t, st, "", nil)
	name, _ := layout.Parse(seg(9))
	data := walBytes(10)
	for _, n := range []uint64{1000, 4000} {
		if err := h.u.UploadPartial(t.Context(), name, bytes.NewReader(data), n, mib); err != nil {
			t.Fatal(err)
		}
	}
	pkey := h.lay.Key(name.AsPartial(), "")
	got, ok := st.Bytes(pkey)
	if !ok || len(got) != mib || !bytes.Equal(got[:4000], data[:4000]) || !bytes.Equal(got[4000:], make([]byte, mib-4000)) {
		t.Fatalf(".partial is not the 4000 bytes received, zero-padded to a segment (stored %v, %d bytes)", ok, len(got))
	}
	if n := st.Calls(memstore.OpPut); n != 2 {
		t.Errorf("%d Puts for two .partial writes", n)
	}
	h.spooled(seg(9), data)
	if r := h.result(); r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, ok := st.Bytes(pkey); ok {
		t.Error("the .partial was kept after the whole segment was stored")
	}
	if !slices.Equal(st.Deleted(), []string{pkey}) {
		t.Errorf("deleted %v, want only the .partial", st.Deleted())
	}
}
