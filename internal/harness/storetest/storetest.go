package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Target is one driver wired to a running service.
type Target struct {
	// Store is opened on an existing bucket, with the driver's smallest list page size (ListPageSize) so
	// that List crosses pages.
	Store store.Store
	// ListPageSize is the page size Store was opened with; the suite creates more keys than that.
	ListPageSize int
	// MissingBucket is the same service and credentials on a bucket that does not exist.
	MissingBucket store.Store
	// BadCredentials is the same bucket with credentials the service rejects; nil when the service
	// does not authenticate (fake-gcs-server).
	BadCredentials store.Store
	// BucketName is the name MissingBucket points at; its errors must name it.
	MissingBucketName string
	// ParallelPartSize is the first part size Store uses in CreateParallel; the suite sends bodies of
	// several parts (more than one compose request takes when it is below 1 MiB).
	ParallelPartSize int64
}

// SegmentSize is the size of a default PostgreSQL WAL segment.
const SegmentSize = 16 << 20

// Run runs every behaviour against the target. Each subtest works under its own key prefix.
func Run(t *testing.T, tgt Target) {
	run := func(name string, f func(t *testing.T, s store.Store, prefix string)) {
		t.Run(name, func(t *testing.T) {
			f(t, tgt.Store, fmt.Sprintf("conformance/%s/%d/", name, time.Now().UnixNano()))
		})
	}
	run("CreateNeverOverwrites", testCreateNeverOverwrites)
	run("ConcurrentCreateHasOneWinner", testConcurrentCreate)
	run("PutOverwrites", testPutOverwrites)
	run("StatReturnsSizeAndSHA", testStat)
	run("MissingObject", testMissing)
	run("SegmentRoundTrip", testSegmentRoundTrip)
	run("UnknownSizeRoundTrip", testUnknownSize)
	run("EmptyObject", testEmpty)
	run("ListLexicalAcrossPages", func(t *testing.T, s store.Store, prefix string) { testList(t, s, prefix, tgt.ListPageSize) })
	run("DeleteIsIdempotent", testDelete)
	run("CreateParallel", func(t *testing.T, s store.Store, prefix string) { runParallel(t, s, prefix, tgt.ParallelPartSize) })
	run("GetRange", testGetRange)
	t.Run("MissingBucket", func(t *testing.T) { testMissingBucket(t, tgt.MissingBucket, tgt.MissingBucketName) })
	if tgt.BadCredentials != nil {
		t.Run("BadCredentials", func(t *testing.T) { testBadCredentials(t, tgt.BadCredentials) })
	}
}

// Payload returns n deterministic pseudo-random bytes and their hex sha256.
func Payload(seed uint64, n int) ([]byte, string) {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// Meta is the metadata a caller sends with a body whose sha256 is sum.
func Meta(sum string) store.PutOptions {
	return store.PutOptions{Metadata: map[string]string{store.MetaSHA256: sum}}
}

// streamOnly hides every method but Read, as a pipe or a compressor would.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustGet(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(ctx(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return b
}

func testCreateNeverOverwrites(t *testing.T, s store.Store, prefix string) {
	key := prefix + "000000010000000000000001"
	a, sumA := Payload(1, 4096)
	b, sumB := Payload(2, 4096)
	if err := s.Create(ctx(t), key, bytes.NewReader(a), int64(len(a)), Meta(sumA)); err != nil {
		t.Fatalf("first Create: %v", err)
	}
	err := s.Create(ctx(t), key, bytes.NewReader(b), int64(len(b)), Meta(sumB))
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create with other bytes: got %v, want ErrExists", err)
	}
	err = s.Create(ctx(t), key, bytes.NewReader(a), int64(len(a)), Meta(sumA))
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create with the same bytes: got %v, want ErrExists (the caller compares sha256)", err)
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, a) {
		t.Fatalf("the object changed after a refused Create")
	}
	obj, err := s.Stat(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Metadata[store.MetaSHA256] != sumA {
		t.Fatalf("sha metadata after a refused Create = %q, want the original %q", obj.Metadata[store.MetaSHA256], sumA)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store, prefix string) {
	key := prefix + "00000002.history"
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			body, sum := Payload(uint64(10+i), 64<<10)
			errs[i] = s.Create(ctx(t), key, bytes.NewReader(body), int64(len(body)), Meta(sum))
		})
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case errors.Is(err, store.ErrExists):
		default:
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d concurrent Creates succeeded, want exactly 1 (errors: %v)", winners, errs)
	}
	obj, err := s.Stat(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, key)
	sum := sha256.Sum256(got)
	if hex.EncodeToString(sum[:]) != obj.Metadata[store.MetaSHA256] {
		t.Fatalf("stored bytes and their sha metadata come from different writers")
	}
}

func testPutOverwrites(t *testing.T, s store.Store, prefix string) {
	key := prefix + "000000010000000000000003.partial"
	a, sumA := Payload(3, 1000)
	b, sumB := Payload(4, 2000)
	if err := s.Create(ctx(t), key, bytes.NewReader(a), int64(len(a)), Meta(sumA)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx(t), key, bytes.NewReader(b), int64(len(b)), Meta(sumB)); err != nil {
		t.Fatalf("Put over an existing object: %v", err)
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, b) {
		t.Fatalf("Put did not replace the object")
	}
	if err := s.Put(ctx(t), key, bytes.NewReader(a), int64(len(a)), Meta(sumA)); err != nil {
		t.Fatalf("second Put: %v", err)
	}
	obj, err := s.Stat(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != int64(len(a)) || obj.Metadata[store.MetaSHA256] != sumA {
		t.Fatalf("after Put: size %d sha %q, want %d %q", obj.Size, obj.Metadata[store.MetaSHA256], len(a), sumA)
	}
}

func testStat(t *testing.T, s store.Store, prefix string) {
	key := prefix + "000000010000000000000004"
	body, sum := Payload(5, 12345)
	opts := Meta(sum)
	opts.ContentType = "application/octet-stream"
	opts.Tags = map[string]string{"kind": "wal", "note": "a b=c/d:e+f_g.h-i"}
	if err := s.Create(ctx(t), key, bytes.NewReader(body), int64(len(body)), opts); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Stat(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Key != key || obj.Size != int64(len(body)) {
		t.Fatalf("Stat = key %q size %d, want %q %d", obj.Key, obj.Size, key, len(body))
	}
	if obj.Metadata[store.MetaSHA256] != sum {
		t.Fatalf("Stat metadata %v lacks %s=%s", obj.Metadata, store.MetaSHA256, sum)
	}
}

func testMissing(t *testing.T, s store.Store, prefix string) {
	key := prefix + "nothing-here"
	if _, err := s.Stat(ctx(t), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Stat of a missing key: got %v, want ErrNotFound", err)
	}
	if rc, err := s.Get(ctx(t), key); !errors.Is(err, store.ErrNotFound) {
		if rc != nil {
			rc.Close()
		}
		t.Fatalf("Get of a missing key: got %v, want ErrNotFound", err)
	}
	objs, err := s.List(ctx(t), key)
	if err != nil || len(objs) != 0 {
		t.Fatalf("List of an empty prefix = %v, %v; want nothing, nil", objs, err)
	}
}

func testSegmentRoundTrip(t *testing.T, s store.Store, prefix string) {
	key := prefix + "000000010000000000000005"
	body, sum := Payload(6, SegmentSize)
	// A non-seekable body of known size is how a segment arrives from a compressor or the spool.
	if err := s.Create(ctx(t), key, streamOnly{bytes.NewReader(body)}, int64(len(body)), Meta(sum)); err != nil {
		t.Fatalf("Create of a 16 MiB segment: %v", err)
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, body) {
		t.Fatalf("16 MiB segment did not round-trip (got %d bytes)", len(got))
	}
	obj, err := s.Stat(ctx(t), key)
	if err != nil || obj.Size != SegmentSize {
		t.Fatalf("Stat = %+v, %v; want size %d", obj, err, SegmentSize)
	}
}

func testUnknownSize(t *testing.T, s store.Store, prefix string) {
	small, smallSum := Payload(7, 3000)
	big, bigSum := Payload(8, SegmentSize+12345)
	for _, c := range []struct {
		key  string
		body []byte
		sum  string
	}{{prefix + "small", small, smallSum}, {prefix + "big", big, bigSum}} {
		if err := s.Create(ctx(t), c.key, streamOnly{bytes.NewReader(c.body)}, -1, Meta(c.sum)); err != nil {
			t.Fatalf("Create %s with unknown size: %v", c.key, err)
		}
		if got := mustGet(t, s, c.key); !bytes.Equal(got, c.body) {
			t.Fatalf("%s did not round-trip (got %d bytes, want %d)", c.key, len(got), len(c.body))
		}
		other, otherSum := Payload(9, len(c.body))
		err := s.Create(ctx(t), c.key, streamOnly{bytes.NewReader(other)}, -1, Meta(otherSum))
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("second Create %s with unknown size: got %v, want ErrExists", c.key, err)
		}
		obj, err := s.Stat(ctx(t), c.key)
		if err != nil || obj.Metadata[store.MetaSHA256] != c.sum {
			t.Fatalf("Stat %s = %+v, %v; want sha %s", c.key, obj, err, c.sum)
		}
	}
}

func testEmpty(t *testing.T, s store.Store, prefix string) {
	key := prefix + "empty"
	sum := sha256.Sum256(nil)
	if err := s.Create(ctx(t), key, bytes.NewReader(nil), 0, Meta(hex.EncodeToString(sum[:]))); err != nil {
		t.Fatalf("Create of an empty object: %v", err)
	}
	if got := mustGet(t, s, key); len(got) != 0 {
		t.Fatalf("empty object read back as %d bytes", len(got))
	}
}

func testList(t *testing.T, s store.Store, prefix string, pageSize int) {
	n := 2*pageSize + 3
	if pageSize <= 0 || pageSize > 50 {
		t.Fatalf("the target's ListPageSize is %d; open the store with a small page size (≤ 50) so List crosses pages", pageSize)
	}
	var want []string
	// Insert in reverse so that creation order cannot pass for lexical order.
	for i := n - 1; i >= 0; i-- {
		key := fmt.Sprintf("%swals/0000000100000000/0000000100000000000000%02X", prefix, i)
		if err := s.Put(ctx(t), key, strings.NewReader(key), int64(len(key)), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append([]string{key}, want...)
	}
	history := prefix + "wals/00000002.history"
	if err := s.Put(ctx(t), history, strings.NewReader("x"), 1, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	outside := strings.TrimSuffix(prefix, "/") + "-sibling/x"
	if err := s.Put(ctx(t), outside, strings.NewReader("x"), 1, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	objs, err := s.List(ctx(t), prefix+"wals/0000000100000000/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(want) {
		t.Fatalf("List returned %d objects, want %d", len(objs), len(want))
	}
	for i, o := range objs {
		if o.Key != want[i] || o.Size != int64(len(want[i])) {
			t.Fatalf("List[%d] = %q (%d bytes), want %q (%d bytes)", i, o.Key, o.Size, want[i], len(want[i]))
		}
	}
	all, err := s.List(ctx(t), prefix)
	if err != nil {
		t.Fatal(err)
	}
	// "00000002.history" sorts after "0000000100000000/…" byte by byte; the sibling is not listed.
	if len(all) != n+1 || all[0].Key != want[0] || all[len(all)-2].Key != want[len(want)-1] || all[len(all)-1].Key != history {
		keys := make([]string, 0, len(all))
		for _, o := range all {
			keys = append(keys, o.Key)
		}
		t.Fatalf("List(%q) = %v", prefix, keys)
	}
}

func testDelete(t *testing.T, s store.Store, prefix string) {
	key := prefix + "probe"
	if err := s.Put(ctx(t), key, strings.NewReader("x"), 1, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx(t), key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx(t), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Stat after Delete: got %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx(t), key); err != nil {
		t.Fatalf("Delete of a missing object: %v, want nil", err)
	}
	// A Create after Delete succeeds again: the key is really gone.
	if err := s.Create(ctx(t), key, strings.NewReader("y"), 1, store.PutOptions{}); err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
}

func testMissingBucket(t *testing.T, s store.Store, bucket string) {
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrBucketNotFound) {
			t.Fatalf("%s on a missing bucket: got %v, want ErrBucketNotFound", op, err)
		}
		if !strings.Contains(err.Error(), bucket) {
			t.Fatalf("%s on a missing bucket: %q does not name the bucket %q", op, err, bucket)
		}
	}
	_, err := s.List(ctx(t), "x/")
	check("List", err)
	check("Create", s.Create(ctx(t), "x/y", strings.NewReader("x"), 1, store.PutOptions{}))
	_, err = s.Get(ctx(t), "x/y")
	check("Get", err)
}

func testBadCredentials(t *testing.T, s store.Store) {
	_, err := s.List(ctx(t), "x/")
	if !errors.Is(err, store.ErrAuthentication) {
		t.Fatalf("List with wrong credentials: got %v, want ErrAuthentication", err)
	}
	err = s.Create(ctx(t), "x/y", strings.NewReader("x"), 1, store.PutOptions{})
	if !errors.Is(err, store.ErrAuthentication) {
		t.Fatalf("Create with wrong credentials: got %v, want ErrAuthentication", err)
	}
}
