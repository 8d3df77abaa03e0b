package restorebackup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

func TestReadAheadDeliversEveryByteInOrder(t *testing.T) {
	src := make([]byte, 10<<10+123)
	for i := range src {
		src[i] = byte(i * 31)
	}
	for _, size := range []int{1, 7, 4096, 1 << 20} {
		a := readAhead(iotest.HalfReader(bytes.NewReader(src)), 3, size)
		got, err := io.ReadAll(iotest.OneByteReader(a))
		a.Close()
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("block size %d: %d bytes, %v; want the %d source bytes in order", size, len(got), err, len(src))
		}
	}
}

// TestReadAheadKeepsTheSourcesError: a decompressor's failure, including an error that wraps
// io.ErrUnexpectedEOF (a truncated stream), must reach the extractor as that error, never as a clean end.
func TestReadAheadKeepsTheSourcesError(t *testing.T) {
	broken := fmt.Errorf("gzip: %w", io.ErrUnexpectedEOF)
	a := readAhead(io.MultiReader(bytes.NewReader(make([]byte, 5000)), iotest.ErrReader(broken)), 2, 4096)
	defer a.Close()
	got, err := io.ReadAll(a)
	if !errors.Is(err, broken) || len(got) != 5000 {
		t.Fatalf("read %d bytes, %v; want the 5000 bytes before the failure, then the failure", len(got), err)
	}
}

// TestReadAheadCloseEarly: closing before the end stops the goroutine (the test would leak or hang).
func TestReadAheadCloseEarly(t *testing.T) {
	a := readAhead(bytes.NewReader(make([]byte, 1<<20)), 2, 1024)
	buf := make([]byte, 10)
	if _, err := a.Read(buf); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close()
}
