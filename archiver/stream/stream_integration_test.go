//go:build integration

package stream

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestEveryStoreEveryCompression archives one server with one archiver per store and codec, each opened
// from a destinationPath as the binary does, and checks every segment decompresses to exactly the bytes
// in pg_wal with no gap.
func TestEveryStoreEveryCompression(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	az := testservers.StartAzurite(t)
	az.CreateContainer(t, bucket)
	gcs := testservers.StartFakeGCS(t)
	gcs.CreateBucket(t, bucket)
	stores := map[string]storeconfig.Settings{
		"s3": {DestinationPath: "s3://" + bucket + "/prefix", EndpointURL: m.URL, Getenv: env(map[string]string{
			"AWS_ACCESS_KEY_ID": m.AccessKey, "AWS_SECRET_ACCESS_KEY": m.SecretKey, "AWS_REGION": m.Region})},
		"azure": {DestinationPath: az.BlobEndpoint + "/" + bucket + "/prefix", Getenv: env(map[string]string{
			"AZURE_STORAGE_CONNECTION_STRING": az.ConnectionString()})},
		"google": {DestinationPath: "gs://" + bucket + "/prefix", Getenv: env(map[string]string{
			"STORAGE_EMULATOR_HOST": gcs.Host})},
	}
	pg := primary(t)
	var archivers []*running
	for provider, settings := range stores {
		st, loc, err := storeconfig.Open(context.Background(), settings)
		if err != nil {
			t.Fatalf("%s: %v", provider, err)
		}
		if loc.Prefix != "prefix" {
			t.Fatalf("%s: prefix %q", provider, loc.Prefix)
		}
		for _, c := range append([]string{""}, compress.Names()...) {
			name := provider + "-" + c
			if c == "" {
				name = provider + "-none"
			}
			archivers = append(archivers, startArchiver(t, pg, st, name, c, nil))
		}
	}
	var last string
	for i := 0; i < 4; i++ {
		last = switchWAL(t, pg)
	}
	for _, r := range archivers {
		r.waitArchived(t, last, 3*time.Minute)
	}
	for _, r := range archivers {
		r.stop(t)
		if n := r.checkAgainstPGWAL(t, pg); n < 4 {
			t.Errorf("%s: only %d archived segments could be compared with pg_wal", r.lay.ServerName, n)
		}
		if c := testutil.ToFloat64(r.m.Conflicts); c != 0 {
			t.Errorf("%s: %v conflicts", r.lay.ServerName, c)
		}
		// A few segments never spend the budget: the WAL went from the server to the store through memory.
		if n := testutil.ToFloat64(r.m.SpooledSegments); n != 0 {
			t.Errorf("%s: %v segments went through the spool, want none within the memory budget", r.lay.ServerName, n)
		}
		segs := segmentsOf(r.list(t), 1)
		checkContiguous(t, segs, 1, segs[0], last, pg.SegSize)
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
