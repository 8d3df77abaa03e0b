package layout

import (
	"strings"
	"testing"
	"time"
)

func TestBackupIDs(t *testing.T) {
	at := time.Date(2024, 1, 5, 13, 0, 7, 999_000_000, time.FixedZone("CET", 3600))
	if got := NewBackupID(at); got != "20240105T120007" {
		t.Errorf("NewBackupID = %s, want the UTC second 20240105T120007", got)
	}
	taken := map[string]bool{"20240105T120007": true, "20240105T120008": true}
	if got := UniqueBackupID(at, func(id string) bool { return taken[id] }); got != "20240105T120009" {
		t.Errorf("UniqueBackupID = %s, want the first free second 20240105T120009", got)
	}
	got, err := ParseBackupID("20240105T120007")
	if err != nil || !got.Equal(at.Truncate(time.Second)) {
		t.Errorf("ParseBackupID = %v, %v", got, err)
	}
	for _, bad := range []string{"", "20240105", "20240105T12000", "20240105T1200077", "20240105t120007",
		"2024010ST120007", "20240230T120000", "20240105T250000", "backup-20240105120000", "20240105T120007\n"} {
		if _, err := ParseBackupID(bad); err == nil || !strings.Contains(err.Error(), "YYYYMMDDTHHMMSS") {
			t.Errorf("ParseBackupID(%q) = %v, want an error naming the form", bad, err)
		}
	}
}

func TestTarNames(t *testing.T) {
	for _, c := range []struct {
		codec, want0, want2 string
	}{
		{"", "data.tar", "data_0002.tar"},
		{"none", "data.tar", "data_0002.tar"},
		{"gzip", "data.tar.gz", "data_0002.tar.gz"},
		{"bzip2", "data.tar.bz2", "data_0002.tar.bz2"},
		{"snappy", "data.tar.snappy", "data_0002.tar.snappy"},
		{"lz4", "data.tar.lz4", "data_0002.tar.lz4"},
	} {
		ext, err := TarExt(c.codec)
		if err != nil {
			t.Fatalf("TarExt(%q): %v", c.codec, err)
		}
		for _, tar := range []Tar{{DataTar, 0, ext}, {DataTar, 2, ext}, {TablespaceTar(16385), 10000, ext}} {
			back, err := ParseTar(tar.String())
			if err != nil || back != tar {
				t.Errorf("ParseTar(%s) = %+v, %v", tar, back, err)
			}
		}
		if got := (Tar{DataTar, 0, ext}).String(); got != c.want0 {
			t.Errorf("%s part 0 = %s, want %s", c.codec, got, c.want0)
		}
		if got := (Tar{DataTar, 2, ext}).String(); got != c.want2 {
			t.Errorf("%s part 2 = %s, want %s", c.codec, got, c.want2)
		}
		if Barman34ReadsTarExt(ext) != (c.codec != "lz4") {
			t.Errorf("Barman34ReadsTarExt(%q) wrong", ext)
		}
	}
	if _, err := TarExt("zstd"); err == nil || !strings.Contains(err.Error(), "gzip, bzip2, snappy, lz4 or none") {
		t.Errorf("TarExt(zstd) = %v", err)
	}
	for _, bad := range []string{"data", "data.tar.zst", "data_1.tar", "data_0000.tar", "data_00001.tar", "base.tar",
		"0.tar", "016385.tar", "4294967296.tar", "data.tar.gz.tmp", "data_+001.tar", "backup.info"} {
		if tar, err := ParseTar(bad); err == nil {
			t.Errorf("ParseTar(%q) = %+v, want an error", bad, tar)
		}
	}
}

func TestBaseKeys(t *testing.T) {
	l, _ := New("path/to", "pg-main")
	const id = "20240105T120000"
	if got := l.BackupInfoKey(id); got != "path/to/pg-main/base/20240105T120000/backup.info" {
		t.Errorf("BackupInfoKey = %s", got)
	}
	tar := Tar{TablespaceTar(16385), 1, ".gz"}
	if got := l.TarKey(id, tar); got != "path/to/pg-main/base/20240105T120000/16385_0001.tar.gz" {
		t.Errorf("TarKey = %s", got)
	}
	root, _ := New("", "s")
	if got := root.BasePrefix(); got != "s/base/" {
		t.Errorf("BasePrefix without a path = %s", got)
	}
	for key, want := range map[string]BaseKey{
		l.BackupInfoKey(id):                     {ID: id, Kind: BaseInfo, Rest: "backup.info"},
		l.TarKey(id, tar):                       {ID: id, Kind: BaseTar, Tar: tar, Rest: "16385_0001.tar.gz"},
		l.BackupPrefix(id) + "annotations/keep": {ID: id, Kind: BaseOther, Rest: "annotations/keep"},
	} {
		got, err := l.ParseBaseKey(key)
		if err != nil || got != want {
			t.Errorf("ParseBaseKey(%s) = %+v, %v; want %+v", key, got, err, want)
		}
	}
	for _, bad := range []string{"path/to/pg-main/wals/x", "path/to/pg-main/base/20240105T120000",
		"path/to/pg-main/base/20240105T120000/", "path/to/pg-main/base/backup-1/backup.info"} {
		if k, err := l.ParseBaseKey(bad); err == nil {
			t.Errorf("ParseBaseKey(%q) = %+v, want an error", bad, k)
		}
	}
}
