//go:build integration

package s3store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/storetest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// BenchmarkPutSegment measures raw PUT throughput of 16 MiB segments to MinIO on loopback through the
// driver: the denominator for the archiver's end-to-end figures (see s3store.RawPutThroughput).
func BenchmarkPutSegment(b *testing.B) {
	m := testservers.StartMinIO(b, testservers.MinIOOptions{})
	m.CreateBucket(b, "wal")
	s := open(b, m, nil)
	body, sum := storetest.Payload(1, storetest.SegmentSize)
	for _, mode := range []string{"Create", "Put"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for i := 0; b.Loop(); i++ {
				key := fmt.Sprintf("bench/%s/%08X", mode, i)
				var err error
				if mode == "Create" {
					err = s.Create(context.Background(), key, bytes.NewReader(body), int64(len(body)), storetest.Meta(sum))
				} else {
					err = s.Put(context.Background(), key, bytes.NewReader(body), int64(len(body)), storetest.Meta(sum))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("RawPutThroughput", func(b *testing.B) {
		b.SetBytes(int64(len(body)) * 8)
		for b.Loop() {
			if _, err := s3store.RawPutThroughput(context.Background(), s, "bench/raw/", body, 8); err != nil {
				b.Fatal(err)
			}
		}
	})
}
