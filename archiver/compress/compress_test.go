package compress

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"testing"
)

// walLike is compressible like WAL: page headers, repeated tuples, a zero-filled tail.
func walLike(t testing.TB) []byte {
	b := make([]byte, 1<<20)
	for i := 0; i < 512<<10; i += 8192 {
		copy(b[i:], []byte("\x10\xd1\x05\x00\x01\x00\x00\x00 tuple payload of a pgbench_accounts row "))
		if _, err := rand.Read(b[i+100 : i+400]); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func roundTrip(t *testing.T, c Codec, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := c.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// Write in odd-sized pieces, as the uploader's copy may.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 12345)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := c.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("%s: NewReader: %v", c.Name(), err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: read: %v", c.Name(), err)
	}
	_ = r.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("%s: round trip changed the data (%d bytes in, %d out)", c.Name(), len(data), len(got))
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	data := walLike(t)
	for _, name := range append([]string{""}, Names()...) {
		c, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		compressed := roundTrip(t, c, data)
		roundTrip(t, c, nil)
		if name != "" && len(compressed) >= len(data) {
			t.Errorf("%s did not compress WAL-like data: %d -> %d", name, len(data), len(compressed))
		}
		back, ok := ForExt(c.Ext())
		if !ok || back.Name() != c.Name() {
			t.Errorf("ForExt(%q) = %v", c.Ext(), back)
		}
	}
	want := map[string]string{"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "snappy": ".snappy", "zstd": ".zst", "lz4": ".lz4"}
	for n, ext := range want {
		if c, err := Lookup(n); err != nil || c.Ext() != ext {
			t.Errorf("Lookup(%q) ext = %v %v, want %s", n, c, err, ext)
		}
	}
	if _, err := Lookup("brotli"); err == nil {
		t.Error("Lookup accepted an unknown compression")
	}
	if len(Exts()) != len(want) {
		t.Errorf("Exts() = %v", Exts())
	}
}

// TestIndependentDecoders decompresses our output with the reference command-line tools, so a writer that
// only agrees with its own reader cannot pass.
func TestIndependentDecoders(t *testing.T) {
	tools := map[string][]string{
		"gzip": {"gzip", "-dc"}, "bzip2": {"bzip2", "-dc"}, "xz": {"xz", "-dc"},
		"zstd": {"zstd", "-dcq"}, "lz4": {"lz4", "-dcq"},
	}
	data := walLike(t)
	for name, argv := range tools {
		path, err := exec.LookPath(argv[0])
		if err != nil {
			t.Fatalf("%s is needed to check %s output independently (apt-get install %s): %v", argv[0], name, argv[0], err)
		}
		c, _ := Lookup(name)
		compressed := roundTrip(t, c, data)
		cmd := exec.Command(path, argv[1:]...)
		cmd.Stdin = bytes.NewReader(compressed)
		cmd.Stderr = os.Stderr
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s could not decompress our %s output: %v", argv[0], name, err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s decoded our %s output to different bytes", argv[0], name)
		}
	}
}

// TestSnappyFraming pins the python-snappy stream format barman writes: the stream identifier chunk.
func TestSnappyFraming(t *testing.T) {
	c, _ := Lookup("snappy")
	out := roundTrip(t, c, []byte("hello hello hello hello"))
	if !bytes.HasPrefix(out, []byte("\xff\x06\x00\x00sNaPpY")) {
		t.Errorf("snappy output does not start with the framing format's stream identifier: % x", out[:min(len(out), 10)])
	}
	// A stream built by hand per the framing format python-snappy's StreamCompressor follows: the
	// identifier, then one uncompressed chunk (type 1) carrying the masked CRC-32C of its data.
	crc := crc32.Checksum([]byte("hello"), crc32.MakeTable(crc32.Castagnoli))
	masked := (crc>>15 | crc<<17) + 0xa282ead8
	py := []byte("\xff\x06\x00\x00sNaPpY\x01\x09\x00\x00")
	py = binary.LittleEndian.AppendUint32(py, masked)
	py = append(py, "hello"...)
	r, _ := c.NewReader(bytes.NewReader(py))
	if got, err := io.ReadAll(r); err != nil || string(got) != "hello" {
		t.Errorf("reading a python-snappy stream: %q %v", got, err)
	}
}

func FuzzDecoders(f *testing.F) {
	f.Add([]byte("\x1f\x8b\x08\x00"), uint8(0))
	f.Add([]byte("BZh91AY&SY"), uint8(1))
	f.Add([]byte("\xfd7zXZ\x00"), uint8(2))
	f.Add([]byte("\xff\x06\x00\x00sNaPpY"), uint8(3))
	f.Add([]byte("\x28\xb5\x2f\xfd"), uint8(4))
	f.Add([]byte("\x04\x22\x4d\x18"), uint8(5))
	names := Names()
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		c, _ := Lookup(names[int(which)%len(names)])
		r, err := c.NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<20))
		_ = r.Close()
	})
}

// TestCopyFromSeveralReaders feeds each writer through io.Copy from an io.MultiReader, as a .partial upload
// does (the WAL so far, then zeros): the copy then calls the writer's ReadFrom once per reader, which
// lz4's Writer refuses after the first ("unhandled state").
func TestCopyFromSeveralReaders(t *testing.T) {
	data := walLike(t)
	for _, name := range append([]string{""}, Names()...) {
		c, _ := Lookup(name)
		var buf bytes.Buffer
		w, err := c.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		// Neither reader has WriteTo, so each goes to the writer's ReadFrom when it has one.
		rest := data[300<<10:]
		src := io.MultiReader(io.NewSectionReader(bytes.NewReader(data), 0, 300<<10), io.LimitReader(bytes.NewReader(rest), int64(len(rest))))
		if _, err := io.Copy(w, src); err != nil {
			t.Errorf("%s: copying from two readers: %v", c.Name(), err)
			continue
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: close: %v", c.Name(), err)
		}
		r, err := c.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: the copy did not round-trip (%v)", c.Name(), err)
		}
	}
}
