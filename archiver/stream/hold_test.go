package stream

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/memstore"
)

const mib = 1 << 20

func seg(segNo uint64) string { return layout.SegmentOf(1, segNo*mib, mib).String() }

func TestOverHold(t *testing.T) {
	a := &Archiver{cfg: Config{MaxWALHold: 10 * mib}, segSize: mib, pending: map[string]uint64{}}
	for _, n := range []uint64{3, 4, 5, 6, 20, 21} {
		a.pending[seg(n)] = n * mib
	}
	a.serverEnd = 24*mib + 512
	// The slot may keep 10 MiB behind 24 MiB + 512: segments starting below 14 MiB + 512 are given up.
	got := a.overHold()
	if want := []string{seg(3), seg(4), seg(5), seg(6)}; !slices.Equal(got, want) {
		t.Fatalf("given up %v, want %v", got, want)
	}
	if low, _ := a.lowestPending(); low != 20*mib {
		t.Errorf("lowest pending after giving up = %d MiB, want 20", low/mib)
	}
	if again := a.overHold(); len(again) != 0 {
		t.Errorf("given up twice: %v", again)
	}
}

func TestOverHoldOffOrBelowTheFloor(t *testing.T) {
	a := &Archiver{segSize: mib, pending: map[string]uint64{seg(1): mib}, serverEnd: 100 * mib}
	if got := a.overHold(); len(got) != 0 {
		t.Errorf("no bound configured, yet gave up %v", got)
	}
	// A bound of 1 MiB is raised to minHoldSegments segments: a segment 7 MiB behind stays.
	a.cfg.MaxWALHold = mib
	a.pending = map[string]uint64{seg(93): 93 * mib}
	if got := a.overHold(); len(got) != 0 {
		t.Errorf("a bound below %d segments gave up %v", minHoldSegments, got)
	}
	a.pending[seg(91)] = 91 * mib
	if got := a.overHold(); !slices.Equal(got, []string{seg(91)}) {
		t.Errorf("given up %v, want [%s]", got, seg(91))
	}
}

var errDown = errors.New("connection refused")

func TestAbandonFreesQueuedAndInFlight(t *testing.T) {
	sp, err := OpenSpool(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{seg(1), seg(2), seg(3)}
	for _, f := range files {
		if err := sp.WriteFile(f, make([]byte, mib)); err != nil {
			t.Fatal(err)
		}
	}
	st := memstore.New()
	st.SetFault(memstore.Down(errDown))
	m := metrics.New()
	results := make(chan Result, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lay, _ := layout.New("p", "srv")
	codec, _ := compress.Lookup("")
	bufs := newBuffers(mib, m.BufferBytes) // room for one segment: the one abandoned below
	// One worker: the first file is in flight (failing, retried), the others wait in the queue.
	u := NewUploader(ctx, UploaderConfig{Target: Target{Store: st, Layout: lay, Codec: codec}, MaxParallel: 1, MaxBackoff: 20 * time.Millisecond,
		Metrics: m, Log: logr.Discard()}, sp, bufs, results)
	mem := bufs.get(mib, time.Second)
	u.SubmitMemory(seg(4), mem, "")
	for _, f := range files {
		u.Submit(f)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st.Calls(memstore.OpCreate) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	u.Abandon(append(files, seg(4)))
	select {
	case r := <-results:
		if !errors.Is(r.Err, errGivenUp) {
			t.Errorf("the upload in flight ended with %v, want errGivenUp", r.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the upload in flight did not stop after Abandon")
	}
	for !u.Idle() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !u.Idle() {
		t.Error("the uploader still has work after every file was abandoned")
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(sp.Dir, f)); !os.IsNotExist(err) {
			t.Errorf("spool file %s of an abandoned upload is still there (%v)", f, err)
		}
	}
	if bufs.get(mib, 0) == nil {
		t.Error("the buffer of the abandoned segment in memory did not come back")
	}
	if n := testutil.ToFloat64(m.QueuedFiles); n != 0 {
		t.Errorf("wal_archiver_queued_files = %v after abandoning everything", n)
	}
}
