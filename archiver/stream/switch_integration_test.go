//go:build integration

package stream

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestBinarySwitchesDestinationAtASegmentBoundary changes the settings file of a running archiver from
// an uncompressed destination to another prefix with lz4 while pgbench writes. Segments before the switch
// stay where they are, the ones after it go to the new place, none is in both, none is missing, and every
// one at either place is byte-identical to pg_wal's; the replication connection is kept.
func TestBinarySwitchesDestinationAtASegmentBoundary(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)
	pg.Run(t, "pgbench", "-i", "-q", "-s", "5", "postgres")
	dir := t.TempDir()
	settings := filepath.Join(dir, "settings")
	testservers.KubeletSwap(t, settings, map[string]string{"settings.json": `{"WAL_ARCHIVER_DESTINATION_PATH":"s3://` + bucket + `/prefix","WAL_ARCHIVER_COMPRESSION":""}`})
	p := launch(t, m, "switch", filepath.Join(dir, "spool"),
		[]string{"--conninfo", pg.ConnString(), "--settings-poll-interval", "200ms"},
		"WAL_ARCHIVER_SETTINGS_FILE="+filepath.Join(settings, "settings.json"), "WAL_ARCHIVER_COMPRESSION=gzip")
	old := archiveView(t, st, "switch", "")
	first := switchWAL(t, pg)
	old.waitArchived(t, first, time.Minute)
	pidBefore := pg.SQL(t, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'arch_switch'")

	wait := pgbench(t, pg, 15*time.Second, 4)
	time.Sleep(5 * time.Second)
	testservers.KubeletSwap(t, settings, map[string]string{"settings.json": `{"WAL_ARCHIVER_DESTINATION_PATH":"s3://` + bucket + `/other","WAL_ARCHIVER_COMPRESSION":"lz4"}`})
	waitFor(t, time.Minute, func() bool { return strings.Contains(p.out.String(), "uploads switch at the next attempt") },
		func() string { return "the archiver never switched:\n" + p.out.String() })
	wait()
	last := switchWAL(t, pg)
	lay, _ := layout.New("other", "switch")
	lz4, _ := compress.Lookup("lz4")
	moved := &running{lay: lay, codec: lz4, st: st, stopped: true}
	moved.waitArchived(t, last, 2*time.Minute)
	if pid := pg.SQL(t, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'arch_switch'"); pid != pidBefore {
		t.Errorf("the walsender changed (%s -> %s): the switch should not reconnect", pidBefore, pid)
	}
	for _, l := range []string{`"oldDestination":"prefix/switch/wals/"`, `"newDestination":"other/switch/wals/"`} {
		if !strings.Contains(p.out.String(), l) {
			t.Errorf("the log does not name %s", l)
		}
	}
	p.term(t)

	before, after := segmentsOf(old.list(t), 1), segmentsOf(moved.list(t), 1)
	if len(before) < 2 || len(after) < 2 {
		t.Fatalf("%d segments at the old place, %d at the new one: the switch did not happen under load", len(before), len(after))
	}
	for _, s := range after {
		if slices.Contains(before, s) {
			t.Errorf("%s is at both places: it was sent twice", s)
		}
	}
	if before[len(before)-1] >= after[0] {
		t.Errorf("old place ends at %s, new one starts at %s: the switch is not at a segment boundary", before[len(before)-1], after[0])
	}
	all := append(slices.Clone(before), after...)
	slices.Sort(all)
	checkContiguous(t, all, 1, all[0], last, pg.SegSize)
	if n := old.checkAgainstPGWAL(t, pg) + moved.checkAgainstPGWAL(t, pg); n < 20 {
		t.Errorf("only %d segments compared with pg_wal", n)
	}
	if !slices.Contains(before, first) {
		t.Errorf("%s left the old place", first)
	}
	t.Logf("%d segments at the old destination, %d at the new one", len(before), len(after))
}
