package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// gateStore keeps what it is given; while gate is set, a Create waits on it (an upload in flight).
type gateStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	entered chan string
	gate    chan struct{}
}

func newGateStore(gated bool) *gateStore {
	s := &gateStore{objects: map[string][]byte{}, entered: make(chan string, 8)}
	if gated {
		s.gate = make(chan struct{})
	}
	return s
}

func (s *gateStore) Create(ctx context.Context, key string, body io.Reader, _ int64, _ store.PutOptions) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.entered <- key
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[key]; ok {
		return store.ErrExists
	}
	s.objects[key] = b
	return nil
}
func (s *gateStore) Put(ctx context.Context, key string, body io.Reader, size int64, o store.PutOptions) error {
	return s.Create(ctx, key, body, size, o)
}
func (s *gateStore) Stat(context.Context, string) (store.Object, error) {
	return store.Object{}, store.ErrNotFound
}
func (s *gateStore) Get(context.Context, string) (io.ReadCloser, error) {
	return nil, store.ErrNotFound
}
func (s *gateStore) List(context.Context, string) ([]store.Object, error) { return nil, nil }
func (s *gateStore) Delete(context.Context, string) error                 { return nil }
func (s *gateStore) GetRange(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return nil, store.ErrNotFound
}
func (s *gateStore) CreateParallel(context.Context, string, io.Reader, store.PutOptions, int) (int64, error) {
	return 0, errors.New("not used")
}
func (s *gateStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.objects {
		out = append(out, k)
	}
	return out
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
	oldStore, newStore := newGateStore(true), newGateStore(false)
	u := NewUploader(ctx, UploaderConfig{Store: oldStore, Layout: oldLay, Codec: none, MaxParallel: 1, MaxBackoff: 20 * time.Millisecond,
		Metrics: m, Log: logr.Discard()}, sp, newBuffers(mib, m.BufferBytes), results)
	u.Submit(seg(1))
	select {
	case <-oldStore.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first upload never started")
	}
	u.SetTarget(Target{Store: newStore, Layout: newLay, Codec: lz4})
	close(oldStore.gate)
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
	if k := oldStore.keys(); len(k) != 1 || k[0] != wantOld {
		t.Errorf("old target holds %v, want only %s (the upload in flight at the switch)", k, wantOld)
	}
	if k := newStore.keys(); len(k) != 1 || k[0] != wantNew {
		t.Errorf("new target holds %v, want only %s", k, wantNew)
	}

	// A file failing on a target (the old key revoked) succeeds on the next one at its next attempt.
	down := &downStore{}
	u.SetTarget(Target{Store: down, Layout: oldLay, Codec: none})
	u.Submit(seg(3))
	deadline := time.Now().Add(10 * time.Second)
	for down.attempts.Load() < 2 && time.Now().Before(deadline) {
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
