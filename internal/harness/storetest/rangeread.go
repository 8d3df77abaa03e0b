package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// testGetRange reads ranges of an object larger than one upload part (so ranges cross the parts a
// driver stored it in), the way a restore splits one base-backup tar across connections.
func testGetRange(t *testing.T, s store.Store, prefix string) {
	key := prefix + "base/20260101T000000/data.tar"
	body, sum := Payload(11, SegmentSize+12345)
	if err := s.Create(ctx(t), key, streamOnly{bytes.NewReader(body)}, -1, Meta(sum)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	size := int64(len(body))
	for _, r := range []struct{ off, n int64 }{
		{0, 1}, {0, size}, {0, -1}, {1000, 4096}, {5<<20 - 7, 14}, {8<<20 - 3, 8<<20 + 6}, {size - 5, 5}, {size - 1, -1}, {12345, -1},
	} {
		rc, err := s.GetRange(ctx(t), key, r.off, r.n)
		if err != nil {
			t.Fatalf("GetRange(%d, %d): %v", r.off, r.n, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("GetRange(%d, %d): reading: %v", r.off, r.n, err)
		}
		end := size
		if r.n > 0 {
			end = r.off + r.n
		}
		if !bytes.Equal(got, body[r.off:end]) {
			t.Fatalf("GetRange(%d, %d) returned %d bytes that differ from bytes %d..%d of the object", r.off, r.n, len(got), r.off, end)
		}
	}
	if rc, err := s.GetRange(ctx(t), prefix+"missing.tar", 0, 10); !errors.Is(err, store.ErrNotFound) {
		if rc != nil {
			rc.Close()
		}
		t.Fatalf("GetRange of a missing key: got %v, want ErrNotFound", err)
	}
	for _, bad := range []struct{ off, n int64 }{{0, 0}, {-1, 10}, {0, -2}} {
		rc, err := s.GetRange(ctx(t), key, bad.off, bad.n)
		if err == nil {
			rc.Close()
			t.Fatalf("GetRange(%d, %d) succeeded, want an error naming the bad range", bad.off, bad.n)
		}
		if want := fmt.Sprintf("offset %d length %d", bad.off, bad.n); !strings.Contains(err.Error(), want) {
			t.Fatalf("GetRange(%d, %d): %q does not name the range", bad.off, bad.n, err)
		}
	}
}
