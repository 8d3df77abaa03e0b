package basebackup

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
)

type entry struct {
	name, body, link string
	typ              byte
}

func makeTar(t testing.TB, entries []entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o600, Size: int64(len(e.body)), Linkname: e.link, Format: tar.FormatUSTAR}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func names(t *testing.T, b []byte) []string {
	tr := tar.NewReader(bytes.NewReader(b))
	var out []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		out = append(out, h.Name)
	}
	return out
}

// TestFilterTar: what BASE_BACKUP sends and barman-cloud-restore must not get is left out; the rest,
// backup_label and pg_control included, is kept in order, and backup_label's content is returned.
func TestFilterTar(t *testing.T) {
	label := "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"
	in := makeTar(t, []entry{
		{name: "backup_label", body: label, typ: tar.TypeReg},
		{name: "PG_VERSION", body: "15\n", typ: tar.TypeReg},
		{name: "standby.signal", typ: tar.TypeReg},
		{name: "recovery.signal", typ: tar.TypeReg},
		{name: "pg_tblspc", typ: tar.TypeDir},
		{name: "pg_tblspc/16385", link: "/srv/tbs", typ: tar.TypeSymlink},
		{name: "pg_wal", typ: tar.TypeDir},
		{name: "base/1/1259", body: strings.Repeat("x", 9000), typ: tar.TypeReg},
		{name: "global/pg_control", body: "control", typ: tar.TypeReg},
	})
	var out bytes.Buffer
	got, err := filterTar(&out, bytes.NewReader(append(in, make([]byte, 4096)...)), true)
	if err != nil {
		t.Fatal(err)
	}
	if got != label {
		t.Fatalf("backup_label = %q, want %q", got, label)
	}
	want := "backup_label,PG_VERSION,pg_tblspc,pg_wal,base/1/1259,global/pg_control"
	if g := strings.Join(names(t, out.Bytes()), ","); g != want {
		t.Fatalf("entries %s, want %s", g, want)
	}
	// A tablespace's tar is copied as it is.
	ts := makeTar(t, []entry{{name: "PG_15_202209061/16384/16386", body: "rel", typ: tar.TypeReg}, {name: "standby.signal", typ: tar.TypeReg}})
	out.Reset()
	if _, err := filterTar(&out, bytes.NewReader(ts), false); err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(names(t, out.Bytes()), ","); g != "PG_15_202209061/16384/16386,standby.signal" {
		t.Fatalf("tablespace entries %s", g)
	}
}

func TestFilterTarRejectsGarbage(t *testing.T) {
	if _, err := filterTar(&bytes.Buffer{}, strings.NewReader(strings.Repeat("not a tar ", 100)), true); err == nil {
		t.Fatal("a stream that is not a tar was accepted")
	}
}

// FuzzFilterTar: the server's tar stream never makes the filter panic, and what it writes is a tar.
func FuzzFilterTar(f *testing.F) {
	f.Add(makeTar(f, []entry{{name: "backup_label", body: "x", typ: tar.TypeReg}, {name: "pg_tblspc/1", link: "/a", typ: tar.TypeSymlink}}))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		if _, err := filterTar(&out, bytes.NewReader(b), true); err != nil {
			return
		}
		tr := tar.NewReader(&out)
		for {
			if _, err := tr.Next(); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("the filter wrote an unreadable tar: %v", err)
				}
				return
			}
		}
	})
}
