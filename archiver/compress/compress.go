package compress

import (
	"bufio"
	"compress/bzip2"
	"fmt"
	"io"
	"sort"
	"strings"

	dsbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// Codec compresses and decompresses one format.
type Codec interface {
	// Name is the value of the ObjectStore's wal.compression ("" for none).
	Name() string
	// Ext is the suffix barman appends to the WAL name ("" for none).
	Ext() string
	// NewWriter compresses into w; Close flushes the end of the stream but does not close w.
	NewWriter(w io.Writer) (io.WriteCloser, error)
	// NewReader decompresses r; it never panics on arbitrary input.
	NewReader(r io.Reader) (io.ReadCloser, error)
}

type codec struct {
	name, ext string
	writer    func(io.Writer) (io.WriteCloser, error)
	reader    func(io.Reader) (io.ReadCloser, error)
}

func (c codec) Name() string                                  { return c.name }
func (c codec) Ext() string                                   { return c.ext }
func (c codec) NewWriter(w io.Writer) (io.WriteCloser, error) { return c.writer(w) }
func (c codec) NewReader(r io.Reader) (io.ReadCloser, error)  { return c.reader(r) }

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// maxWindow bounds what a zstd stream may make the decoder allocate: WAL segments are at most 1 GiB, and
// barman's encoder (python-zstandard, default level) uses windows far below this.
const maxWindow = 128 << 20

var codecs = map[string]codec{
	"": {
		name:   "",
		writer: func(w io.Writer) (io.WriteCloser, error) { return nopWriteCloser{w}, nil },
		reader: func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil },
	},
	"gzip": {
		name: "gzip", ext: ".gz",
		writer: func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.DefaultCompression) },
		reader: func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) },
	},
	"bzip2": {
		name: "bzip2", ext: ".bz2",
		writer: func(w io.Writer) (io.WriteCloser, error) {
			return dsbzip2.NewWriter(w, &dsbzip2.WriterConfig{Level: dsbzip2.DefaultCompression})
		},
		// The standard library's reader: independent of the writer, and fuzzed upstream.
		reader: func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(bzip2.NewReader(r)), nil },
	},
	"xz": {
		name: "xz", ext: ".xz",
		writer: func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) },
		reader: func(r io.Reader) (io.ReadCloser, error) {
			zr, err := xz.ReaderConfig{DictCap: maxWindow}.NewReader(bufio.NewReader(r))
			if err != nil {
				return nil, err
			}
			return io.NopCloser(zr), nil
		},
	},
	// barman writes python-snappy's stream (framing) format, which is what snappy.NewBufferedWriter emits.
	"snappy": {
		name: "snappy", ext: ".snappy",
		writer: func(w io.Writer) (io.WriteCloser, error) { return snappy.NewBufferedWriter(w), nil },
		reader: func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(snappy.NewReader(r)), nil },
	},
	"zstd": {
		name: "zstd", ext: ".zst",
		writer: func(w io.Writer) (io.WriteCloser, error) {
			return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		},
		reader: func(r io.Reader) (io.ReadCloser, error) {
			d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxWindow),
				zstd.WithDecoderLowmem(true))
			if err != nil {
				return nil, err
			}
			return d.IOReadCloser(), nil
		},
	},
	// lz4 frame format, as python-lz4's lz4.frame writes it.
	"lz4": {
		name: "lz4", ext: ".lz4",
		// Only Write and Close: lz4's ReadFrom fails when called a second time on the same frame, which
		// io.Copy from an io.MultiReader (a .partial: WAL, then zeros) does once per reader.
		writer: func(w io.Writer) (io.WriteCloser, error) { return writeOnly{lz4.NewWriter(w)}, nil },
		reader: func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(lz4.NewReader(r)), nil },
	},
}

// writeOnly hides every method of a writer but Write and Close.
type writeOnly struct{ io.WriteCloser }

// Lookup returns the codec for an ObjectStore wal.compression value; "" and "none" mean uncompressed.
func Lookup(name string) (Codec, error) {
	if name == "none" {
		name = ""
	}
	c, ok := codecs[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("compression %q is not supported; use one of %s, or leave it empty", name, strings.Join(Names(), ", "))
	}
	return c, nil
}

// Names lists the supported compression names, sorted.
func Names() []string {
	var out []string
	for n := range codecs {
		if n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Exts lists the compression extensions in the order barman-cloud-wal-restore tries them.
func Exts() []string { return []string{".gz", ".bz2", ".xz", ".snappy", ".zst", ".lz4"} }

// ForExt returns the codec whose extension is ext ("" for none).
func ForExt(ext string) (Codec, bool) {
	for _, c := range codecs {
		if c.ext == ext {
			return c, true
		}
	}
	return nil, false
}
