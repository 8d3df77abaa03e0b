package layout

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRoundTrip(t *testing.T) {
	cases := []struct {
		in   string
		kind Kind
		dir  string
	}{
		{"000000010000000000000001", Segment, "0000000100000000"},
		{"0000000A00000002000000FF.partial", Partial, "0000000A00000002"},
		{"000000010000000000000002.00000028.backup", Backup, "0000000100000000"},
		{"00000002.history", History, ""},
	}
	for _, c := range cases {
		n, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if n.Kind != c.kind || n.String() != c.in || n.HashDir() != c.dir {
			t.Errorf("Parse(%q) = %+v (%s, dir %q), want kind %s dir %q", c.in, n, n, n.HashDir(), c.kind, c.dir)
		}
	}
	// PostgreSQL prints upper case; barman accepts lower case too.
	n, err := Parse("00000001000000000000000a")
	if err != nil || n.String() != "00000001000000000000000A" {
		t.Errorf("lower-case name: %v %v", n, err)
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "0000000100000000000000", "00000001000000000000000G",
		"000000010000000000000001.gz", "000000010000000000000001.partial.x", "00000001.histor",
		"000000010000000000000001.0000002.backup", "x00000001.history", "000000010000000000000001/"} {
		if n, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, n)
		}
	}
}

func TestSegmentArithmetic(t *testing.T) {
	const mib = 1 << 20
	if got := SegmentName(1, 4095, mib).String(); got != "000000010000000000000FFF" {
		t.Errorf("1 MiB segment 4095 = %s", got)
	}
	n := SegmentName(1, 4095, mib).Next(mib)
	if n.String() != "000000010000000100000000" || n.SegNo(mib) != 4096 {
		t.Errorf("next of 0xFFF with 1 MiB segments = %s", n)
	}
	if got := SegmentOf(3, 0x1_2345_6789, DefaultSegmentSize).String(); got != "000000030000000100000023" {
		t.Errorf("SegmentOf = %s", got)
	}
	if !ValidSegmentSize(mib) || ValidSegmentSize(3*mib) || ValidSegmentSize(2<<30) {
		t.Error("ValidSegmentSize")
	}
}

func TestKeys(t *testing.T) {
	l, err := New("/path/to/", "pg-main")
	if err != nil {
		t.Fatal(err)
	}
	seg, _ := Parse("000000020000000300000004")
	if got := l.Key(seg, ".gz"); got != "path/to/pg-main/wals/0000000200000003/000000020000000300000004.gz" {
		t.Errorf("segment key = %s", got)
	}
	if got := l.Key(HistoryName(2), ""); got != "path/to/pg-main/wals/00000002.history" {
		t.Errorf("history key = %s", got)
	}
	if got := l.Key(seg.AsPartial(), ".zst"); got != "path/to/pg-main/wals/0000000200000003/000000020000000300000004.partial.zst" {
		t.Errorf("partial key = %s", got)
	}
	root, _ := New("", "s")
	if got := root.Key(seg, ""); got != "s/wals/0000000200000003/000000020000000300000004" {
		t.Errorf("key without prefix = %s", got)
	}
	exts := []string{".gz", ".bz2", ".xz", ".snappy", ".zst", ".lz4"}
	for _, n := range []Name{seg, seg.AsPartial(), HistoryName(7)} {
		for _, ext := range append([]string{""}, exts...) {
			got, gotExt, err := l.ParseKey(l.Key(n, ext), exts)
			if err != nil || got != n || gotExt != ext {
				t.Errorf("ParseKey(Key(%s, %q)) = %s %q %v", n, ext, got, gotExt, err)
			}
		}
	}
	for _, bad := range []string{"other/pg-main/wals/00000002.history", "path/to/pg-main/wals/0000000100000000/000000020000000300000004",
		"path/to/pg-main/wals/0000000200000003/000000020000000300000004.rar", "path/to/pg-main/wals//00000002.history",
		"path/to/pg-main/wals/0000000200000003/000000020000000300000004/.gz"} {
		if _, _, err := l.ParseKey(bad, exts); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "a/b", ".."} {
		if _, err := New("p", bad); err == nil {
			t.Errorf("New with server name %q accepted", bad)
		}
	}
}

func TestHistory(t *testing.T) {
	content := []byte("1\t0/3000000\tno recovery target specified\n\n# comment\n2\t0/5000028\tat restore point \"x\"\n")
	h, err := ParseHistory(content)
	if err != nil {
		t.Fatal(err)
	}
	want := []Switch{{1, 0x3000000}, {2, 0x5000028}}
	if !slices.Equal(h, want) {
		t.Fatalf("ParseHistory = %v, want %v", h, want)
	}
	for _, c := range []struct {
		lsn  uint64
		want uint32
	}{{0, 1}, {0x2FFFFFF, 1}, {0x3000000, 2}, {0x5000027, 2}, {0x5000028, 3}} {
		if got := TimelineOf(c.lsn, h, 3); got != c.want {
			t.Errorf("TimelineOf(%X) = %d, want %d", c.lsn, got, c.want)
		}
	}
	if sp, ok := SwitchPoint(3, h, 3); !ok || sp != 0x5000028 {
		t.Errorf("SwitchPoint(3) = %X %v", sp, ok)
	}
	if sp, ok := SwitchPoint(2, h, 3); !ok || sp != 0x3000000 {
		t.Errorf("SwitchPoint(2) = %X %v", sp, ok)
	}
	if _, ok := SwitchPoint(1, h, 3); ok {
		t.Error("timeline 1 has no switch point")
	}
	for _, bad := range []string{"x\t0/1\n", "1\t01\n", "1\n", "2\t0/5\n1\t0/6\n"} {
		if _, err := ParseHistory([]byte(bad)); err == nil {
			t.Errorf("ParseHistory(%q) accepted", bad)
		}
	}
	if lsn, err := ParseLSN("16/B374D848"); err != nil || FormatLSN(lsn) != "16/B374D848" {
		t.Errorf("LSN round trip: %X %v", lsn, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"000000010000000000000001", "00000002.history", "000000010000000000000001.partial",
		"000000010000000000000002.00000028.backup", "zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(n.String())
		if err != nil || again != n {
			t.Fatalf("Parse(%q) = %+v, but its String %q parses to %+v, %v", s, n, n.String(), again, err)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	l := Layout{Prefix: "p", ServerName: "s"}
	exts := []string{".gz", ".zst"}
	f.Add("p/s/wals/0000000100000000/000000010000000000000001.gz")
	f.Add("p/s/wals/00000002.history")
	f.Add("p/s/wals//00000000.history")
	f.Fuzz(func(t *testing.T, key string) {
		n, ext, err := l.ParseKey(key, exts)
		if err != nil {
			return
		}
		if again := l.Key(n, ext); !strings.EqualFold(again, key) {
			t.Fatalf("ParseKey(%q) = %s %q, which keys to %q", key, n, ext, again)
		}
	})
}

func FuzzParseHistory(f *testing.F) {
	f.Add([]byte("1\t0/3000000\treason\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHistory(b)
		if err == nil && len(h) > 0 {
			TimelineOf(0, h, h[len(h)-1].TLI+1)
		}
	})
}
