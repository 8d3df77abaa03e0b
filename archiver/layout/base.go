package layout

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BackupIDLayout is barman's backup ID, strftime("%Y%m%dT%H%M%S"). barman uses the local time of the host
// running barman-cloud-backup; we use UTC, which is the local time of CloudNativePG's pods.
const BackupIDLayout = "20060102T150405"

// BackupInfoName is the object that makes a backup visible; it is written last.
const BackupInfoName = "backup.info"

// DataTar is the base name of PGDATA's tar; a tablespace's is its OID in decimal.
const DataTar = "data"

// NewBackupID is the ID of a backup started at t.
func NewBackupID(t time.Time) string { return t.UTC().Format(BackupIDLayout) }

// UniqueBackupID is NewBackupID(t), moved on by a second at a time while taken reports it in use: backups
// are told apart by the second only.
func UniqueBackupID(t time.Time, taken func(id string) bool) string {
	t = t.UTC().Truncate(time.Second)
	for taken(NewBackupID(t)) {
		t = t.Add(time.Second)
	}
	return NewBackupID(t)
}

// ParseBackupID checks that id is what barman recognises as an ID (re.match(r"(\d{8})T\d{6}$")) and a
// real date and time, and returns that time in UTC. Anything else is a backup name to barman, and the
// catalog sorts IDs as strings, so only this exact form may name a backup directory.
func ParseBackupID(id string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("backup ID %q %s; expected YYYYMMDDTHHMMSS in UTC, e.g. 20240105T120000", clipID(id), why)
	}
	if len(id) != len(BackupIDLayout) || id[8] != 'T' {
		return bad("is not 8 digits, T, 6 digits")
	}
	for k, c := range []byte(id) {
		if k != 8 && (c < '0' || c > '9') {
			return bad("is not 8 digits, T, 6 digits")
		}
	}
	t, err := time.Parse(BackupIDLayout, id)
	if err != nil {
		return bad("is not a real date and time")
	}
	return t, nil
}

func clipID(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// TarExt is the suffix barman-cloud-backup gives a tar compressed with codec (the data.compression value):
// ".gz", ".bz2", ".snappy"; "" for none. lz4 (barman 3.18's --lz4) gets ".lz4", the suffix barman gives
// lz4 WAL and the lz4 tool's own; barman 3.4 to 3.17 skip such a file ("Skipping unknown extension"),
// so a backup in lz4 is restorable only by wal-archiver and barman >= 3.18.
func TarExt(codec string) (string, error) {
	switch codec {
	case "", "none":
		return "", nil
	case "gzip":
		return ".gz", nil
	case "bzip2":
		return ".bz2", nil
	case "snappy":
		return ".snappy", nil
	case "lz4":
		return ".lz4", nil
	}
	return "", fmt.Errorf("base backup compression %q is not one barman-cloud writes; use gzip, bzip2, snappy, lz4 or none", codec)
}

// Barman34ReadsTarExt reports whether barman-cloud-restore 3.4 recognises a tar with suffix ext.
func Barman34ReadsTarExt(ext string) bool {
	return ext == "" || ext == ".gz" || ext == ".bz2" || ext == ".snappy"
}

var tarExts = []string{".gz", ".bz2", ".snappy", ".lz4"}

// Tar names one part of one tar of a backup: Name is DataTar or a tablespace OID, Part 0 the main file
// and 1, 2... the extra parts barman starts when a tar exceeds --max-archive-size, Ext the codec suffix.
type Tar struct {
	Name string
	Part int
	Ext  string
}

// TablespaceTar is the base name of the tar of the tablespace with oid.
func TablespaceTar(oid uint32) string { return strconv.FormatUint(uint64(oid), 10) }

// String is the object name: data.tar, data_0001.tar.gz, 16385.tar.bz2.
func (t Tar) String() string {
	s := t.Name
	if t.Part > 0 {
		s += fmt.Sprintf("_%04d", t.Part)
	}
	return s + ".tar" + t.Ext
}

// ParseTar reads an object name written by Tar.String.
func ParseTar(name string) (Tar, error) {
	bad := func(why string) (Tar, error) {
		return Tar{}, fmt.Errorf("%q is not a base backup tar (%s); expected data.tar, data_0001.tar or <oid>.tar, "+
			"optionally with .gz, .bz2, .snappy or .lz4", clipID(name), why)
	}
	base, ext, ok := strings.Cut(name, ".tar")
	if !ok {
		return bad("no .tar")
	}
	if ext != "" && !contains(tarExts, ext) {
		return bad("unknown compression suffix " + strconv.Quote(ext))
	}
	t := Tar{Name: base, Ext: ext}
	if n, part, ok := strings.Cut(base, "_"); ok {
		num, err := strconv.Atoi(part)
		if err != nil || num < 1 || fmt.Sprintf("%04d", num) != part {
			return bad("the part number is not 0001 or more")
		}
		t.Name, t.Part = n, num
	}
	if t.Name != DataTar {
		oid, err := strconv.ParseUint(t.Name, 10, 32)
		if err != nil || oid == 0 || TablespaceTar(uint32(oid)) != t.Name {
			return bad("neither data nor a tablespace OID")
		}
	}
	return t, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// BasePrefix is the key prefix of every backup of the server: <prefix>/<server>/base/.
func (l Layout) BasePrefix() string {
	if l.Prefix == "" {
		return l.ServerName + "/base/"
	}
	return l.Prefix + "/" + l.ServerName + "/base/"
}

// BackupPrefix is the key prefix of the objects of backup id, ending in a slash.
func (l Layout) BackupPrefix(id string) string { return l.BasePrefix() + id + "/" }

// BackupInfoKey is the key of backup id's backup.info.
func (l Layout) BackupInfoKey(id string) string { return l.BackupPrefix(id) + BackupInfoName }

// TarKey is the key of one tar part of backup id.
func (l Layout) TarKey(id string, t Tar) string { return l.BackupPrefix(id) + t.String() }

// BaseObject is what a key under BasePrefix is.
type BaseObject int

// The kinds of object barman-cloud keeps under base/<id>/.
const (
	BaseOther BaseObject = iota // anything else (annotations/keep, a snapshot's backup_label, strangers)
	BaseInfo                    // backup.info
	BaseTar                     // a data or tablespace tar part
)

// BaseKey is a parsed key under BasePrefix.
type BaseKey struct {
	ID   string
	Kind BaseObject
	Tar  Tar // when Kind is BaseTar
	Rest string
}

// ParseBaseKey splits a key under BasePrefix into the backup ID and what the object is. Keys outside the
// prefix, and directories whose name is not a backup ID (barman would take them for one and fail), are
// errors.
func (l Layout) ParseBaseKey(key string) (BaseKey, error) {
	rest, ok := strings.CutPrefix(key, l.BasePrefix())
	if !ok {
		return BaseKey{}, fmt.Errorf("key %q is not under %q", key, l.BasePrefix())
	}
	id, name, ok := strings.Cut(rest, "/")
	if !ok || name == "" {
		return BaseKey{}, fmt.Errorf("key %q is not inside a backup directory %s<id>/", key, l.BasePrefix())
	}
	if _, err := ParseBackupID(id); err != nil {
		return BaseKey{}, fmt.Errorf("key %q: %w", key, err)
	}
	k := BaseKey{ID: id, Rest: name}
	if name == BackupInfoName {
		k.Kind = BaseInfo
	} else if t, err := ParseTar(name); err == nil {
		k.Kind, k.Tar = BaseTar, t
	}
	return k, nil
}
