package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// RawPutThroughput uploads body n times, one after another, under prefix with the same client and
// settings as the archiver's uploads, deletes the objects again, and returns the bytes per second. It is
// the denominator of the archiver's end-to-end throughput ("a raw PUT of the same bytes with the same
// client in the same run"), so that the figure measures the archiver's overhead, not the machine.
func RawPutThroughput(ctx context.Context, s *Store, prefix string, body []byte, n int) (float64, error) {
	if n <= 0 {
		return 0, fmt.Errorf("raw put: n must be positive, got %d", n)
	}
	sum := sha256.Sum256(body)
	opts := store.PutOptions{Metadata: map[string]string{store.MetaSHA256: hex.EncodeToString(sum[:])}}
	keys := make([]string, n)
	start := time.Now()
	for i := range n {
		keys[i] = fmt.Sprintf("%sraw-put-%08d", prefix, i)
		if err := s.Put(ctx, keys[i], bytes.NewReader(body), int64(len(body)), opts); err != nil {
			return 0, err
		}
	}
	elapsed := time.Since(start)
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return 0, err
		}
	}
	return float64(len(body)) * float64(n) / elapsed.Seconds(), nil
}
