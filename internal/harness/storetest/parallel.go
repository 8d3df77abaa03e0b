package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// runParallel runs the CreateParallel behaviours; partSize is the first part size the target's store
// uses for it (Target.ParallelPartSize).
func runParallel(t *testing.T, s store.Store, prefix string, partSize int64) {
	if partSize <= 0 {
		t.Fatalf("the target's ParallelPartSize is %d; set it to the store's first CreateParallel part size", partSize)
	}
	// Enough parts for several rounds of jobs, and past one compose request (32) when parts are small.
	parts := int64(3)
	if partSize < 1<<20 {
		parts = 40
	}
	size := int(parts*partSize + partSize/2)
	t.Run("RoundTrip", func(t *testing.T) { testParallelRoundTrip(t, s, prefix+"rt/", size) })
	t.Run("NeverOverwrites", func(t *testing.T) { testParallelNeverOverwrites(t, s, prefix+"ow/", size, int(partSize)) })
	t.Run("SmallAndEmpty", func(t *testing.T) { testParallelSmall(t, s, prefix+"small/", int(partSize)) })
	t.Run("FailedBodyLeavesNothing", func(t *testing.T) { testParallelBodyError(t, s, prefix+"fail/", size) })
	t.Run("CancelLeavesNothing", func(t *testing.T) { testParallelCancel(t, s, prefix+"cancel/", size) })
}

func testParallelRoundTrip(t *testing.T, s store.Store, prefix string, size int) {
	key := prefix + "base/20260101T000000/data.tar.gz"
	body, sum := Payload(21, size)
	opts := Meta(sum)
	opts.Tags = map[string]string{"kind": "backup"}
	n, err := s.CreateParallel(ctx(t), key, streamOnly{bytes.NewReader(body)}, opts, 3)
	if err != nil {
		t.Fatalf("CreateParallel of %d bytes: %v", size, err)
	}
	if n != int64(size) {
		t.Fatalf("CreateParallel returned %d bytes stored, want %d", n, size)
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, body) {
		t.Fatalf("%d bytes did not round-trip in order (got %d bytes)", size, len(got))
	}
	obj, err := s.Stat(ctx(t), key)
	if err != nil || obj.Size != int64(size) || obj.Metadata[store.MetaSHA256] != sum {
		t.Fatalf("Stat = %+v, %v; want size %d and the sha metadata", obj, err, size)
	}
	onlyKeys(t, s, prefix, key)
}

func testParallelNeverOverwrites(t *testing.T, s store.Store, prefix string, size, partSize int) {
	key := prefix + "data.tar"
	body, sum := Payload(22, size)
	if _, err := s.CreateParallel(ctx(t), key, streamOnly{bytes.NewReader(body)}, Meta(sum), 2); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{size, partSize / 2} { // the multipart and the single-request paths
		other, otherSum := Payload(23, n)
		_, err := s.CreateParallel(ctx(t), key, streamOnly{bytes.NewReader(other)}, Meta(otherSum), 2)
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("second CreateParallel (%d bytes): got %v, want ErrExists", n, err)
		}
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, body) {
		t.Fatalf("the object changed after a refused CreateParallel")
	}
	// Nor over an object written by Create.
	small := prefix + "backup.info"
	if err := s.Create(ctx(t), small, strings.NewReader("a"), 1, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	big, bigSum := Payload(24, size)
	if _, err := s.CreateParallel(ctx(t), small, streamOnly{bytes.NewReader(big)}, Meta(bigSum), 2); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateParallel over a Created object: got %v, want ErrExists", err)
	}
	if got := mustGet(t, s, small); string(got) != "a" {
		t.Fatalf("a refused CreateParallel replaced the object")
	}
	onlyKeys(t, s, prefix, small, key)
}

func testParallelSmall(t *testing.T, s store.Store, prefix string, partSize int) {
	for _, n := range []int{0, 1000, partSize} {
		key := fmt.Sprintf("%ssize-%d", prefix, n)
		body, sum := Payload(uint64(25+n), n)
		got, err := s.CreateParallel(ctx(t), key, streamOnly{bytes.NewReader(body)}, Meta(sum), 4)
		if err != nil || got != int64(n) {
			t.Fatalf("CreateParallel of %d bytes = %d, %v", n, got, err)
		}
		if b := mustGet(t, s, key); !bytes.Equal(b, body) {
			t.Fatalf("%d bytes did not round-trip (got %d)", n, len(b))
		}
	}
}

// failingReader returns its bytes, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, f.err
	}
	return n, err
}

var errBroken = errors.New("the source broke")

func testParallelBodyError(t *testing.T, s store.Store, prefix string, size int) {
	key := prefix + "data.tar"
	body, _ := Payload(26, size)
	// A broken connection's error may wrap io.ErrUnexpectedEOF: it is a failure, not the body's end.
	connLost := fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF)
	for _, cause := range []error{errBroken, connLost} {
		_, err := s.CreateParallel(ctx(t), key, &failingReader{r: bytes.NewReader(body), err: cause}, store.PutOptions{}, 3)
		if !errors.Is(err, cause) {
			t.Fatalf("CreateParallel from a body that fails with %q: got %v, want the body's error", cause, err)
		}
		if _, err := s.Stat(ctx(t), key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after a failed CreateParallel (%q), Stat: got %v, want ErrNotFound", cause, err)
		}
		onlyKeys(t, s, prefix)
	}
	// The key is still free.
	if _, err := s.CreateParallel(ctx(t), key, strings.NewReader("ok"), store.PutOptions{}, 3); err != nil {
		t.Fatalf("CreateParallel after a failed one: %v", err)
	}
}

func testParallelCancel(t *testing.T, s store.Store, prefix string, size int) {
	key := prefix + "data.tar"
	body, _ := Payload(27, size)
	c, cancel := context.WithCancel(ctx(t))
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(body[:size/2])
		cancel() // the backup was interrupted while its tar streamed
		<-c.Done()
		pw.CloseWithError(c.Err())
	}()
	if _, err := s.CreateParallel(c, key, pr, store.PutOptions{}, 3); err == nil {
		t.Fatalf("CreateParallel with a cancelled context succeeded")
	}
	if _, err := s.Stat(ctx(t), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a cancelled CreateParallel, Stat: got %v, want ErrNotFound", err)
	}
	onlyKeys(t, s, prefix)
}

// onlyKeys asserts prefix holds exactly keys: no temporary part is left behind.
func onlyKeys(t *testing.T, s store.Store, prefix string, keys ...string) {
	t.Helper()
	objs, err := s.List(ctx(t), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Key)
	}
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("%s holds %v, want exactly %v", prefix, got, keys)
	}
}
