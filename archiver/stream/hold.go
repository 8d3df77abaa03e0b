package stream

import (
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// errGivenUp is the result of an upload abandoned because the WAL it held passed Config.MaxWALHold.
var errGivenUp = errors.New("given up: the slot would have held more WAL than --max-wal-hold")

// overHold takes out of pending every complete segment that keeps the slot further than MaxWALHold
// behind the server, oldest first, and returns their names. Only what the store has not taken is given
// up: the segment being received, and WAL that is merely fsynced in the spool, never hold the slot back
// by more than a segment. The caller holds a.mu.
func (a *Archiver) overHold() []string {
	limit := a.holdLimit()
	if limit == 0 || a.serverEnd <= limit {
		return nil
	}
	target := a.serverEnd - limit
	var given []string
	for f := range a.pending {
		if mustParse(f).SegNo(a.segSize)*a.segSize < target {
			given = append(given, f)
		}
	}
	for _, f := range given {
		delete(a.pending, f)
	}
	sort.Strings(given)
	return given
}

// minHoldSegments is the smallest bound honoured: segments are pending for the time of an upload even when
// the store keeps up, and a bound within a few of them would open gaps in an archive that is merely busy.
const minHoldSegments = 8

// holdLimit is MaxWALHold, raised to minHoldSegments segments; 0 when there is no bound or the segment size
// is not known yet. The caller holds a.mu.
func (a *Archiver) holdLimit() uint64 {
	if a.cfg.MaxWALHold == 0 || a.segSize == 0 {
		return 0
	}
	return max(a.cfg.MaxWALHold, minHoldSegments*a.segSize)
}

// giveUp abandons the uploads of segments overHold took out of pending, so that their spool files and
// buffers are freed and the workers move on to WAL that can still be archived, and says so: the archive
// now has a gap, and recovery cannot replay across it until the next base backup after it. The first
// segments of a gap are logged at once; while it goes on, at most once a minute, and its end when a
// segment is stored again.
func (a *Archiver) giveUp(given []string, serverEnd uint64) {
	if len(given) == 0 {
		return
	}
	a.up.Abandon(given)
	a.cfg.Metrics.GapSegments.Add(float64(len(given)))
	g := &a.gap
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.count == 0 {
		g.first = given[0]
	}
	g.count += len(given)
	g.last = given[len(given)-1]
	if time.Since(g.logged) < time.Minute {
		return
	}
	g.logged = time.Now()
	a.cfg.Log.Error(errGivenUp, "WAL ARCHIVE GAP: the store did not take these segments while the slot reached --max-wal-hold; "+
		"they may not be archived, PostgreSQL may now recycle them, and point-in-time recovery cannot cross them until the next "+
		"base backup. Archiving goes on from the current position.",
		"segments", g.count, "first", g.first, "last", g.last, "maxWALHold", a.cfg.MaxWALHold, "serverEnd", layout.FormatLSN(serverEnd))
	g.count, g.first = 0, ""
}

// gapLog rolls up the segments given up since the last line about them.
type gapLog struct {
	mu          sync.Mutex
	count       int
	first, last string
	logged      time.Time
}

// stored is told of every segment stored; the first after a gap closes it in the log.
func (a *Archiver) stored() {
	g := &a.gap
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == "" {
		return
	}
	a.cfg.Log.Error(errGivenUp, "WAL ARCHIVE GAP ended: segments are stored again", "segmentsSinceLastReport", g.count,
		"first", g.first, "lastGivenUp", g.last)
	g.count, g.first, g.last, g.logged = 0, "", "", time.Time{}
}
