//go:build integration

package catalog

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/azurestore"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

const monthBucket = "backups"

// month is a simulated month of one server: a backup every day at now-d days-3h (d = 30 ... 0), ten
// minutes long; a failover from timeline 1 to 2 between d=16 and d=15 (with 00000002.history and the
// old timeline's .partial); a FAILED backup at d=10.5; four 16 MiB segments per day, gzip, and a .backup
// file per backup, as barman-cloud-wal-archive leaves them.
type month struct {
	now     time.Time
	backups []Backup // DONE ones, oldest first
	failed  Backup
}

const switchSeg = (30 - 15) * 4 // the first segment of timeline 2

func dayTLI(d int) uint32 {
	if d >= 16 {
		return 1
	}
	return 2
}

func newMonth(now time.Time) month {
	m := month{now: now}
	for d := 30; d >= 0; d-- {
		start := now.Add(-day(d) - 3*time.Hour)
		begin := uint64((30-d)*4 + 1)
		m.backups = append(m.backups, monthBackup(start, dayTLI(d), begin, StatusDone))
	}
	m.failed = monthBackup(now.Add(-day(10)-12*time.Hour), 2, uint64(20*4+3), StatusFailed)
	return m
}

func monthBackup(start time.Time, tli uint32, begin uint64, status string) Backup {
	id := layout.NewBackupID(start)
	info := exampleInfo()
	info.BackupName, info.Status, info.Timeline = "", status, Int(int64(tli))
	info.BeginTime, info.EndTime = start, start.Add(10*time.Minute)
	info.BeginWAL, info.EndWAL = walName(tli, begin), walName(tli, begin+1)
	info.BeginXLog = layout.FormatLSN(begin*seg16 + 40)
	info.EndXLog = layout.FormatLSN((begin+1)*seg16 + 312)
	info.BackupLabel = "START WAL LOCATION: " + info.BeginXLog + " (file " + info.BeginWAL + ")\nLABEL: Barman backup cloud " + id + "\n"
	if status == StatusFailed {
		info.EndTime, info.Error = time.Time{}, "failure uploading data (connection reset)"
	}
	return Backup{ID: id, Info: info}
}

func smallTar(t *testing.T) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: "./PG_VERSION", Mode: 0o600, Size: 3, ModTime: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("15\n"))
	tw.Close()
	return b.Bytes()
}

// write puts the month under l, every object with a conditional create as wal-archiver writes.
func (m month) write(t *testing.T, st store.Store, l layout.Layout) {
	ctx := context.Background()
	put := func(key string, body []byte) {
		if err := st.Create(ctx, key, bytes.NewReader(body), int64(len(body)), store.PutOptions{}); err != nil {
			t.Fatalf("writing %s: %v", key, err)
		}
	}
	data := smallTar(t)
	for _, b := range append(slices.Clone(m.backups), m.failed) {
		put(l.TarKey(b.ID, layout.Tar{Name: layout.DataTar}), data)
		put(l.BackupInfoKey(b.ID), Format(b.Info))
		if b.Info.Status == StatusDone {
			n := layout.SegmentName(uint32(*b.Info.Timeline), mustSegNo(t, b.Info.BeginWAL), seg16)
			n.Kind, n.Offset = layout.Backup, 0x28
			put(l.Key(n, ""), []byte("START WAL LOCATION: ...\n"))
		}
	}
	for s := uint64(0); s < 31*4; s++ {
		tli := uint32(1)
		if s >= switchSeg {
			tli = 2
		}
		put(l.Key(layout.SegmentName(tli, s, seg16), ".gz"), []byte("wal"))
	}
	put(l.Key(layout.SegmentName(1, switchSeg, seg16).AsPartial(), ".gz"), []byte("partial"))
	put(l.Key(layout.HistoryName(2), ""), []byte("1\t0/3C000000\tno recovery target specified\n"))
}

func mustSegNo(t *testing.T, name string) uint64 {
	n, err := layout.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return n.SegNo(seg16)
}

func barmanEnv(m *testservers.MinIO) []string {
	return append(os.Environ(), "AWS_ACCESS_KEY_ID="+m.AccessKey, "AWS_SECRET_ACCESS_KEY="+m.SecretKey,
		"AWS_DEFAULT_REGION="+m.Region, "TZ=UTC", "AWS_EC2_METADATA_DISABLED=true")
}

// barmanDryRun collects the keys of every "Skipping deletion of objects [...] due to --dry-run option"
// line, relative to rel.
func barmanDryRun(t *testing.T, out, rel string) []string {
	t.Helper()
	var keys []string
	for _, line := range strings.Split(out, "\n") {
		list, ok := strings.CutPrefix(line, "Skipping deletion of objects ")
		if !ok {
			continue
		}
		list, ok = strings.CutSuffix(list, " due to --dry-run option")
		if !ok {
			t.Fatalf("unexpected dry-run line %q", line)
		}
		v, err := parseLiteral(list)
		if err != nil {
			t.Fatalf("dry-run line %q: %v", line, err)
		}
		for _, k := range v.(List) {
			keys = append(keys, strings.TrimPrefix(k.(string), rel))
		}
	}
	slices.Sort(keys)
	return keys
}

func planKeys(p RetentionPlan, rel string) []string {
	var keys []string
	for _, d := range p.Deletions {
		for _, k := range append(slices.Clone(d.Objects), d.WAL...) {
			keys = append(keys, strings.TrimPrefix(k, rel))
		}
	}
	slices.Sort(keys)
	return keys
}

func listRel(t *testing.T, st store.Store, rel string) []string {
	t.Helper()
	objs, err := st.List(context.Background(), rel)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, strings.TrimPrefix(o.Key, rel))
	}
	return keys
}

func TestRetentionMonthAgreesWithBarman(t *testing.T) {
	side := minioSide(t, "month")
	st := side.st
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	mo := newMonth(now)
	ours, _ := layout.New("month", "ours")
	theirs, _ := layout.New("month", "barman")
	mo.write(t, st, ours)
	mo.write(t, st, theirs)
	relOurs, relTheirs := "month/ours/", "month/barman/"
	dest := side.dest
	const policy = "RECOVERY WINDOW OF 7 DAYS"

	// The same plan, dry: barman's printed object lists and ours.
	barmanPlan := barmanDryRun(t, side.run(t, "barman-cloud-backup-delete", "--retention-policy", policy, "--dry-run", dest, "barman"), relTheirs)
	dry, err := ApplyRetention(ctx, st, ours, Policy{7, 'd'}, time.Now(), RunOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := planKeys(dry.Plan, relOurs); !slices.Equal(got, barmanPlan) {
		t.Errorf("dry runs differ:\nours   (%d) %v\nbarman (%d) %v", len(got), got, len(barmanPlan), barmanPlan)
	}
	if len(barmanPlan) == 0 {
		t.Fatal("barman plans to delete nothing")
	}
	backups, wal := dry.Plan.Counts()
	t.Logf("both plan %d objects: %d backups and %d WAL objects", len(barmanPlan), backups, wal)

	// Applied for real, each on its own copy: the same objects remain.
	side.run(t, "barman-cloud-backup-delete", "--retention-policy", policy, dest, "barman")
	run, err := ApplyRetention(ctx, st, ours, Policy{7, 'd'}, time.Now(), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	left, leftBarman := listRel(t, st, relOurs), listRel(t, st, relTheirs)
	if !slices.Equal(left, leftBarman) {
		t.Errorf("after the runs the stores differ:\nours   %v\nbarman %v", left, leftBarman)
	}

	// Exactly the right ones remain: d = 7 ... 0 (d=7 ended before the window start and covers it), the
	// FAILED backup (never deleted), every WAL from d=7's begin_wal on, their .backup files and the
	// history file. Timeline 1 is gone: no backup is on it any more.
	var want []string
	kept := mo.backups[23:]
	for _, b := range append(slices.Clone(kept), mo.failed) {
		want = append(want, strings.TrimPrefix(ours.TarKey(b.ID, layout.Tar{Name: layout.DataTar}), relOurs),
			strings.TrimPrefix(ours.BackupInfoKey(b.ID), relOurs))
	}
	first := mustSegNo(t, kept[0].Info.BeginWAL)
	for s := first; s < 31*4; s++ {
		want = append(want, strings.TrimPrefix(ours.Key(layout.SegmentName(2, s, seg16), ".gz"), relOurs))
	}
	for _, b := range kept {
		n := layout.SegmentName(2, mustSegNo(t, b.Info.BeginWAL), seg16)
		n.Kind, n.Offset = layout.Backup, 0x28
		want = append(want, strings.TrimPrefix(ours.Key(n, ""), relOurs))
	}
	want = append(want, "wals/00000002.history")
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("remaining objects:\n%v\nwant\n%v", left, want)
	}
	if run.Applied.Backups != 23 || len(run.After.Backups) != 9 {
		t.Errorf("applied %+v, %d backups left", run.Applied, len(run.After.Backups))
	}

	// A restore to the window's start: it picks d=7, whose begin_wal and every later segment are kept.
	start := now.Add(-day(7))
	b, err := run.After.ByTargetTime(start)
	if err != nil || b.ID != kept[0].ID {
		t.Fatalf("ByTargetTime(window start) = %s, %v; want %s", b.ID, err, kept[0].ID)
	}
	for s := first; s < 31*4; s++ {
		if !slices.Contains(left, strings.TrimPrefix(ours.Key(layout.SegmentName(2, s, seg16), ".gz"), relOurs)) {
			t.Errorf("segment %s after the window start's backup is gone", walName(2, s))
		}
	}

	// barman-cloud-backup-list reads what remains, FAILED included, with our times.
	var list struct {
		Backups []map[string]any `json:"backups_list"`
	}
	out := side.run(t, "barman-cloud-backup-list", "--format", "json", dest, "ours")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("backup-list output: %v\n%s", err, out)
	}
	var ids []string
	for _, e := range list.Backups {
		ids = append(ids, e["backup_id"].(string))
		if e["backup_id"] == kept[0].ID && e["end_time"] != kept[0].Info.EndTime.Format("Mon Jan _2 15:04:05 2006") {
			t.Errorf("barman reads end_time %v, want %s", e["end_time"], kept[0].Info.EndTime)
		}
	}
	var wantIDs []string
	for _, b := range run.After.Backups {
		wantIDs = append(wantIDs, b.ID)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("barman-cloud-backup-list lists %v, want %v", ids, wantIDs)
	}
}

// barmanSide is a store and how barman-cloud reaches the same bucket or container.
type barmanSide struct {
	st   store.Store
	dest string   // destination URL of the path "sc"
	args []string // provider flags
	env  []string
}

func (b barmanSide) run(t *testing.T, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testservers.BarmanTool(t, tool), append(slices.Clone(b.args), args...)...)
	cmd.Env = b.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}

// minioSide is a MinIO bucket and barman's destination URL of path in it.
func minioSide(t *testing.T, path string) barmanSide {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, monthBucket)
	st, err := s3store.New(context.Background(), s3store.Config{Bucket: monthBucket, Endpoint: m.URL,
		Credentials: &s3store.Credentials{AccessKeyID: m.AccessKey, SecretAccessKey: m.SecretKey}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return barmanSide{st: st, dest: "s3://" + monthBucket + "/" + path, args: []string{"--endpoint-url", m.URL}, env: barmanEnv(m)}
}

// azuriteSide is an Azurite container and barman's destination URL of path in it.
func azuriteSide(t *testing.T, path string) barmanSide {
	a := testservers.StartAzurite(t)
	a.CreateContainer(t, monthBucket)
	st, err := azurestore.New(azurestore.Config{Container: monthBucket, ConnectionString: a.ConnectionString(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	// barman takes an emulator URL as <endpoint>/<account>/<container>/<path> with a connection string.
	return barmanSide{st: st, dest: a.BlobEndpoint + "/" + monthBucket + "/" + path, args: []string{"--cloud-provider", "azure-blob-storage"},
		env: append(os.Environ(), "AZURE_STORAGE_CONNECTION_STRING="+a.ConnectionString(), "TZ=UTC")}
}

// TestRetentionScenariosAgreeWithBarman runs barman-cloud-backup-delete --dry-run and our plan on variants
// of the month, on MinIO and on Azurite, that exercise the rest of barman's rules: keep annotations (full and standalone), a FAILED
// backup on the old timeline (whose timeline then protects its WAL), no backup inside the window, other
// window lengths.
func TestRetentionScenariosAgreeWithBarman(t *testing.T) {
	for name, side := range map[string]func(*testing.T, string) barmanSide{"s3": minioSide, "azure": azuriteSide} {
		t.Run(name, func(t *testing.T) { scenarios(t, side(t, "sc")) })
	}
}

func scenarios(t *testing.T, side barmanSide) {
	st := side.st
	now := time.Now().UTC().Truncate(time.Second)
	base := newMonth(now)
	failedTL1 := base
	failedTL1.failed = monthBackup(now.Add(-day(20)-12*time.Hour), 1, uint64(10*4+3), StatusFailed)
	old := base
	old.backups = base.backups[:21] // d = 30 ... 10: every backup ended before a 7-day window
	for _, sc := range []struct {
		name   string
		mo     month
		keep   map[int]string // index into mo.backups → annotation content
		policy Policy
	}{
		{"keeps", base, map[int]string{5: KeepFull, 10: KeepStandalone}, Policy{7, 'd'}},
		{"standalones", base, map[int]string{2: KeepStandalone, 6: KeepStandalone}, Policy{7, 'd'}},
		{"failedtl1", failedTL1, nil, Policy{7, 'd'}},
		{"allold", old, nil, Policy{7, 'd'}},
		{"twoweeks", base, nil, Policy{2, 'w'}},
		{"threeweeks", base, nil, Policy{3, 'w'}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			l, _ := layout.New("sc", sc.name)
			sc.mo.write(t, st, l)
			for i, content := range sc.keep {
				body := []byte(content)
				key := l.BackupPrefix(sc.mo.backups[i].ID) + "annotations/keep"
				if err := st.Create(context.Background(), key, bytes.NewReader(body), int64(len(body)), store.PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			rel := "sc/" + sc.name + "/"
			theirs := barmanDryRun(t, side.run(t, "barman-cloud-backup-delete", "--retention-policy", sc.policy.String(),
				"--dry-run", side.dest, sc.name), rel)
			run, err := ApplyRetention(context.Background(), st, l, sc.policy, time.Now(), RunOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			ours := planKeys(run.Plan, rel)
			if !slices.Equal(ours, theirs) {
				t.Fatalf("plans differ:\nours   (%d) %v\nbarman (%d) %v", len(ours), ours, len(theirs), theirs)
			}
			backups, wal := run.Plan.Counts()
			t.Logf("%s: both delete %d backups and %d WAL objects", sc.name, backups, wal)
		})
	}
}
