//go:build integration

package stream

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/testservers"
)

// TestEveryCompressionToMinIO archives the same server with one archiver per codec and checks every
// segment decompresses to exactly the bytes in pg_wal.
func TestEveryCompressionToMinIO(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)
	var archivers []*running
	for _, c := range append([]string{""}, compress.Names()...) {
		name := "pg-" + c
		if c == "" {
			name = "pg-none"
		}
		archivers = append(archivers, startArchiver(t, pg, st, name, c, nil))
	}
	var last string
	for i := 0; i < 4; i++ {
		last = switchWAL(t, pg)
	}
	for _, r := range archivers {
		r.waitArchived(t, last, 2*time.Minute)
		r.stop(t)
		if n := r.checkAgainstPGWAL(t, pg); n < 4 {
			t.Errorf("%s: only %d archived segments could be compared with pg_wal", r.codec.Name(), n)
		}
		if c := testutil.ToFloat64(r.m.Conflicts); c != 0 {
			t.Errorf("%s: %v conflicts", r.codec.Name(), c)
		}
		names := r.list(t)
		checkContiguous(t, names, 1, names[0], last, pg.SegSize)
	}
}
