//go:build integration

package azurestore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/azurestore"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/storetest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

func open(t *testing.T, cfg azurestore.Config) *azurestore.Store {
	t.Helper()
	s, err := azurestore.New(cfg)
	if err != nil {
		t.Fatalf("azurestore.New: %v", err)
	}
	return s
}

func TestConformanceAzuriteConnectionString(t *testing.T) {
	a := testservers.StartAzurite(t)
	a.CreateContainer(t, "wal")
	storetest.Run(t, storetest.Target{
		Store:             open(t, azurestore.Config{Container: "wal", ConnectionString: a.ConnectionString(), ListPageSize: 7, PartSize: 4 << 20}),
		ParallelPartSize:  4 << 20,
		ListPageSize:      7,
		MissingBucket:     open(t, azurestore.Config{Container: "no-such-container", ConnectionString: a.ConnectionString(), MaxRetries: -1}),
		MissingBucketName: "no-such-container",
		BadCredentials: open(t, azurestore.Config{Container: "wal", MaxRetries: -1,
			AccountURL: a.BlobEndpoint, AccountName: a.Account, AccountKey: strings.Repeat("A", 86) + "=="}),
	})
}

// TestSharedKey covers the account + key form against Azurite's path-style account URL.
func TestSharedKey(t *testing.T) {
	a := testservers.StartAzurite(t)
	a.CreateContainer(t, "wal")
	s := open(t, azurestore.Config{Container: "wal", AccountURL: a.BlobEndpoint, AccountName: a.Account, AccountKey: a.Key})
	body, sum := storetest.Payload(1, 1000)
	ctx := context.Background()
	if err := s.Create(ctx, "k/v", strings.NewReader(string(body)), int64(len(body)), storetest.Meta(sum)); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "k/v", strings.NewReader(string(body)), int64(len(body)), storetest.Meta(sum)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
	obj, err := s.Stat(ctx, "k/v")
	if err != nil || obj.Metadata[store.MetaSHA256] != sum {
		t.Fatalf("Stat = %+v, %v", obj, err)
	}
}

func TestPrivateCA(t *testing.T) {
	ca, serving := testservers.LocalTLS(t, "azurestore test CA")
	a := testservers.StartAzurite(t, testservers.AzuriteOptions{CA: ca, Serving: serving})
	a.CreateContainer(t, "wal")
	trusted := open(t, azurestore.Config{Container: "wal", ConnectionString: a.ConnectionString(), CAFile: a.CAFile})
	if err := trusted.Put(context.Background(), "tls/probe", strings.NewReader("x"), 1, store.PutOptions{}); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	untrusted := open(t, azurestore.Config{Container: "wal", ConnectionString: a.ConnectionString(), MaxRetries: -1})
	if _, err := untrusted.List(context.Background(), "tls/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA file: got %v, want a certificate verification error", err)
	}
}
