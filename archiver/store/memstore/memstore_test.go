package memstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/memstore"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/storetest"
)

// TestConformance holds the fake to the drivers' suite, so a unit test that passes against it would
// pass against S3, Azure and GCS for the same reasons.
func TestConformance(t *testing.T) {
	missing := memstore.New()
	missing.SetFault(memstore.Down(fmt.Errorf("memstore: bucket %q: %w", "absent-bucket", store.ErrBucketNotFound)))
	badCreds := memstore.New()
	badCreds.SetFault(memstore.Down(fmt.Errorf("memstore: access key unknown: %w", store.ErrAuthentication)))
	storetest.Run(t, storetest.Target{
		Store:             memstore.New(),
		ListPageSize:      10,
		MissingBucket:     missing,
		MissingBucketName: "absent-bucket",
		BadCredentials:    badCreds,
		ParallelPartSize:  memstore.PartSize,
	})
}

// TestFaultsAreWhatTheyClaim checks each kind of injected failure against what the store then holds.
func TestFaultsAreWhatTheyClaim(t *testing.T) {
	ctx := t.Context()
	lost := errors.New("reply lost")
	s := memstore.New()
	s.SetFault(memstore.FailFirst(memstore.OpCreate, 1, memstore.AfterEffect(lost)))
	if err := s.Create(ctx, "a", bytesReader("x"), 1, store.PutOptions{}); !errors.Is(err, lost) {
		t.Fatalf("AfterEffect Create: got %v, want the injected error", err)
	}
	if b, ok := s.Bytes("a"); !ok || string(b) != "x" {
		t.Fatalf("AfterEffect Create stored %q, %v; want the object written", b, ok)
	}
	if err := s.Create(ctx, "a", bytesReader("x"), 1, store.PutOptions{}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create after the lost reply: got %v, want ErrExists", err)
	}
	if s.Calls(memstore.OpCreate) != 2 {
		t.Fatalf("Calls(Create) = %d, want 2", s.Calls(memstore.OpCreate))
	}

	refused := errors.New("refused")
	s.SetFault(memstore.FailKey(memstore.OpPut, "b", refused))
	if err := s.Put(ctx, "b", bytesReader("y"), 1, store.PutOptions{}); !errors.Is(err, refused) {
		t.Fatalf("FailKey Put: got %v", err)
	}
	if _, ok := s.Bytes("b"); ok {
		t.Fatal("a Put failed before its effect still stored the object")
	}

	reset := errors.New("connection reset")
	s.SetFault(memstore.FailOp(memstore.OpGet, memstore.MidBody(reset)))
	rc, err := s.Get(ctx, "a")
	if err != nil {
		t.Fatalf("MidBody Get must open: %v", err)
	}
	if _, err := readAll(rc); !errors.Is(err, reset) {
		t.Fatalf("reading a MidBody Get: got %v, want the injected reset", err)
	}

	s.SetFault(memstore.FailFirst(memstore.OpPart, 2, refused))
	big := make([]byte, 3*memstore.PartSize)
	if _, err := s.CreateParallel(ctx, "big", bytesReader(string(big)), store.PutOptions{}, 2); !errors.Is(err, refused) {
		t.Fatalf("a failed part: got %v, want the part's error", err)
	}
	if _, ok := s.Bytes("big"); ok {
		t.Fatal("a CreateParallel whose part failed left an object")
	}
	s.SetFault(nil)
	if n, err := s.CreateParallel(ctx, "big", bytesReader(string(big)), store.PutOptions{}, 2); err != nil || n != int64(len(big)) {
		t.Fatalf("CreateParallel after the fault was removed = %d, %v", n, err)
	}
}
