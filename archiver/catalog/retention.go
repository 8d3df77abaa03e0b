package catalog

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// Policy is a recovery window: keep what recovery to any point of the last N days/weeks/months needs.
type Policy struct {
	N    int
	Unit byte // 'd', 'w' or 'm'
}

var (
	shortPolicy  = regexp.MustCompile(`^([1-9][0-9]*)([dwm])$`)
	barmanPolicy = regexp.MustCompile(`(?i)^\s*recovery\s+window\s+of\s+(\d+)\s+(day|month|week)s?\s*$`)
)

// ParsePolicy reads spec.retentionPolicy ("7d", "4w", "3m", as the CloudNativePG plugin validates it) or
// barman's own "RECOVERY WINDOW OF 7 DAYS" (what the plugin turns it into).
func ParsePolicy(s string) (Policy, error) {
	if m := shortPolicy.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil && n <= 100000 {
			return Policy{N: n, Unit: m[2][0]}, nil
		}
	}
	if m := barmanPolicy.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil && n >= 1 && n <= 100000 {
			return Policy{N: n, Unit: strings.ToLower(m[2])[0]}, nil
		}
	}
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "REDUNDANCY") {
		return Policy{}, fmt.Errorf("retention policy %q: only recovery windows are supported (CloudNativePG never uses REDUNDANCY); use e.g. 30d", s)
	}
	return Policy{}, fmt.Errorf("retention policy %q: expected a number of days, weeks or months such as 7d, 4w, 3m (or RECOVERY WINDOW OF 7 DAYS)", s)
}

// Window is the length of the recovery window; a month is 31 days, as in barman.
func (p Policy) Window() time.Duration {
	day := 24 * time.Hour
	switch p.Unit {
	case 'w':
		return time.Duration(p.N) * 7 * day
	case 'm':
		return time.Duration(p.N) * 31 * day
	}
	return time.Duration(p.N) * day
}

// String is the policy as barman-cloud-backup-delete takes it.
func (p Policy) String() string {
	unit := map[byte]string{'d': "DAYS", 'w': "WEEKS", 'm': "MONTHS"}[p.Unit]
	return fmt.Sprintf("RECOVERY WINDOW OF %d %s", p.N, unit)
}

// Verdicts of the retention report, barman's words.
const (
	Valid          = "VALID"
	Obsolete       = "OBSOLETE"
	KeptFull       = "KEEP:FULL"
	KeptStandalone = "KEEP:STANDALONE"
	NotCounted     = "-"
)

// Verdict is what retention decided for one backup, and why.
type Verdict struct {
	ID, Status, Reason string
}

// Deletion is one obsolete backup and what goes with it, in the order they are deleted: its tars, then
// its backup.info (so a failed run can be retried, as in barman), then the WAL it alone needed.
type Deletion struct {
	ID      string
	Objects []string
	WAL     []string
	// WALReason says which WAL goes and why, or why none does.
	WALReason string
}

// RetentionPlan is what a retention run deletes. Nothing outside Deletions and Abandoned is touched.
type RetentionPlan struct {
	Policy      Policy
	Now         time.Time
	WindowStart time.Time
	// Report has every readable backup, newest first.
	Report    []Verdict
	Deletions []Deletion // oldest first
	// Abandoned are directories of interrupted backups (no backup.info) older than the grace and than
	// every kept backup: nothing can use them.
	Abandoned []Dir
	Notes     []string
}

// PlanOptions tune what barman does not decide.
type PlanOptions struct {
	// IncompleteGrace is how long a directory without backup.info counts as a backup being taken: while
	// one is younger (by its ID), no WAL is deleted, whatever the plan says, because we cannot tell which
	// WAL it starts from. Older ones are interrupted. Default DefaultIncompleteGrace.
	IncompleteGrace time.Duration
}

// DefaultIncompleteGrace is longer than any base backup should take (a 2 TB database at 100 MB/s takes
// under 6 hours), so an in-progress backup is never mistaken for an interrupted one.
const DefaultIncompleteGrace = 24 * time.Hour

// ErrUnreadableCatalog is returned by Plan while some backup.info cannot be read.
var ErrUnreadableCatalog = errors.New("the backup catalog has unreadable backups")

// walEntry is one WAL object under wals/ and the name barman compares: the base name without one
// compression suffix.
type walEntry struct {
	key, name string
	tli       uint32
	history   bool
}

// Plan applies barman-cloud-backup-delete --retention-policy's rules (barman 3.4, minimum redundancy 0, as
// the CloudNativePG plugin runs it): walking backups newest first by ID, every DONE backup is kept until
// the first one that ended before the window start, which is kept too; older DONE backups are obsolete
// unless they carry a keep annotation; backups of any other status are never deleted. Obsolete backups
// are deleted oldest first, and after each one the WAL objects it alone needed: those before the begin_wal
// of the next DONE backup, except history files, WAL of timelines other backups are on, and the WAL of
// standalone keeps. walKeys are the keys listed under the server's wals/.
func Plan(policy Policy, now time.Time, c Catalog, walKeys []string, opts PlanOptions) (RetentionPlan, error) {
	if len(c.Unreadable) > 0 {
		var ids []string
		for _, d := range c.Unreadable {
			ids = append(ids, fmt.Sprintf("%s (%v)", d.ID, d.Err))
		}
		return RetentionPlan{}, fmt.Errorf("%w: %s; nothing is deleted until every backup.info under %s can be read "+
			"(fix or remove those backups), as barman-cloud-backup-delete does", ErrUnreadableCatalog, strings.Join(ids, "; "), c.Layout.BasePrefix())
	}
	if opts.IncompleteGrace <= 0 {
		opts.IncompleteGrace = DefaultIncompleteGrace
	}
	p := RetentionPlan{Policy: policy, Now: now, WindowStart: now.Add(-policy.Window())}

	// The report, newest first by ID.
	verdicts := map[string]string{}
	found := false
	for i := len(c.Backups) - 1; i >= 0; i-- {
		b := c.Backups[i]
		v := Verdict{ID: b.ID}
		keep := ""
		switch b.Keep {
		case KeepStandalone:
			keep = KeptStandalone
		case KeepFull:
			keep = KeptFull
		}
		switch {
		case b.Info.Status != StatusDone:
			v.Status, v.Reason = NotCounted, fmt.Sprintf("status %s: only DONE backups count, others are never deleted", orNone(b.Info.Status))
		case b.Info.EndTime.IsZero():
			v.Status, v.Reason = NotCounted, "DONE without end_time: kept, not counted"
		case found && keep != "":
			v.Status, v.Reason = keep, "older than the window, kept by its keep annotation"
		case found:
			v.Status, v.Reason = Obsolete, "older than the backup that covers the window start"
		default:
			v.Status = Valid
			if keep != "" {
				v.Status = keep
			}
			if b.Info.EndTime.Before(p.WindowStart) {
				found = true
				v.Reason = "the newest backup that ended before the window start: recovery to the window start replays from it"
			} else {
				v.Reason = "ended inside the window"
			}
		}
		verdicts[b.ID] = v.Status
		p.Report = append(p.Report, v)
	}

	wals := parseWALKeys(c.Layout, walKeys)
	recent := ""
	for _, d := range c.Incomplete {
		if t, err := layout.ParseBackupID(d.ID); err == nil && now.Sub(t) < opts.IncompleteGrace {
			recent = d.ID
		}
	}
	if recent != "" {
		p.Notes = append(p.Notes, fmt.Sprintf("backup %s has no backup.info yet and started less than %s ago: "+
			"no WAL is deleted until it completes or is older than that", recent, opts.IncompleteGrace))
	}

	live := append([]Backup(nil), c.Backups...) // the catalog as each deletion sees it
	for _, b := range c.Backups {
		if verdicts[b.ID] != Obsolete {
			continue
		}
		d := Deletion{ID: b.ID, Objects: append(append([]string(nil), b.Tars...), c.Layout.BackupInfoKey(b.ID))}
		if recent != "" {
			d.WALReason = "WAL kept: backup " + recent + " is being taken"
		} else {
			d.WAL, d.WALReason = walFreedBy(b, live, &wals)
		}
		p.Deletions = append(p.Deletions, d)
		live = removeBackup(live, b.ID)
	}
	if n := newestDone(c.Backups); n != "" && verdicts[n] == Obsolete {
		return RetentionPlan{}, fmt.Errorf("retention would delete the newest DONE backup %s; refusing (a bug)", n)
	}

	oldestKept := ""
	for _, b := range live {
		if b.Info.Status == StatusDone {
			oldestKept = b.ID
			break
		}
	}
	for _, d := range c.Incomplete {
		t, err := layout.ParseBackupID(d.ID)
		if err == nil && now.Sub(t) >= opts.IncompleteGrace && oldestKept != "" && d.ID < oldestKept {
			p.Abandoned = append(p.Abandoned, d)
		}
	}
	return p, nil
}

func orNone(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

func newestDone(backups []Backup) string {
	for i := len(backups) - 1; i >= 0; i-- {
		if backups[i].Info.Status == StatusDone {
			return backups[i].ID
		}
	}
	return ""
}

func removeBackup(list []Backup, id string) []Backup {
	out := list[:0:0]
	for _, b := range list {
		if b.ID != id {
			out = append(out, b)
		}
	}
	return out
}

// walExts are the compression suffixes a WAL object may carry: every codec wal-archiver writes (barman
// 3.4 knows only .gz, .bz2 and .snappy and leaves the others alone; 3.17 knows them all).
var walExts = compress.Exts()

// parseWALKeys keeps the keys barman's get_wal_paths would consider, sorted by name: the base name is a
// WAL file name, possibly followed by one compression suffix.
func parseWALKeys(l layout.Layout, keys []string) []walEntry {
	out := make([]walEntry, 0, len(keys))
	prefix := l.WALPrefix()
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		// A compression suffix is never part of a WAL name (.partial, .backup and .history are not
		// codecs), so strip it first rather than fail a parse on every compressed segment.
		name := path.Base(k)
		if ext := path.Ext(name); contains(walExts, ext) {
			name = strings.TrimSuffix(name, ext)
		}
		n, err := layout.Parse(name)
		if err != nil {
			continue
		}
		out = append(out, walEntry{key: k, name: name, tli: n.TLI, history: n.Kind == layout.History})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// copyDone are the statuses barman's find_previous/next_backup_in consider.
func copyDone(b Backup) bool {
	return b.Info.Status == StatusDone || b.Info.Status == StatusWaitingForWAL
}

// walFreedBy is barman's _remove_wals_for_backup for deleted, in the catalog live (which still holds it):
// the keys it deletes from wals (removing them from the list) and why.
func walFreedBy(deleted Backup, live []Backup, wals *[]walEntry) ([]string, string) {
	idx := -1
	for i, b := range live {
		if b.ID == deleted.ID {
			idx = i
		}
	}
	// should_remove_wals: only if every older backup is a standalone keep, whose WAL ranges stay.
	var ranges [][2]string
	for i := idx - 1; i >= 0; i-- {
		prev := live[i]
		if !copyDone(prev) {
			continue
		}
		if prev.Keep != KeepStandalone {
			return nil, fmt.Sprintf("WAL kept: the older backup %s needs it", prev.ID)
		}
		ranges = append(ranges, [2]string{prev.Info.BeginWAL, prev.Info.EndWAL})
	}
	until := deleted
	for i := idx + 1; i < len(live); i++ {
		if copyDone(live[i]) {
			until = live[i]
			break
		}
	}
	if until.Info.BeginWAL == "" {
		return nil, fmt.Sprintf("WAL kept: backup %s has no begin_wal to delete up to", until.ID)
	}
	protect := map[int64]bool{}
	for _, b := range live {
		if b.ID != deleted.ID && b.Info.Timeline != nil {
			protect[*b.Info.Timeline] = true
		}
	}
	if until.Info.Timeline != nil {
		delete(protect, *until.Info.Timeline)
	}
	// wals is sorted by name, so only the entries before the bound are candidates.
	bound := sort.Search(len(*wals), func(i int) bool { return (*wals)[i].name >= until.Info.BeginWAL })
	var keys []string
	kept := (*wals)[:0]
	for i, w := range *wals {
		if i >= bound {
			kept = append(kept, (*wals)[i:]...)
			break
		}
		if w.history || protect[int64(w.tli)] || inRanges(w.name, ranges) {
			kept = append(kept, w)
			continue
		}
		keys = append(keys, w.key)
	}
	// Deleted entries leave the list so that later deletions do not look at them again.
	*wals = kept
	sort.Strings(keys)
	why := fmt.Sprintf("WAL before %s (begin_wal of %s)", until.Info.BeginWAL, until.ID)
	if len(protect) > 0 {
		why += fmt.Sprintf(", except timelines %s, which other backups are on", timelines(protect))
	}
	return keys, why + "; history files are kept"
}

// inRanges is barman's check of the standalone keeps' WAL: a .backup file counts by its segment.
func inRanges(name string, ranges [][2]string) bool {
	if strings.HasSuffix(name, ".backup") && len(name) >= 24 {
		name = name[:24]
	}
	for _, r := range ranges {
		if name >= r[0] && name <= r[1] {
			return true
		}
	}
	return false
}

func timelines(set map[int64]bool) string {
	var l []int64
	for t := range set {
		l = append(l, t)
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	var s []string
	for _, t := range l {
		s = append(s, strconv.FormatInt(t, 10))
	}
	return strings.Join(s, ", ")
}

// Lines is the plan for people: one line per decision.
func (p RetentionPlan) Lines() []string {
	out := []string{fmt.Sprintf("retention %s at %s: window starts %s", p.Policy, p.Now.UTC().Format(time.RFC3339),
		p.WindowStart.UTC().Format(time.RFC3339))}
	for _, v := range p.Report {
		out = append(out, fmt.Sprintf("backup %s %s: %s", v.ID, v.Status, v.Reason))
	}
	for _, d := range p.Deletions {
		out = append(out, fmt.Sprintf("delete backup %s: %d objects (its tars, then backup.info)", d.ID, len(d.Objects)))
		for _, k := range d.Objects {
			out = append(out, "  delete "+k)
		}
		out = append(out, fmt.Sprintf("delete %d WAL objects freed by backup %s: %s", len(d.WAL), d.ID, d.WALReason))
		for _, k := range d.WAL {
			out = append(out, "  delete "+k)
		}
	}
	for _, d := range p.Abandoned {
		out = append(out, fmt.Sprintf("delete interrupted backup %s: %d objects, no backup.info, older than every kept backup", d.ID, len(d.Keys)))
		for _, k := range d.Keys {
			out = append(out, "  delete "+k)
		}
	}
	out = append(out, p.Notes...)
	if len(p.Deletions) == 0 && len(p.Abandoned) == 0 {
		out = append(out, "nothing to delete")
	}
	return out
}

// Counts are the numbers of backups and WAL objects the plan deletes.
func (p RetentionPlan) Counts() (backups, wal int) {
	for _, d := range p.Deletions {
		wal += len(d.WAL)
	}
	return len(p.Deletions), wal
}
