package stream

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// resetTo prepares the spool to receive tli from start (a segment boundary). The spool may already hold
// what is about to arrive again (after a reconnect or a crash); it is rewritten with identical bytes.
func (a *Archiver) resetTo(tli uint32, start uint64) error {
	if a.open != nil && (a.open.name.TLI != tli || a.open.start != start-start%a.segSize) {
		if err := a.open.f.Sync(); err != nil {
			return err
		}
		a.open.f.Close()
		a.setOpen(nil)
	}
	a.setWritten(start)
	return nil
}

// write puts WAL received at lsn into the spool, finishing every segment it completes.
func (a *Archiver) write(tli uint32, lsn uint64, data []byte) error {
	if lsn != a.written {
		return fmt.Errorf("the server sent WAL at %s but the spool ends at %s", layout.FormatLSN(lsn), layout.FormatLSN(a.written))
	}
	for len(data) > 0 {
		if a.open == nil || a.open.name.TLI != tli || lsn < a.open.start || lsn >= a.open.start+a.segSize {
			if a.open != nil {
				a.open.f.Close()
			}
			o, err := a.spool.OpenSegment(layout.SegmentOf(tli, lsn, a.segSize), a.segSize)
			if err != nil {
				return fmt.Errorf("opening the spool file of %s: %w", layout.SegmentOf(tli, lsn, a.segSize), err)
			}
			a.setOpen(o)
		}
		off := lsn - a.open.start
		n := min(uint64(len(data)), a.segSize-off)
		if _, err := a.open.f.WriteAt(data[:n], int64(off)); err != nil {
			return fmt.Errorf("writing %s to the spool: %w", a.open.name, err)
		}
		a.open.note(off, data[:n])
		lsn += n
		data = data[n:]
		a.setWritten(lsn)
		if off+n == a.segSize {
			if err := a.finish(a.open.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish makes the open segment durable under final and hands it to the uploader.
func (a *Archiver) finish(final layout.Name) error {
	o := a.open
	// Pending before the segment stops being the open one: the archived position must never pass it.
	a.addPending(final.String())
	a.setOpen(nil)
	if err := a.spool.Finish(o, final); err != nil {
		return fmt.Errorf("finishing %s in the spool: %w", final, err)
	}
	a.flushed = max(a.flushed, a.written)
	a.up.SubmitSum(final.String(), o.wholeSum(a.segSize))
	return nil
}

// endTimeline stores the last, incomplete segment of a timeline as <segment>.partial, as PostgreSQL does
// at promotion.
func (a *Archiver) endTimeline(tli uint32) error {
	if a.open == nil || a.open.name.TLI != tli {
		return nil
	}
	if a.written > a.open.start {
		return a.finish(a.open.name.AsPartial())
	}
	path := a.open.f.Name()
	a.open.f.Close()
	a.setOpen(nil)
	return os.Remove(path)
}

// flush fsyncs the open segment: everything written is then durable.
func (a *Archiver) flush() {
	if a.open != nil && a.written > a.flushed {
		if err := a.open.f.Sync(); err != nil {
			a.cfg.Log.Error(err, "fsync of the spool failed; not confirming past the last durable position")
			return
		}
	}
	a.flushed = max(a.flushed, a.written)
}

func (a *Archiver) sendStatus(conn *pgconn.PgConn) error {
	a.flush()
	return a.sendStatusOnly(conn)
}

// sendStatusOnly confirms the durable position and refreshes the lag gauges. Confirmed is WAL that is
// fsynced in the spool and not beyond the oldest complete segment still waiting for (or refused by) the
// store: the server keeps every segment until it is in the store, and never recycles one the store
// refused. It never goes backwards.
func (a *Archiver) sendStatusOnly(conn *pgconn.PgConn) error {
	a.mu.Lock()
	confirm := a.flushed
	if low, ok := a.lowestPending(); ok && low < confirm {
		confirm = low
	}
	if a.capLSN != 0 && a.capLSN < confirm {
		confirm = a.capLSN
	}
	confirm = max(confirm, a.confirmed)
	a.confirmed = confirm
	serverEnd := a.serverEnd
	a.mu.Unlock()
	if confirm == 0 {
		return nil
	}
	err := pglogrepl.SendStandbyStatusUpdate(context.Background(), conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: pglogrepl.LSN(max(a.written, confirm)),
		WALFlushPosition: pglogrepl.LSN(confirm),
		WALApplyPosition: pglogrepl.LSN(confirm),
	})
	if err != nil {
		return fmt.Errorf("sending the standby status: %w", err)
	}
	if serverEnd > 0 {
		a.cfg.Metrics.SlotRetainedBytes.Set(float64(serverEnd - min(serverEnd, confirm)))
	}
	a.updateLag()
	return nil
}

// setOpen changes the open segment. The copy of its start under mu lets any goroutine compute the
// archived position (the lag gauge is refreshed as soon as an upload ends, not at the next status).
func (a *Archiver) setOpen(o *openSegment) {
	a.open = o
	a.mu.Lock()
	a.openGen++
	a.partialEnd = 0
	a.hasOpen = o != nil
	if o != nil {
		a.openStart = o.start
	}
	a.mu.Unlock()
}

// setWritten moves the end of WAL written into the spool, keeping its copy under mu.
func (a *Archiver) setWritten(lsn uint64) {
	a.written = lsn
	a.mu.Lock()
	a.writtenEnd = lsn
	a.mu.Unlock()
}

// updateLag sets wal_archiver_lag_bytes: the server's flush position minus the archived position.
func (a *Archiver) updateLag() {
	a.mu.Lock()
	serverEnd := a.serverEnd
	a.mu.Unlock()
	if serverEnd > 0 {
		a.cfg.Metrics.LagBytes.Set(float64(serverEnd - min(serverEnd, a.archivedLSN())))
	}
}

// startPartial uploads the open segment as .partial in the background unless one is in flight or
// nothing arrived since the last one.
func (a *Archiver) startPartial() {
	o := a.open
	if o == nil || a.written <= o.start {
		return
	}
	n := a.written - o.start
	a.mu.Lock()
	if a.partialOn || o.start+n <= a.partialEnd {
		a.mu.Unlock()
		return
	}
	a.partialOn = true
	gen := a.openGen
	a.mu.Unlock()
	a.partialWG.Add(1)
	go func() {
		defer a.partialWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), max(a.cfg.PartialInterval, a.cfg.ShutdownTimeout))
		defer cancel()
		err := a.up.UploadPartial(ctx, o, n, a.segSize)
		a.mu.Lock()
		a.partialOn = false
		if err == nil && a.openGen == gen {
			a.partialEnd = o.start + n
		}
		a.mu.Unlock()
		if err != nil && !os.IsNotExist(err) {
			a.cfg.Log.Info("uploading the .partial segment failed; retrying at the next interval", "segment", o.name.String(), "error", err.Error())
		}
	}()
}
