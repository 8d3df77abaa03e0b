package stream

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
)

// resetTo prepares the spool to receive tli from start (a segment boundary). The spool may already hold
// what is about to arrive again (after a reconnect or a crash); it is rewritten with identical bytes.
func (a *Archiver) resetTo(tli uint32, start uint64) error {
	if a.open != nil && (a.open.name.TLI != tli || a.open.start != start-start%a.segSize) {
		if a.open.f != nil {
			if err := a.open.f.Sync(); err != nil {
				return err
			}
		}
		a.open.close(a.up.bufs)
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
				a.open.close(a.up.bufs)
			}
			o, err := a.openSegment(layout.SegmentOf(tli, lsn, a.segSize))
			if err != nil {
				return fmt.Errorf("opening the spool file of %s: %w", layout.SegmentOf(tli, lsn, a.segSize), err)
			}
			a.setOpen(o)
		}
		off := lsn - a.open.start
		n := min(uint64(len(data)), a.segSize-off)
		if err := a.open.writeAt(data[:n], off); err != nil {
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

// openSegment starts receiving a segment: in memory when a buffer is free or frees up within a status
// interval (the uploads keep up, and waiting is back-pressure on the server), else in the spool (the store
// is behind or down, and the receiver must go on; when it is down, at once).
func (a *Archiver) openSegment(n layout.Name) (*openSegment, error) {
	wait := a.cfg.StatusInterval
	if a.up.Failing() {
		wait = 0 // no upload will free a buffer soon: holding the walsender back only slows the spool
	}
	if buf := a.up.bufs.get(a.segSize, wait); buf != nil {
		return &openSegment{name: n, start: n.SegNo(a.segSize) * a.segSize, mem: buf}, nil
	}
	a.cfg.Metrics.SpooledSegments.Inc()
	return a.spool.OpenSegment(n, a.segSize)
}

// finish hands the complete open segment to the uploader under final: from memory as it is (it is
// pending, so nothing past its start is confirmed before it is stored), or made durable in the spool.
func (a *Archiver) finish(final layout.Name) error {
	o := a.open
	// Pending before the segment stops being the open one: the archived position must never pass it.
	a.addPending(final.String())
	a.setOpen(nil)
	switch {
	case o.mem != nil && final.Kind == layout.Segment:
		a.flushed = max(a.flushed, a.written)
		a.up.SubmitMemory(final.String(), o.mem, o.wholeSum(a.segSize))
		return nil
	case o.mem != nil:
		// The last segment of a timeline (.partial) is never pending, so it must be durable before the
		// position moves on: it goes to the spool, zero-padded like a file the spool pre-sizes.
		clear(o.mem[a.written-o.start:])
		err := a.spool.WriteFile(final.String(), o.mem)
		a.up.bufs.put(o.mem)
		if err != nil {
			return fmt.Errorf("writing %s to the spool: %w", final, err)
		}
	default:
		if err := a.spool.Finish(o, final); err != nil {
			return fmt.Errorf("finishing %s in the spool: %w", final, err)
		}
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
	if a.open.mem != nil {
		a.open.close(a.up.bufs)
		a.setOpen(nil)
		return nil
	}
	path := a.open.f.Name()
	a.open.f.Close()
	a.setOpen(nil)
	return os.Remove(path)
}

// flush fsyncs the open segment: everything written is then durable. A segment held in memory is not, and
// the durable position stops at its start while WAL keeps coming; once the stream goes quiet (nothing new
// since the last status, or the server asks for a reply, as it does when it shuts down and waits for its
// last WAL to be confirmed) what the segment holds so far moves to the spool, so that the confirmed
// position reaches the end of WAL: a server shutting down is not kept waiting, nor an idle slot behind.
func (a *Archiver) flush() {
	if o := a.open; o != nil && o.mem != nil {
		quiet := a.written == a.quietMark || a.replyRequested
		a.quietMark, a.replyRequested = a.written, false
		if !quiet || a.written == o.start {
			a.flushed = max(a.flushed, o.start)
			return
		}
		if err := a.spillOpen(); err != nil {
			a.cfg.Metrics.Fail(metrics.ReasonSpool)
			a.cfg.Log.Error(err, "moving the segment being written to the spool failed; not confirming past its start", "segment", o.name.String())
			a.flushed = max(a.flushed, o.start)
			return
		}
	}
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
// fsynced in the spool (or, for complete segments, stored) and not beyond the oldest complete segment
// still waiting for (or refused by) the store: the server keeps every segment until it is in the store,
// and never recycles one the store refused. It never goes backwards.
func (a *Archiver) sendStatusOnly(conn *pgconn.PgConn) error {
	a.mu.Lock()
	given := a.overHold()
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
	a.giveUp(given, serverEnd)
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

// spillOpen moves the open segment from memory to a spool file holding what was received so far; it is
// fsynced by the caller, and goes on there until complete.
func (a *Archiver) spillOpen() error {
	o := a.open
	spooled, err := a.spool.OpenSegment(o.name, a.segSize)
	if err != nil {
		return err
	}
	if _, err := spooled.f.WriteAt(o.mem[:a.written-o.start], 0); err != nil {
		spooled.f.Close()
		return err
	}
	a.up.bufs.put(o.mem)
	o.mem, o.f = nil, spooled.f
	return nil
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
	// The receiver goes on writing the open segment (and may reuse its buffer), so the upload reads a
	// copy of what is there now, or the spool file through a descriptor of its own.
	src, done, err := o.snapshot(n)
	if err != nil {
		a.mu.Lock()
		a.partialOn = false
		a.mu.Unlock()
		a.cfg.Log.Info("cannot read the segment being written for its .partial upload; retrying at the next interval", "segment", o.name.String(), "error", err.Error())
		return
	}
	a.partialWG.Add(1)
	go func() {
		defer a.partialWG.Done()
		defer done()
		ctx, cancel := context.WithTimeout(context.Background(), max(a.cfg.PartialInterval, a.cfg.ShutdownTimeout))
		defer cancel()
		err := a.up.UploadPartial(ctx, o.name, src, n, a.segSize)
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
