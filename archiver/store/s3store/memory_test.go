package s3store

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// zeros is an endless non-seekable stream, so nothing but the driver could hold a copy of it.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestSegmentUploadIsStreamed shows that a 16 MiB segment of known size is not buffered: the process
// allocates far less than the segment while sending it.
func TestSegmentUploadIsStreamed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	s, err := New(context.Background(), Config{Bucket: "wal", Endpoint: srv.URL, MaxAttempts: 1,
		Credentials: &Credentials{AccessKeyID: "a", SecretAccessKey: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	const size = 16 << 20
	// The sha256 of 16 MiB of zeros: the signed payload hash, so the SDK does not read the body to hash it.
	opts := store.PutOptions{Metadata: map[string]string{store.MetaSHA256: "080acf35a507ac9849cfcba47dc2ad83e01b75663a516279c8b9d243b719643e"}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := s.Create(context.Background(), "seg", io.LimitReader(zeros{}, size), size, opts); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > size/4 {
		t.Fatalf("uploading a %d-byte segment allocated %d bytes: the body is being buffered", size, allocated)
	}
}
