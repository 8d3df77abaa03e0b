package catalog

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// barmanExample is the backup.info of barman-base-backup.md §2.3, which barman 3.4's BackupInfo.load and
// save reproduce byte for byte (the integration test checks that against barman itself).
const barmanExample = `backup_label='START WAL LOCATION: 0/6000028 (file 000000010000000000000006)\nCHECKPOINT LOCATION: 0/6000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2024-01-05 12:00:00 UTC\nLABEL: Barman backup cloud 20240105T120000\nSTART TIMELINE: 1\n'
backup_name=backup-20240105120000
begin_offset=40
begin_time=2024-01-05 12:00:00.512345+00:00
begin_wal=000000010000000000000006
begin_xlog=0/6000028
compression=None
config_file=/var/lib/postgresql/data/pgdata/postgresql.conf
copy_stats={'total_time': 8.4, 'number_of_workers': 2, 'analysis_time': 0, 'analysis_time_per_item': {'data': 0}, 'copy_time_per_item': {'data': 7.9}, 'serialized_copy_time_per_item': {'data': 6.1}, 'copy_time': 7.9, 'serialized_copy_time': 6.1}
deduplicated_size=None
end_offset=312
end_time=2024-01-05 12:00:09.101112+00:00
end_wal=000000010000000000000006
end_xlog=0/6000138
error=None
hba_file=/var/lib/postgresql/data/pgdata/pg_hba.conf
ident_file=/var/lib/postgresql/data/pgdata/pg_ident.conf
included_files=['/var/lib/postgresql/data/pgdata/custom.conf', '/var/lib/postgresql/data/pgdata/override.conf']
mode=None
pgdata=/var/lib/postgresql/data/pgdata
server_name=cloud
size=None
status=DONE
systemid=7320000000000000001
tablespaces=None
timeline=1
version=150018
xlog_segment_size=16777216
`

func exampleInfo() Info {
	return Info{
		BackupLabel: "START WAL LOCATION: 0/6000028 (file 000000010000000000000006)\nCHECKPOINT LOCATION: 0/6000060\n" +
			"BACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2024-01-05 12:00:00 UTC\n" +
			"LABEL: Barman backup cloud 20240105T120000\nSTART TIMELINE: 1\n",
		BackupName:  "backup-20240105120000",
		BeginOffset: Int(40),
		BeginTime:   time.Date(2024, 1, 5, 12, 0, 0, 512345000, time.UTC),
		BeginWAL:    "000000010000000000000006",
		BeginXLog:   "0/6000028",
		ConfigFile:  "/var/lib/postgresql/data/pgdata/postgresql.conf",
		CopyStats: Dict{{"total_time", 8.4}, {"number_of_workers", int64(2)}, {"analysis_time", int64(0)},
			{"analysis_time_per_item", Dict{{"data", int64(0)}}}, {"copy_time_per_item", Dict{{"data", 7.9}}},
			{"serialized_copy_time_per_item", Dict{{"data", 6.1}}}, {"copy_time", 7.9}, {"serialized_copy_time", 6.1}},
		EndOffset: Int(312),
		EndTime:   time.Date(2024, 1, 5, 12, 0, 9, 101112000, time.UTC),
		EndWAL:    "000000010000000000000006",
		EndXLog:   "0/6000138",
		HBAFile:   "/var/lib/postgresql/data/pgdata/pg_hba.conf",
		IdentFile: "/var/lib/postgresql/data/pgdata/pg_ident.conf",
		IncludedFiles: []string{"/var/lib/postgresql/data/pgdata/custom.conf",
			"/var/lib/postgresql/data/pgdata/override.conf"},
		PGData:          "/var/lib/postgresql/data/pgdata",
		ServerName:      ServerName,
		Status:          StatusDone,
		SystemID:        "7320000000000000001",
		Timeline:        Int(1),
		Version:         Int(150018),
		XLogSegmentSize: Int(16777216),
	}
}

func TestFormatIsBarmansFile(t *testing.T) {
	if got := string(Format(exampleInfo())); got != barmanExample {
		t.Errorf("Format differs from barman's file:\n%s", lineDiff(got, barmanExample))
	}
	info, err := Parse([]byte(barmanExample))
	if err != nil {
		t.Fatal(err)
	}
	if want := exampleInfo(); !reflect.DeepEqual(info, want) {
		t.Errorf("Parse(barman's file) =\n%+v\nwant\n%+v", info, want)
	}
}

func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var out []string
	for i := 0; i < max(len(g), len(w)); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			out = append(out, "got:  "+a, "want: "+b)
		}
	}
	return strings.Join(out, "\n")
}

// b34Keys is every Field of barman 3.4's BackupInfo but the two it hides when unset.
var b34Keys = []string{"backup_label", "begin_offset", "begin_time", "begin_wal", "begin_xlog", "compression",
	"config_file", "copy_stats", "deduplicated_size", "end_offset", "end_time", "end_wal", "end_xlog", "error",
	"hba_file", "ident_file", "included_files", "mode", "pgdata", "server_name", "size", "status", "systemid",
	"tablespaces", "timeline", "version", "xlog_segment_size"}

func keysOf(t *testing.T, content []byte) []string {
	t.Helper()
	var keys []string
	for _, line := range strings.Split(strings.TrimSuffix(string(content), "\n"), "\n") {
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("line %q has no =", line)
		}
		keys = append(keys, k)
	}
	return keys
}

func TestFormatWritesExactlyTheB34Keys(t *testing.T) {
	empty := Format(Info{Newer: map[string]string{"cluster_size": "1", "data_checksums": "on"}})
	if got := keysOf(t, empty); !slices.Equal(got, b34Keys) {
		t.Errorf("keys of an empty Info = %v, want %v", got, b34Keys)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(empty)), "\n") {
		if !strings.HasSuffix(line, "=None") {
			t.Errorf("unset value written as %q, want None", line)
		}
	}
	full := exampleInfo()
	full.SnapshotsInfo = "{'provider': 'gcp'}"
	want := slices.Sorted(slices.Values(append(slices.Clone(b34Keys), "backup_name", "snapshots_info")))
	if got := keysOf(t, Format(full)); !slices.Equal(got, want) {
		t.Errorf("keys of a full Info = %v, want %v", got, want)
	}
	// barman's null_repr writes None for an empty string, list or dict too.
	e := Info{BackupLabel: "", IncludedFiles: []string{}, CopyStats: Dict{}, Tablespaces: []Tablespace{}}
	if got := string(Format(e)); got != string(empty) {
		t.Errorf("empty collections are not None:\n%s", lineDiff(got, string(empty)))
	}
}

func TestFormatValues(t *testing.T) {
	i := Info{
		BeginTime:   time.Date(2024, 1, 5, 13, 0, 0, 0, time.FixedZone("CET", 3600)),
		EndTime:     time.Date(2024, 1, 5, 12, 0, 9, 1999, time.UTC), // below a microsecond is cut, as Python holds µs
		Tablespaces: []Tablespace{{"tbs1", 16385, "/var/lib/postgresql/tablespaces/tbs1/data"}, {"it's", 4294967295, `C:\x`}},
		Error:       "failure uploading data (connection reset)\nTraceback ...",
		BackupName:  "  ",
		EndOffset:   Int(0),
	}
	got := string(Format(i))
	for _, want := range []string{
		"\nbegin_time=2024-01-05 12:00:00+00:00\n",
		"\nend_time=2024-01-05 12:00:09.000001+00:00\n",
		`tablespaces=[('tbs1', 16385, '/var/lib/postgresql/tablespaces/tbs1/data'), ("it's", 4294967295, 'C:\\x')]`,
		"\nerror=failure uploading data (connection reset) Traceback ...\n",
		"\nend_offset=0\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Format lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "backup_name") {
		t.Errorf("a blank backup_name is written:\n%s", got)
	}
}

func TestPythonRepr(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{"plain", `'plain'`},
		{"it's", `"it's"`},
		{`it's "x"`, `'it\'s "x"'`},
		{"tab\tnl\ncr\r\x00\x1f\x7f\\", `'tab\tnl\ncr\r\x00\x1f\x7f\\'`},
		{"é€😀", `'é€😀'`},
		{"\u00a0\u0085\u200b\U000e0001", `'\xa0\x85\u200b\U000e0001'`},
		{8.4, "8.4"},
		{1.0, "1.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1e16, "1e+16"},
		{1234567890123456.0, "1234567890123456.0"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1.5e-300, "1.5e-300"},
		{math.Inf(1), "1e999"},
		{int64(-3), "-3"},
		{Tuple{"a"}, "('a',)"},
		{Tuple{}, "()"},
		{List{true, false, nil}, "[True, False, None]"},
		{Dict{{"b", int64(1)}, {"a", Dict{}}}, "{'b': 1, 'a': {}}"},
	} {
		if got := repr(c.in); got != c.want {
			t.Errorf("repr(%#v) = %s, want %s", c.in, got, c.want)
		}
		v, err := parseLiteral(c.want)
		if err != nil {
			t.Errorf("parseLiteral(%s): %v", c.want, err)
			continue
		}
		if f, ok := c.in.(float64); ok && math.Signbit(f) != math.Signbit(v.(float64)) {
			t.Errorf("parseLiteral(%s) lost the sign", c.want)
		}
		if !reflect.DeepEqual(v, c.in) {
			t.Errorf("parseLiteral(%s) = %#v, want %#v", c.want, v, c.in)
		}
	}
}

func TestParseLiteralForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want any
	}{
		{`"a" 'b' u"c" r'\n'`, `abc\n`},
		{`'''x'y'''`, "x'y"},
		{`'\x41\u00e9\U0001F600\101\q'`, `Aé😀A\q`},
		{`( 'x' )`, "x"},
		{`('x' ,)`, Tuple{"x"}},
		{`[1, 2,]`, List{int64(1), int64(2)}},
		{`{'a': 1, 'a': 2, 'b': 3}`, Dict{{"a", int64(2)}, {"b", int64(3)}}},
		{`- 1_000`, int64(-1000)},
		{`+2.5e3`, 2500.0},
		{`00`, int64(0)},
	} {
		got, err := parseLiteral(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseLiteral(%s) = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{``, `'unterminated`, `[1, 2`, `{'a' 1}`, `{1: 2}`, `open('x')`, `1 2`,
		`--1`, `01`, `1__0`, `99999999999999999999`, `'\ud800'`, `'\x4'`, `b'bytes'`, `'\N{DASH}'`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100), `[,]`, `(,)`} {
		if v, err := parseLiteral(bad); err == nil {
			t.Errorf("parseLiteral(%s) = %#v, want an error", bad, v)
		}
	}
}

func TestParseIsAsTolerantAsBarman(t *testing.T) {
	content := "# written by hand\n\n  \r\nstatus = DONE \r\nbegin_time=2024-01-05T12:00:00Z\n" +
		"end_time=2024-01-05 13:00:00.5+01:00\ntimeline=1\ntimeline=2\nversion=None\n" +
		"backup_name=a=b\ncluster_size=123\ndata_checksums=on\nsystemid=7320000000000000001"
	info, err := Parse([]byte(content))
	if err != nil {
		t.Fatal(err)
	}
	want := Info{
		Status:     StatusDone,
		BeginTime:  time.Date(2024, 1, 5, 12, 0, 0, 0, time.UTC),
		EndTime:    time.Date(2024, 1, 5, 12, 0, 0, 500000000, time.UTC),
		Timeline:   Int(2),
		BackupName: "a=b",
		SystemID:   "7320000000000000001",
		Newer:      map[string]string{"cluster_size": "123", "data_checksums": "on"},
	}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("Parse = %+v\nwant %+v", info, want)
	}
	if !info.Done() || (Info{BeginTime: want.BeginTime}).Done() {
		t.Error("Done must mean both times set")
	}
	// A naive time is UTC (barman: the reader's local zone, UTC in CloudNativePG's pods).
	if tm, err := ParseTime("2024-01-05 12:00:00"); err != nil || !tm.Equal(want.BeginTime) {
		t.Errorf("naive time = %v, %v", tm, err)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ content, want string }{
		{"status=DONE\nno equals sign\n", `line 2 "no equals sign": expected key=value`},
		{"status=DONE\n  # indented comments are not comments to barman\n", "line 2"},
		{"\n\ntimeline=one\n", `line 3 (timeline): "one" is not an integer`},
		{"begin_time=yesterday\n", `line 1 (begin_time): time "yesterday": expected the form 2024-01-05 12:00:00.512345+00:00`},
		{"begin_time=2024-02-30 12:00:00\n", "line 1 (begin_time): time \"2024-02-30 12:00:00\" is not a valid date"},
		{"backup_label=__import__('os')\n", `line 1 (backup_label): Python literal, column 1: "__import__" is not a literal`},
		{"backup_label=1\n", "line 1 (backup_label): expected a string literal, found an int"},
		{"tablespaces=[('tbs', 'x', '/l')]\n", "line 1 (tablespaces): tablespace 1: expected a tuple"},
		{"tablespaces=[('tbs', 1, '/l'), 2]\n", "line 1 (tablespaces): tablespace 2: expected a tuple"},
		{"included_files=['a', 2]\n", "line 1 (included_files): item 2: expected a string, found an int"},
		{"copy_stats=[1]\n", "line 1 (copy_stats): expected a dict literal, found a list"},
		{"Status=DONE\n", `line 1 (Status): "Status" is not a backup.info key`},
		{"=x\n", `line 1 (): "" is not a backup.info key`},
		{"status=\xff\n", "line 1 is not UTF-8"},
	} {
		_, err := Parse([]byte(c.content))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", c.content, err, c.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	i := exampleInfo()
	i.Tablespaces = []Tablespace{{"tbs1", 16385, "/t/1"}, {"tbs2", 16386, "/t/2"}}
	i.Status, i.Error, i.EndTime = StatusFailed, "failure stopping backup (x)", time.Time{}
	i.SnapshotsInfo = "{'provider': 'gcp', 'snapshots': []}"
	i.DeduplicatedSize, i.Size = Int(10), Int(-1)
	got, err := Parse(Format(i))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, i) {
		t.Errorf("Parse(Format(x)) =\n%+v\nwant\n%+v", got, i)
	}
}
