//go:build integration

package gcsstore_test

import (
	"context"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/gcsstore"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/storetest"
	"github.com/objectstore-webhook/objectstore-webhook/testservers"
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
		Store:             open(t, gcsstore.Config{Bucket: "wal", EmulatorHost: f.Host, ListPageSize: 7}),
		ListPageSize:      7,
		MissingBucket:     open(t, gcsstore.Config{Bucket: "no-such-bucket", EmulatorHost: f.Host, MaxAttempts: 1}),
		MissingBucketName: "no-such-bucket",
	})
}
