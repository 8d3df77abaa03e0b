//go:build integration

package gcsstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/gcsstore"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/storetest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

func open(t *testing.T, cfg gcsstore.Config) *gcsstore.Store {
	t.Helper()
	s, err := gcsstore.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("gcsstore.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fake-gcs-server does not authenticate, so the wrong-credentials case is covered by unit tests of the
// error mapping instead.
func TestConformanceFakeGCS(t *testing.T) {
	f := testservers.StartFakeGCS(t)
	f.CreateBucket(t, "wal")
	storetest.Run(t, storetest.Target{
		Store:             open(t, gcsstore.Config{Bucket: "wal", EmulatorHost: f.Host, ListPageSize: 7, ParallelPartSize: 256 << 10}),
		ParallelPartSize:  256 << 10,
		ListPageSize:      7,
		MissingBucket:     open(t, gcsstore.Config{Bucket: "no-such-bucket", EmulatorHost: f.Host, MaxAttempts: 1}),
		MissingBucketName: "no-such-bucket",
	})
}

// TestPrivateCA uses the emulator over HTTPS: the CA file is trusted on top of the system roots, and
// without it the connection is refused with a certificate error.
func TestPrivateCA(t *testing.T) {
	ca, serving := testservers.LocalTLS(t, "gcsstore test CA")
	f := testservers.StartFakeGCS(t, testservers.FakeGCSOptions{CA: ca, Serving: serving})
	f.CreateBucket(t, "wal")
	trusted := open(t, gcsstore.Config{Bucket: "wal", EmulatorHost: f.URL, CAFile: f.CAFile})
	if err := trusted.Put(context.Background(), "tls/probe", strings.NewReader("x"), 1, store.PutOptions{}); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	untrusted := open(t, gcsstore.Config{Bucket: "wal", EmulatorHost: f.URL, MaxAttempts: 1})
	if _, err := untrusted.List(context.Background(), "tls/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA file: got %v, want a certificate verification error", err)
	}
}
