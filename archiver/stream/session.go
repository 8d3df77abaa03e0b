package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
)

// session connects, waits out a standby, and streams from a primary until an error or ctx ends.
func (a *Archiver) session(ctx context.Context) error {
	conn, err := pgconn.ConnectConfig(ctx, a.cfg.Conn)
	if err != nil {
		a.cfg.Metrics.Fail(metrics.ReasonConnect)
		return fmt.Errorf("connecting for replication: %w", err)
	}
	defer conn.Close(context.Background())

	hot, err := show(ctx, conn, "in_hot_standby")
	if err != nil {
		return err
	}
	if hot == "on" {
		if a.cfg.Metrics.Health.State() != metrics.StateStandby {
			a.cfg.Log.Info("the server is a standby; waiting for a promotion before archiving", "poll", a.cfg.PollInterval.String())
		}
		a.cfg.Metrics.Health.SetState(metrics.StateStandby)
		a.cfg.Metrics.Primary.Set(0)
		return errStandby
	}
	segText, err := show(ctx, conn, "wal_segment_size")
	if err != nil {
		return err
	}
	segSize, err := parseSize(segText)
	if err != nil {
		return err
	}
	if a.segSize != 0 && a.segSize != segSize {
		return fmt.Errorf("wal_segment_size changed from %d to %d; the spool cannot mix them", a.segSize, segSize)
	}
	a.mu.Lock()
	a.segSize = segSize
	a.mu.Unlock()

	sys, err := pglogrepl.IdentifySystem(ctx, conn)
	if err != nil {
		return fmt.Errorf("IDENTIFY_SYSTEM: %w", err)
	}
	created, restart, restartTLI, err := a.ensureSlot(ctx, conn)
	if err != nil {
		return err
	}
	a.mu.Lock()
	if restart > a.confirmed {
		a.confirmed = restart
	}
	if a.capLSN == 1 {
		a.capLSN = a.confirmed
	}
	a.mu.Unlock()

	current := uint32(sys.Timeline)
	var history []layout.Switch
	if current > 1 {
		if history, err = a.spoolHistory(ctx, conn, current); err != nil {
			return err
		}
	}
	tli, start := restartTLI, restart-restart%segSize
	if tli == 0 {
		tli = layout.TimelineOf(restart, history, current)
	}
	if created && current > 1 {
		// A new slot on a promoted server: archive the new timeline from its start, and the parent's last
		// segment as .partial, if pg_wal still has them.
		if sp, ok := layout.SwitchPoint(current, history, current); ok && sp < restart {
			tli, start = layout.TimelineOf(sp-1, history, current), sp-sp%segSize
		}
	}
	if a.cfg.MaxWALHold != 0 && a.cfg.MaxWALHold < minHoldSegments*segSize {
		a.cfg.Log.Info("--max-wal-hold is below the smallest bound honoured; using that instead", "maxWALHold", a.cfg.MaxWALHold,
			"using", minHoldSegments*segSize, "segments", minHoldSegments)
	}
	a.cfg.Log.Info("streaming", "slot", a.cfg.Slot, "slotCreated", created, "timeline", tli, "start", layout.FormatLSN(start),
		"serverTimeline", current, "segmentSize", segSize)
	for {
		next, nextStart, err := a.streamTimeline(ctx, conn, tli, start)
		if err != nil {
			return err
		}
		a.cfg.Log.Info("timeline ended; following the server to the next one", "timeline", tli, "next", next,
			"switchPoint", layout.FormatLSN(nextStart))
		if _, err := a.spoolHistory(ctx, conn, next); err != nil {
			return err
		}
		tli, start = next, nextStart-nextStart%segSize
	}
}

// ensureSlot creates the slot with RESERVE_WAL (WAL is kept from the moment it exists) or reads it.
func (a *Archiver) ensureSlot(ctx context.Context, conn *pgconn.PgConn) (created bool, restart uint64, tli uint32, err error) {
	_, err = conn.Exec(ctx, fmt.Sprintf("CREATE_REPLICATION_SLOT %s PHYSICAL RESERVE_WAL", a.cfg.Slot)).ReadAll()
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		created = true
	case errors.As(err, &pgErr) && pgErr.Code == "42710": // duplicate_object: the slot exists
	default:
		return false, 0, 0, fmt.Errorf("creating replication slot %s: %w (the role needs REPLICATION and max_replication_slots a free slot)", a.cfg.Slot, err)
	}
	res, err := conn.Exec(ctx, "READ_REPLICATION_SLOT "+a.cfg.Slot).ReadAll()
	if err != nil {
		return false, 0, 0, fmt.Errorf("READ_REPLICATION_SLOT %s (PostgreSQL 15 or later is required): %w", a.cfg.Slot, err)
	}
	if len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) != 3 {
		return false, 0, 0, fmt.Errorf("READ_REPLICATION_SLOT %s: unexpected answer", a.cfg.Slot)
	}
	row := res[0].Rows[0]
	if string(row[0]) != "physical" {
		return false, 0, 0, fmt.Errorf("replication slot %s is %q, not a physical slot; choose another --slot", a.cfg.Slot, row[0])
	}
	if row[1] == nil {
		return false, 0, 0, fmt.Errorf("replication slot %s reserves no WAL (created without RESERVE_WAL?); drop it so wal-archiver recreates it", a.cfg.Slot)
	}
	if restart, err = layout.ParseLSN(string(row[1])); err != nil {
		return false, 0, 0, err
	}
	if row[2] != nil {
		t, _ := strconv.ParseUint(string(row[2]), 10, 32)
		tli = uint32(t)
	}
	return created, restart, tli, nil
}

// spoolHistory fetches a timeline's history file and queues it for upload.
func (a *Archiver) spoolHistory(ctx context.Context, conn *pgconn.PgConn, tli uint32) ([]layout.Switch, error) {
	th, err := pglogrepl.TimelineHistory(ctx, conn, int32(tli))
	if err != nil {
		return nil, fmt.Errorf("TIMELINE_HISTORY %d: %w", tli, err)
	}
	history, err := layout.ParseHistory(th.Content)
	if err != nil {
		return nil, fmt.Errorf("timeline %d history: %w", tli, err)
	}
	name := layout.HistoryName(tli).String()
	if err := a.spool.WriteFile(name, th.Content); err != nil {
		a.cfg.Metrics.Fail(metrics.ReasonSpool)
		return nil, fmt.Errorf("spooling %s: %w", name, err)
	}
	a.up.Submit(name)
	return history, nil
}

// streamTimeline streams tli from start until the server ends the timeline (returning the next one) or
// an error.
func (a *Archiver) streamTimeline(ctx context.Context, conn *pgconn.PgConn, tli uint32, start uint64) (uint32, uint64, error) {
	err := pglogrepl.StartReplication(ctx, conn, a.cfg.Slot, pglogrepl.LSN(start),
		pglogrepl.StartReplicationOptions{Timeline: int32(tli), Mode: pglogrepl.PhysicalReplication})
	if next, pos, ok := pglogrepl.IsErrEndTimeline(err); ok {
		return uint32(next), uint64(pos), a.endTimeline(tli)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("START_REPLICATION %s timeline %d: %w", layout.FormatLSN(start), tli, err)
	}
	if err := a.resetTo(tli, start); err != nil {
		return 0, 0, err
	}
	a.cfg.Metrics.Health.SetState(metrics.StateStreaming)
	a.cfg.Metrics.Primary.Set(1)
	a.cfg.Metrics.Timeline.Set(float64(tli))

	nextStatus := time.Now()
	nextPartial := time.Now().Add(a.cfg.PartialInterval)
	for {
		now := time.Now()
		if !now.Before(nextStatus) {
			if err := a.sendStatus(conn); err != nil {
				return 0, 0, err
			}
			nextStatus = now.Add(a.cfg.StatusInterval)
		}
		if a.cfg.PartialInterval > 0 && !now.Before(nextPartial) {
			a.startPartial()
			nextPartial = now.Add(a.cfg.PartialInterval)
		}
		wait := nextStatus
		if a.cfg.PartialInterval > 0 && nextPartial.Before(wait) {
			wait = nextPartial
		}
		rctx, cancel := context.WithDeadline(ctx, wait)
		msg, err := conn.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				a.flush()
				_ = a.sendStatusOnly(conn)
				return 0, 0, ctx.Err()
			}
			if pgconn.Timeout(err) {
				continue
			}
			return 0, 0, fmt.Errorf("receiving WAL: %w", err)
		}
		switch msg := msg.(type) {
		case *pgproto3.CopyData:
			if len(msg.Data) == 0 {
				continue
			}
			switch msg.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				k, err := pglogrepl.ParsePrimaryKeepaliveMessage(msg.Data[1:])
				if err != nil {
					return 0, 0, err
				}
				a.noteServerEnd(uint64(k.ServerWALEnd))
				if k.ReplyRequested {
					nextStatus, a.replyRequested = time.Time{}, true
				}
			case pglogrepl.XLogDataByteID:
				x, err := pglogrepl.ParseXLogData(msg.Data[1:])
				if err != nil {
					return 0, 0, err
				}
				a.noteServerEnd(uint64(x.ServerWALEnd))
				if err := a.write(tli, uint64(x.WALStart), x.WALData); err != nil {
					a.cfg.Metrics.Fail(metrics.ReasonSpool)
					return 0, 0, err
				}
			}
		case *pgproto3.CopyDone:
			cdr, err := pglogrepl.SendStandbyCopyDone(ctx, conn)
			if err != nil {
				return 0, 0, fmt.Errorf("ending timeline %d: %w", tli, err)
			}
			if cdr == nil {
				return 0, 0, fmt.Errorf("timeline %d ended without naming the next one", tli)
			}
			return uint32(cdr.Timeline), uint64(cdr.LSN), a.endTimeline(tli)
		case *pgproto3.ErrorResponse:
			return 0, 0, pgconn.ErrorResponseToPgError(msg)
		}
	}
}

func (a *Archiver) noteServerEnd(lsn uint64) {
	a.mu.Lock()
	if lsn > a.serverEnd {
		a.serverEnd = lsn
	}
	a.mu.Unlock()
}

// show runs SHOW over the replication connection (no SQL is possible there).
func show(ctx context.Context, conn *pgconn.PgConn, name string) (string, error) {
	res, err := conn.Exec(ctx, "SHOW "+name).ReadAll()
	if err != nil {
		return "", fmt.Errorf("SHOW %s: %w", name, err)
	}
	if len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) != 1 {
		return "", fmt.Errorf("SHOW %s: unexpected answer", name)
	}
	return string(res[0].Rows[0][0]), nil
}

func parseSize(s string) (uint64, error) {
	units := map[string]uint64{"kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
	for u, m := range units {
		if v, ok := strings.CutSuffix(s, u); ok {
			n, err := strconv.ParseUint(v, 10, 64)
			if err == nil && layout.ValidSegmentSize(n*m) {
				return n * m, nil
			}
		}
	}
	return 0, fmt.Errorf("wal_segment_size %q is not a power of two between 1MB and 1GB", s)
}
