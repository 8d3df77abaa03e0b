package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/memstore"
)

var (
	testLayout, _ = layout.New("p", "srv")
	now           = time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	seg16         = uint64(layout.DefaultSegmentSize)
)

func walName(tli uint32, segno uint64) string { return layout.SegmentName(tli, segno, seg16).String() }

func walKey(tli uint32, segno uint64) string {
	return testLayout.Key(layout.SegmentName(tli, segno, seg16), ".gz")
}

// backup is a DONE backup that began at now+ago and lasted an hour, on timeline tli, from segment begin.
func backup(ago time.Duration, tli uint32, begin uint64) Backup {
	start := now.Add(ago)
	id := layout.NewBackupID(start)
	return Backup{ID: id, Info: Info{Status: StatusDone, BeginTime: start, EndTime: start.Add(time.Hour),
		BeginWAL: walName(tli, begin), EndWAL: walName(tli, begin+1), Timeline: Int(int64(tli))},
		Tars: []string{testLayout.TarKey(id, layout.Tar{Name: layout.DataTar, Ext: ".gz"})}}
}

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func catalogOf(bs ...Backup) Catalog {
	slices.SortFunc(bs, func(a, b Backup) int { return strings.Compare(a.ID, b.ID) })
	return Catalog{Layout: testLayout, Backups: bs}
}

func statuses(p RetentionPlan) map[string]string {
	m := map[string]string{}
	for _, v := range p.Report {
		m[v.ID] = v.Status
	}
	return m
}

func deletedIDs(p RetentionPlan) []string {
	var out []string
	for _, d := range p.Deletions {
		out = append(out, d.ID)
	}
	return out
}

func deletedWAL(p RetentionPlan) []string {
	var out []string
	for _, d := range p.Deletions {
		out = append(out, d.WAL...)
	}
	slices.Sort(out)
	return out
}

func mustPlan(t *testing.T, policy string, c Catalog, wal []string, opts PlanOptions) RetentionPlan {
	t.Helper()
	pol, err := ParsePolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Plan(pol, now, c, wal, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanKeepsTheWindowAndTheBackupBeforeIt(t *testing.T) {
	var bs []Backup
	for i := 0; i < 10; i++ { // days -10 ... -1, backup i begins at segment 3i+1
		bs = append(bs, backup(-day(10-i), 1, uint64(3*i+1)))
	}
	var wal []string
	for s := uint64(0); s < 31; s++ {
		wal = append(wal, walKey(1, s))
	}
	backupFile := func(s uint64) string {
		n := layout.SegmentName(1, s, seg16)
		n.Kind, n.Offset = layout.Backup, 0x28
		return testLayout.Key(n, "")
	}
	wal = append(wal, testLayout.Key(layout.HistoryName(2), ""), backupFile(1), backupFile(7),
		testLayout.WALPrefix()+"0000000100000000/README", testLayout.Key(layout.SegmentName(1, 2, seg16).AsPartial(), ".zst"))
	p := mustPlan(t, "7d", catalogOf(bs...), wal, PlanOptions{})

	if want := now.Add(-day(7)); !p.WindowStart.Equal(want) {
		t.Errorf("window start %v, want %v", p.WindowStart, want)
	}
	st := statuses(p)
	for i, b := range bs {
		want := Valid // day -8 ended before the window start and covers it; -7 ... -1 ended inside
		if i < 2 {
			want = Obsolete
		}
		if st[b.ID] != want {
			t.Errorf("backup %d (%s) = %s, want %s", i, b.ID, st[b.ID], want)
		}
	}
	if got, want := deletedIDs(p), []string{bs[0].ID, bs[1].ID}; !slices.Equal(got, want) {
		t.Errorf("deleted %v, want oldest first %v", got, want)
	}
	if d := p.Deletions[0]; !slices.Equal(d.Objects, []string{bs[0].Tars[0], testLayout.BackupInfoKey(bs[0].ID)}) {
		t.Errorf("objects of the first deletion %v: want its tar, then backup.info", d.Objects)
	}
	// Segments before bs[2]'s begin_wal (7) go, with the .backup file of segment 1 and the .partial of 2;
	// the history file, segment 7's .backup file and the stranger stay.
	var want []string
	for s := uint64(0); s < 7; s++ {
		want = append(want, walKey(1, s))
	}
	want = append(want, backupFile(1), testLayout.Key(layout.SegmentName(1, 2, seg16).AsPartial(), ".zst"))
	slices.Sort(want)
	if got := deletedWAL(p); !slices.Equal(got, want) {
		t.Errorf("deleted WAL\n%v\nwant\n%v", got, want)
	}
	if p.Deletions[0].WAL[len(p.Deletions[0].WAL)-1] != walKey(1, 3) {
		t.Errorf("the first deletion frees WAL up to bs[1]'s begin_wal only: %v", p.Deletions[0].WAL)
	}
	text := strings.Join(p.Lines(), "\n")
	for _, s := range []string{"RECOVERY WINDOW OF 7 DAYS", "backup " + bs[2].ID + " VALID: the newest backup that ended before the window start",
		"delete backup " + bs[0].ID, "delete 3 WAL objects freed by backup " + bs[1].ID + ": WAL before " + walName(1, 7)} {
		if !strings.Contains(text, s) {
			t.Errorf("plan text lacks %q:\n%s", s, text)
		}
	}
}

func TestPlanTimelines(t *testing.T) {
	a, b := backup(-day(20), 1, 1), backup(-day(15), 1, 5)
	c, d := backup(-day(10), 2, 9), backup(-day(1), 2, 15)
	var wal []string
	for s := uint64(0); s <= 10; s++ {
		wal = append(wal, walKey(1, s))
	}
	for s := uint64(8); s <= 20; s++ {
		wal = append(wal, walKey(2, s))
	}
	wal = append(wal, testLayout.Key(layout.HistoryName(2), ""))
	p := mustPlan(t, "RECOVERY WINDOW OF 1 WEEK", catalogOf(a, b, c, d), wal, PlanOptions{})
	if got, want := deletedIDs(p), []string{a.ID, b.ID}; !slices.Equal(got, want) {
		t.Fatalf("deleted %v, want %v", got, want)
	}
	// Deleting a: up to b's begin_wal on timeline 1; timeline 2 is protected (c and d are on it).
	var wantA []string
	for s := uint64(0); s < 5; s++ {
		wantA = append(wantA, walKey(1, s))
	}
	if !slices.Equal(p.Deletions[0].WAL, wantA) || !strings.Contains(p.Deletions[0].WALReason, "except timelines 2") {
		t.Errorf("WAL freed by a: %v (%s), want %v", p.Deletions[0].WAL, p.Deletions[0].WALReason, wantA)
	}
	// Deleting b: up to c's begin_wal 000000020000000000000009, compared as a string: the rest of timeline
	// 1 and timeline 2's segment 8; never the history file.
	var wantB []string
	for s := uint64(5); s <= 10; s++ {
		wantB = append(wantB, walKey(1, s))
	}
	wantB = append(wantB, walKey(2, 8))
	if !slices.Equal(p.Deletions[1].WAL, wantB) {
		t.Errorf("WAL freed by b: %v, want %v", p.Deletions[1].WAL, wantB)
	}
}

func TestPlanStatusesAndKeeps(t *testing.T) {
	k, x := backup(-day(20), 1, 1), backup(-day(15), 1, 5)
	f := backup(-day(14), 1, 7)
	f.Info.Status, f.Info.EndTime = StatusFailed, time.Time{}
	y, z := backup(-day(12), 1, 9), backup(-day(1), 1, 20)
	noEnd := backup(-day(30), 1, 0)
	noEnd.Info.EndTime = time.Time{}
	var wal []string
	for s := uint64(0); s < 22; s++ {
		wal = append(wal, walKey(1, s))
	}

	k.Keep = KeepFull
	p := mustPlan(t, "7d", catalogOf(noEnd, k, x, f, y, z), wal, PlanOptions{})
	st := statuses(p)
	want := map[string]string{noEnd.ID: NotCounted, k.ID: KeptFull, x.ID: Obsolete, f.ID: NotCounted, y.ID: Valid, z.ID: Valid}
	for id, w := range want {
		if st[id] != w {
			t.Errorf("%s = %s, want %s", id, st[id], w)
		}
	}
	if got := deletedIDs(p); !slices.Equal(got, []string{x.ID}) {
		t.Errorf("deleted %v, want only %s", got, x.ID)
	}
	if d := p.Deletions[0]; len(d.WAL) != 0 || !strings.Contains(d.WALReason, "the older backup "+k.ID+" needs it") {
		t.Errorf("a keep:full older backup must keep all WAL: %v (%s)", d.WAL, d.WALReason)
	}

	// A standalone keep protects only its own range [begin_wal, end_wal] (segments 1 and 2); everything
	// else before y's begin_wal (9; the FAILED backup f is not a "next backup") goes.
	k.Keep = KeepStandalone
	p = mustPlan(t, "7d", catalogOf(k, x, f, y, z), wal, PlanOptions{})
	var wantWAL []string
	for s := uint64(0); s < 9; s++ {
		if s != 1 && s != 2 {
			wantWAL = append(wantWAL, walKey(1, s))
		}
	}
	if got := deletedWAL(p); !slices.Equal(got, wantWAL) {
		t.Errorf("with a standalone keep, deleted WAL %v, want %v", got, wantWAL)
	}
}

func TestPlanNeverDeletesTheNewestDone(t *testing.T) {
	a, b, c := backup(-day(90), 1, 1), backup(-day(60), 1, 5), backup(-day(40), 1, 9)
	p := mustPlan(t, "1m", catalogOf(a, b, c), nil, PlanOptions{})
	if got := deletedIDs(p); !slices.Equal(got, []string{a.ID, b.ID}) {
		t.Errorf("deleted %v, want all but the newest (%s), which covers the window start", got, c.ID)
	}
	if st := statuses(p); st[c.ID] != Valid {
		t.Errorf("newest = %s", st[c.ID])
	}
	// A month is 31 days: a backup that ended 30.5 days ago is inside "1m", one that ended 31.5 days ago
	// is not.
	in, out := backup(-day(31)+12*time.Hour-time.Hour, 1, 1), backup(-day(32)+12*time.Hour-time.Hour, 1, 0)
	p = mustPlan(t, "1m", catalogOf(out, in, backup(-day(1), 1, 9)), nil, PlanOptions{})
	if st := statuses(p); st[in.ID] != Valid || st[out.ID] != Valid || !strings.Contains(p.Report[1].Reason, "inside") {
		t.Errorf("31-day month: %v %+v", st, p.Report)
	}
}

func TestPlanRefusesAnUnreadableCatalog(t *testing.T) {
	c := catalogOf(backup(-day(20), 1, 1), backup(-day(1), 1, 5))
	c.Unreadable = []Dir{{ID: "20240110T000000", Err: errors.New("line 3: bad")}}
	_, err := Plan(Policy{7, 'd'}, now, c, nil, PlanOptions{})
	if !errors.Is(err, ErrUnreadableCatalog) || !strings.Contains(err.Error(), "20240110T000000 (line 3: bad)") {
		t.Errorf("Plan with an unreadable backup: %v", err)
	}
}

func TestPlanAndBackupsInProgress(t *testing.T) {
	a, b, c := backup(-day(20), 1, 1), backup(-day(10), 1, 5), backup(-day(1), 1, 9)
	wal := []string{walKey(1, 1), walKey(1, 2)}
	running := Dir{ID: layout.NewBackupID(now.Add(-time.Hour)), Keys: []string{"k1"}}
	old := Dir{ID: layout.NewBackupID(now.Add(-day(15))), Keys: []string{"k2", "k3"}}
	veryOld := Dir{ID: layout.NewBackupID(now.Add(-day(25))), Keys: []string{"k4"}}
	cat := catalogOf(a, b, c)
	cat.Incomplete = []Dir{veryOld, old, running}
	p := mustPlan(t, "7d", cat, wal, PlanOptions{})
	if got := deletedIDs(p); !slices.Equal(got, []string{a.ID}) || len(deletedWAL(p)) != 0 {
		t.Errorf("with a backup in progress: deleted %v and WAL %v, want %s and no WAL", got, deletedWAL(p), a.ID)
	}
	if !strings.Contains(strings.Join(p.Lines(), "\n"), "backup "+running.ID+" has no backup.info yet") {
		t.Errorf("the plan does not say why WAL stays:\n%s", strings.Join(p.Lines(), "\n"))
	}
	// The interrupted backups are past the grace and older than the oldest kept backup (b): nothing can
	// restore from them, so their objects go. The running one stays.
	if len(p.Abandoned) != 2 || p.Abandoned[0].ID != veryOld.ID || p.Abandoned[1].ID != old.ID {
		t.Errorf("abandoned %+v", p.Abandoned)
	}
	p = mustPlan(t, "7d", cat, wal, PlanOptions{IncompleteGrace: 30 * time.Minute})
	if len(deletedWAL(p)) != 2 {
		t.Errorf("once the grace is over the WAL goes: %v", deletedWAL(p))
	}
}

func TestParsePolicy(t *testing.T) {
	for in, want := range map[string]Policy{"7d": {7, 'd'}, "4w": {4, 'w'}, "12m": {12, 'm'},
		"RECOVERY WINDOW OF 7 DAYS": {7, 'd'}, " recovery window of 1 week ": {1, 'w'}, "Recovery Window Of 3 Months": {3, 'm'}} {
		got, err := ParsePolicy(in)
		if err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %+v, %v", in, got, err)
		}
	}
	for in, msg := range map[string]string{"0d": "expected a number", "7": "expected", "7y": "expected", "07d": "expected",
		"REDUNDANCY 3": "only recovery windows", "RECOVERY WINDOW OF 0 DAYS": "expected", "": "expected", "999999999999999999999d": "expected"} {
		if _, err := ParsePolicy(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParsePolicy(%q) = %v, want an error with %q", in, err, msg)
		}
	}
	if got := (Policy{3, 'm'}).Window(); got != 93*24*time.Hour {
		t.Errorf("3m = %v, want 93 days", got)
	}
	if got := (Policy{2, 'w'}).String(); got != "RECOVERY WINDOW OF 2 WEEKS" {
		t.Errorf("String = %s", got)
	}
}

func TestApplyOrderAndFailure(t *testing.T) {
	m := memstore.New()
	a, b, c := backup(-day(20), 1, 1), backup(-day(10), 1, 5), backup(-day(1), 1, 9)
	for _, bk := range []Backup{a, b, c} {
		m.Seed(bk.Tars[0], []byte("tar"))
		m.Seed(testLayout.BackupInfoKey(bk.ID), Format(bk.Info))
	}
	m.Seed(testLayout.BackupPrefix(a.ID)+"annotations/other", []byte("x"))
	for s := uint64(0); s < 12; s++ {
		m.Seed(walKey(1, s), []byte("wal"))
	}
	m.Seed(testLayout.Key(layout.HistoryName(2), ""), []byte("1\t0/0\tx\n"))

	m.SetFault(memstore.FailKey(memstore.OpDelete, testLayout.BackupInfoKey(a.ID), errors.New("injected failure")))
	_, err := ApplyRetention(context.Background(), m, testLayout, Policy{7, 'd'}, now, RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("a failing delete: %v", err)
	}
	if !slices.Equal(m.Deleted(), []string{a.Tars[0]}) {
		t.Errorf("after a failure on backup.info, deleted %v: only the tar, and no WAL", m.Deleted())
	}

	m.SetFault(nil)
	run, err := ApplyRetention(context.Background(), m, testLayout, Policy{7, 'd'}, now, RunOptions{Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if retried := m.Deleted()[1:]; retried[0] != testLayout.BackupInfoKey(a.ID) || run.Applied != (Applied{Backups: 1, BackupObjects: 1, WAL: 5}) {
		t.Errorf("retry deleted %v (%+v); want backup.info first (its tar is gone), then 5 WAL", retried, run.Applied)
	}
	if len(run.After.Backups) != 2 || !run.After.FirstRecoverabilityPoint().Equal(b.Info.EndTime) {
		t.Errorf("after: %d backups, first point %v", len(run.After.Backups), run.After.FirstRecoverabilityPoint())
	}
	left := strings.Join(m.Keys(), "\n")
	for _, want := range []string{testLayout.BackupPrefix(a.ID) + "annotations/other", walKey(1, 5), "00000002.history"} {
		if !strings.Contains(left, want) {
			t.Errorf("%s was deleted:\n%s", want, left)
		}
	}

	dry, err := ApplyRetention(context.Background(), m, testLayout, Policy{1, 'd'}, now.Add(day(12)), RunOptions{DryRun: true})
	if err != nil || len(dry.Plan.Deletions) != 1 || len(m.Deleted()) != 7 {
		t.Errorf("dry run: %v, plan %+v, deleted %d objects (the dry run must add none to the 7 before it)", err, dry.Plan.Deletions, len(m.Deleted()))
	}
}

func TestReadCatalog(t *testing.T) {
	m := memstore.New()
	a, b := backup(-day(3), 1, 1), backup(-day(1), 1, 5)
	a.Info.Tablespaces = []Tablespace{{"t", 16385, "/t"}}
	for _, bk := range []Backup{a, b} {
		m.Seed(testLayout.BackupInfoKey(bk.ID), Format(bk.Info))
	}
	m.Seed(testLayout.TarKey(a.ID, layout.Tar{Name: "data"}), []byte(""))
	m.Seed(testLayout.TarKey(a.ID, layout.Tar{Name: "data", Part: 1}), []byte(""))
	m.Seed(testLayout.TarKey(a.ID, layout.Tar{Name: "16385", Ext: ".lz4"}), []byte(""))
	m.Seed(testLayout.BackupPrefix(a.ID)+"annotations/keep", []byte("standalone"))
	m.Seed(testLayout.BackupPrefix(b.ID)+"annotations/keep", []byte("full"))
	m.Seed(testLayout.BasePrefix()+"20240110T000000/backup.info", []byte("status=DONE\ngarbage\n"))
	m.Seed(testLayout.BasePrefix()+"20240111T000000/data.tar", []byte(""))
	m.Seed(testLayout.BasePrefix()+"not-an-id/backup.info", []byte("status=DONE\n"))
	m.Seed(testLayout.BasePrefix()+"stray-file", []byte(""))
	c, err := Read(context.Background(), m, testLayout)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Backups) != 2 || c.Backups[0].ID != a.ID || c.Backups[0].Keep != KeepStandalone || c.Backups[1].Keep != KeepFull {
		t.Fatalf("backups %+v", c.Backups)
	}
	if got := c.Backups[0]; len(got.Tars) != 3 || len(got.Others) != 1 || got.Info.Tablespaces[0].OID != 16385 {
		t.Errorf("backup a: %+v", got)
	}
	var unreadable []string
	for _, d := range c.Unreadable {
		unreadable = append(unreadable, fmt.Sprintf("%s: %v", d.ID, d.Err))
	}
	if len(unreadable) != 2 || !strings.Contains(unreadable[0], "20240110T000000: unreadable backup.info") ||
		!strings.Contains(unreadable[0], "line 2") || !strings.Contains(unreadable[1], "not-an-id") {
		t.Errorf("unreadable %v", unreadable)
	}
	if len(c.Incomplete) != 2 || c.Incomplete[0].ID != "20240111T000000" || c.Incomplete[1].ID != "stray-file" {
		t.Errorf("incomplete %+v", c.Incomplete)
	}
}

func TestSelection(t *testing.T) {
	a, b, c := backup(-day(3), 1, 1), backup(-day(2), 1, 5), backup(-day(1), 1, 9)
	failed := backup(-day(1)+time.Hour*2, 1, 10)
	failed.Info.Status, failed.Info.EndTime = StatusFailed, time.Time{}
	// CloudNativePG counts a FAILED backup with both times as done; we choose exactly as it does.
	failedLate := backup(-day(2)+time.Hour*2, 1, 6)
	failedLate.Info.Status = StatusFailed
	cat := catalogOf(a, b, c, failed, failedLate)

	if got, err := cat.Latest(); err != nil || got.ID != c.ID {
		t.Errorf("Latest = %s, %v; want %s (the newer failed one has no end_time)", got.ID, err, c.ID)
	}
	if got, err := cat.ByID(b.ID); err != nil || got.ID != b.ID {
		t.Errorf("ByID = %s, %v", got.ID, err)
	}
	if _, err := cat.ByID(failed.ID); !errors.Is(err, ErrNoBackup) || !strings.Contains(err.Error(), "did not complete (status FAILED") {
		t.Errorf("ByID(failed) = %v", err)
	}
	if _, err := cat.ByID("20200101T000000"); !errors.Is(err, ErrNoBackup) {
		t.Errorf("ByID(unknown) = %v", err)
	}
	for _, tc := range []struct {
		target time.Time
		want   string
	}{
		{b.Info.EndTime, b.ID},                       // end_time <= target: the boundary counts
		{b.Info.EndTime.Add(-time.Nanosecond), a.ID}, // just before b ended
		{failedLate.Info.EndTime, failedLate.ID},     // CloudNativePG's "done" whatever the status
		{now, c.ID},
	} {
		if got, err := cat.ByTargetTime(tc.target); err != nil || got.ID != tc.want {
			t.Errorf("ByTargetTime(%v) = %s, %v; want %s", tc.target, got.ID, err, tc.want)
		}
	}
	if _, err := cat.ByTargetTime(a.Info.BeginTime); !errors.Is(err, ErrNoBackup) || !strings.Contains(err.Error(), "first recoverability point is") {
		t.Errorf("ByTargetTime before every backup = %v", err)
	}
	if !cat.FirstRecoverabilityPoint().Equal(a.Info.EndTime) || !cat.LastSuccessfulBackup().Equal(c.Info.EndTime) {
		t.Errorf("recoverability %v %v", cat.FirstRecoverabilityPoint(), cat.LastSuccessfulBackup())
	}
	if _, err := (Catalog{Layout: testLayout}).Latest(); !errors.Is(err, ErrNoBackup) {
		t.Errorf("Latest of nothing = %v", err)
	}
}

// BenchmarkPlan10000WAL plans a month of daily backups over 10 000 WAL objects on two timelines.
func BenchmarkPlan10000WAL(b *testing.B) {
	var bs []Backup
	for i := 0; i < 30; i++ {
		bs = append(bs, backup(-day(30-i), 1, uint64(300*i+1)))
	}
	var wal []string
	for s := uint64(0); s < 9000; s++ {
		wal = append(wal, walKey(1, s))
	}
	for s := uint64(9000); s < 10000; s++ {
		wal = append(wal, walKey(2, s))
	}
	c := catalogOf(bs...)
	b.ResetTimer()
	for b.Loop() {
		p, err := Plan(Policy{7, 'd'}, now, c, wal, PlanOptions{})
		if err != nil || len(p.Deletions) != 22 {
			b.Fatalf("%v, %d deletions", err, len(p.Deletions))
		}
	}
}
