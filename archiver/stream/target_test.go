package stream

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/memstore"
)

// gated holds each Create at the gate until it is closed, after telling entered: an upload in flight.
func gated(entered chan<- string, gate <-chan struct{}) memstore.Fault {
	return func(c memstore.Call) error {
		if c.Op == memstore.OpCreate {
			entered <- c.Key
			<-gate
		}
		return nil
	}
}

// SetTarget while an upload is in flight: that upload finishes on the old target, the next file goes to
// the new one (another layout and codec), and a file that keeps failing on the old target is retried on
// the new one.
func TestSetTargetBetweenUploads(t *testing.T) {
	sp, err := OpenSpool(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{seg(1), seg(2), seg(3)} {
		if err := sp.WriteFile(f, bytes.Repeat([]byte{byte(len(f))}, mib)); err != nil {
			t.Fatal(err)
		}
	}
	m := metrics.New()
	results := make(chan Result, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	oldLay, _ := layout.New("old", "srv")
	newLay, _ := layout.New("new", "srv")
	none, _ := compress.Lookup("")
	lz4, _ := compress.Lookup("lz4")
	oldStore, newStore := memstore.New(), memstore.New()
	entered, gate := make(chan string, 8), make(chan struct{})
	oldStore.SetFault(gated(entered, gate))
	u := NewUploader(ctx, UploaderConfig{Target: Target{Store: oldStore, Layout: oldLay, Codec: none}, MaxParallel: 1, MaxBackoff: 20 * time.Millisecond,
		Metrics: m, Log: logr.Discard()}, sp, newBuffers(mib, m.BufferBytes), results)
	u.Submit(seg(1))
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first upload never started")
	}
	u.SetTarget(Target{Store: newStore, Layout: newLay, Codec: lz4})
	close(gate)
	u.Submit(seg(2))
	for i := 0; i < 2; i++ {
		select {
		case r := <-results:
			if r.Err != nil {
				t.Fatalf("%s: %v", r.File, r.Err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("uploads did not finish")
		}
	}
	wantOld := oldLay.Key(mustParse(seg(1)), "")
	wantNew := newLay.Key(mustParse(seg(2)), lz4.Ext())
	if k := oldStore.Keys(); len(k) != 1 || k[0] != wantOld {
		t.Errorf("old target holds %v, want only %s (the upload in flight at the switch)", k, wantOld)
	}
	if k := newStore.Keys(); len(k) != 1 || k[0] != wantNew {
		t.Errorf("new target holds %v, want only %s", k, wantNew)
	}

	// A file failing on a target (the old key revoked) succeeds on the next one at its next attempt.
	down := memstore.New()
	down.SetFault(memstore.Down(errDown))
	u.SetTarget(Target{Store: down, Layout: oldLay, Codec: none})
	u.Submit(seg(3))
	deadline := time.Now().Add(10 * time.Second)
	for down.Calls(memstore.OpCreate) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	u.SetTarget(Target{Store: newStore, Layout: newLay, Codec: lz4})
	select {
	case r := <-results:
		if r.Err != nil || r.Key != newLay.Key(mustParse(seg(3)), lz4.Ext()) {
			t.Errorf("the retried file ended with %v at %s, want stored at the new target", r.Err, r.Key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the failing file was not retried on the new target")
	}
}
