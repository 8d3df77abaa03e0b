package basebackup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Config is one backup's settings.
type Config struct {
	// Conn is the connection the archiver streams with; Run opens it with replication=true for
	// BASE_BACKUP and, to database postgres without replication, for what only SQL answers (the server's
	// clock, tablespace names, file locations). CloudNativePG's pg_hba lets streaming_replica do both.
	Conn   *pgconn.Config
	Store  store.Store
	Layout layout.Layout
	// Compression is data.compression: gzip, bzip2, snappy, lz4 or "" / none.
	Compression string
	// Jobs is data.jobs, the parts of one tar uploaded at once.
	Jobs int
	// ImmediateCheckpoint is data.immediateCheckpoint: CHECKPOINT 'fast' instead of 'spread'.
	ImmediateCheckpoint bool
	Tags                map[string]string
	// WALTimeout bounds the wait, after the copy, for the segment holding the end position to be in the
	// archive; the backup fails (and stays invisible) when it is not there by then. Default 10 min.
	WALTimeout time.Duration
	// PollInterval is how often the archive is checked for that segment; default 1 s.
	PollInterval time.Duration
	Log          logr.Logger
}

// Result is what a finished backup reports.
type Result struct {
	ID string
	// Bytes is what was stored (after compression); RawBytes what the server sent.
	Bytes, RawBytes int64
	Info            catalog.Info
	Duration        time.Duration
}

var errWAL = errors.New("the end of the backup's WAL did not reach the archive")

// Reason names the stage a failed backup stopped at, for wal_archiver_backup_failures_total.
func Reason(err error) string {
	var se *stageError
	if errors.As(err, &se) {
		return se.stage
	}
	return StageUpload
}

// Stages of a backup, the values of Reason.
const (
	StageConnect  = "connect"
	StagePostgres = "postgres"
	StageUpload   = "upload"
	StageWAL      = "wal"
	StageLock     = "lock"
)

// Stages lists every Reason.
var Stages = []string{StageConnect, StagePostgres, StageUpload, StageWAL, StageLock}

type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

func stage(s string, err error) error {
	if err == nil {
		return nil
	}
	return &stageError{stage: s, err: err}
}

// Run takes one base backup. backup.info is created last, with a conditional create, and only when every
// tar is stored and the archive holds the WAL up to the end position; a failure, a cancelled ctx or a
// lost connection leaves no backup.info, and the tars already stored are deleted (best effort: a
// directory without backup.info is ignored by every reader).
func Run(ctx context.Context, cfg Config) (Result, error) {
	started := time.Now()
	if cfg.Jobs < 1 {
		cfg.Jobs = 1
	}
	if cfg.WALTimeout <= 0 {
		cfg.WALTimeout = 10 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	codec, err := compress.Lookup(cfg.Compression)
	if err != nil {
		return Result{}, err
	}
	tarExt, err := layout.TarExt(codec.Name())
	if err != nil {
		return Result{}, err
	}
	sqlConn, replConn, err := connect(ctx, cfg.Conn)
	if err != nil {
		return Result{}, stage(StageConnect, err)
	}
	defer sqlConn.Close(context.Background())
	defer replConn.Close(context.Background())

	srv, err := describe(ctx, sqlConn)
	if err != nil {
		return Result{}, stage(StagePostgres, err)
	}
	sys, err := pglogrepl.IdentifySystem(ctx, replConn)
	if err != nil {
		return Result{}, stage(StagePostgres, fmt.Errorf("IDENTIFY_SYSTEM: %w", err))
	}
	id, err := backupID(ctx, cfg, srv.now)
	if err != nil {
		return Result{}, stage(StageUpload, err)
	}
	log := cfg.Log.WithValues("backupID", id)
	up := &uploads{ctx: ctx, st: cfg.Store, lay: cfg.Layout, id: id, codec: codec, tarExt: tarExt,
		opts: store.PutOptions{Tags: cfg.Tags, ContentType: "application/x-tar"}, jobs: cfg.Jobs}
	res := Result{ID: id}
	ok := false
	defer func() {
		if !ok {
			up.abort(errors.New("the backup failed"))
			_ = up.wait()
			cleanup(cfg.Store, up.stored(), log)
		}
	}()

	log.Info("base backup starting", "checkpoint", map[bool]string{true: "fast", false: "spread"}[cfg.ImmediateCheckpoint],
		"compression", codec.Name(), "jobs", cfg.Jobs, "inRecovery", srv.inRecovery)
	replConn.Frontend().SendQuery(&pgproto3.Query{String: command("wal-archiver "+id, cfg.ImmediateCheckpoint)})
	if err := replConn.Frontend().Flush(); err != nil {
		return res, stage(StagePostgres, fmt.Errorf("sending BASE_BACKUP: %w", err))
	}
	r := reader{conn: replConn}
	begin, err := r.position(ctx, "start position")
	if err != nil {
		return res, stage(StagePostgres, err)
	}
	beginTime, err := serverNow(ctx, sqlConn)
	if err != nil {
		return res, stage(StagePostgres, err)
	}
	tbs, err := r.tablespaces(ctx)
	if err != nil {
		return res, stage(StagePostgres, err)
	}
	if err := r.copyStream(ctx, up); err != nil {
		up.abort(err)
		uerr := up.wait()
		var he *handlerError
		if errors.As(err, &he) && uerr != nil {
			return res, stage(StageUpload, uerr) // the store's error, not the pipe's
		}
		return res, stage(StagePostgres, err)
	}
	end, err := r.position(ctx, "end position")
	if err != nil {
		return res, stage(StagePostgres, err)
	}
	if err := r.finish(ctx); err != nil {
		return res, stage(StagePostgres, err)
	}
	// The server's clock after the stop: CloudNativePG picks backups by end_time <= target, so it must
	// not be earlier than the real end.
	endTime, err := serverNow(ctx, sqlConn)
	if err != nil {
		return res, stage(StagePostgres, err)
	}
	if err := up.wait(); err != nil {
		return res, stage(StageUpload, err)
	}
	var label string
	for _, a := range up.all {
		res.Bytes += a.bytes
		res.RawBytes += a.raw
		if a.name == layout.DataTar {
			label = a.label
		}
	}
	if label == "" {
		return res, stage(StagePostgres, errors.New("the server's base.tar has no backup_label"))
	}
	endWAL := layout.SegmentName(end.Timeline, end.LSN/srv.segSize, srv.segSize)
	if err := waitWAL(ctx, cfg, sqlConn, srv, endWAL, log); err != nil {
		return res, stage(StageWAL, err)
	}

	info := catalog.Info{
		BackupLabel: label,
		BeginOffset: catalog.Int(int64(begin.LSN % srv.segSize)), BeginTime: beginTime,
		BeginWAL:   layout.SegmentName(begin.Timeline, begin.LSN/srv.segSize, srv.segSize).String(),
		BeginXLog:  layout.FormatLSN(begin.LSN),
		ConfigFile: srv.settings["config_file"], HBAFile: srv.settings["hba_file"], IdentFile: srv.settings["ident_file"],
		PGData:    srv.settings["data_directory"],
		EndOffset: catalog.Int(int64(end.LSN % srv.segSize)), EndTime: endTime,
		EndWAL: endWAL.String(), EndXLog: layout.FormatLSN(end.LSN),
		ServerName: catalog.ServerName, Status: catalog.StatusDone, SystemID: sys.SystemID,
		Timeline: catalog.Int(int64(begin.Timeline)), Version: catalog.Int(srv.version),
		XLogSegmentSize: catalog.Int(int64(srv.segSize)),
		CopyStats: catalog.Dict{
			{Key: "total_time", Value: time.Since(started).Seconds()},
			{Key: "number_of_workers", Value: int64(cfg.Jobs)},
		},
	}
	for _, t := range tbs {
		name, ok := srv.tablespaces[t.OID]
		if !ok {
			return res, stage(StagePostgres, fmt.Errorf("tablespace %d is in the backup but not in pg_tablespace", t.OID))
		}
		info.Tablespaces = append(info.Tablespaces, catalog.Tablespace{Name: name, OID: t.OID, Location: t.Location})
	}
	body := catalog.Format(info)
	err = cfg.Store.Create(ctx, cfg.Layout.BackupInfoKey(id), bytes.NewReader(body), int64(len(body)),
		store.PutOptions{Tags: cfg.Tags, ContentType: "text/plain"})
	if err != nil {
		return res, stage(StageUpload, fmt.Errorf("storing backup.info: %w", err))
	}
	ok = true
	res.Info, res.Duration = info, time.Since(started)
	log.Info("base backup stored", "begin", info.BeginXLog, "end", info.EndXLog, "bytes", res.Bytes, "rawBytes", res.RawBytes,
		"seconds", res.Duration.Seconds())
	return res, nil
}

// backupID is the UTC second the server's clock reads, moved on while base/<id>/ already has objects.
func backupID(ctx context.Context, cfg Config, now time.Time) (string, error) {
	var listErr error
	id := layout.UniqueBackupID(now, func(id string) bool {
		objs, err := cfg.Store.List(ctx, cfg.Layout.BackupPrefix(id))
		if err != nil {
			listErr = err
			return false
		}
		return len(objs) > 0
	})
	return id, listErr
}

// cleanup deletes what a failed backup stored, on a fresh context (the failure may be ctx's end).
func cleanup(st store.Store, keys []string, log logr.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, k := range keys {
		if err := st.Delete(ctx, k); err != nil {
			log.Error(err, "deleting a failed backup's tar; it is ignored without backup.info", "key", k)
		}
	}
}

// waitWAL asks for a segment switch when the server allows it (a primary, and a role granted
// pg_switch_wal; CloudNativePG's streaming_replica is not, and archive_timeout closes the segment
// instead), then waits until the archive holds the segment with the end position.
func waitWAL(ctx context.Context, cfg Config, sqlConn *pgconn.PgConn, srv server, seg layout.Name, log logr.Logger) error {
	if !srv.inRecovery {
		if _, err := sqlConn.Exec(ctx, "SELECT pg_switch_wal()").ReadAll(); err != nil {
			log.V(1).Info("pg_switch_wal not allowed; waiting for the segment to fill or archive_timeout", "error", err.Error())
		}
	}
	key := cfg.Layout.Key(seg, "")
	deadline := time.Now().Add(cfg.WALTimeout)
	for {
		objs, err := cfg.Store.List(ctx, key)
		if err == nil {
			for _, o := range objs {
				if ext := strings.TrimPrefix(o.Key, key); ext == "" || isExt(ext) {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s is not in the archive after %s (is `wal-archiver stream` running on the primary?)", errWAL, seg, cfg.WALTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(cfg.PollInterval):
		}
	}
}

func isExt(ext string) bool {
	for _, e := range compress.Exts() {
		if e == ext {
			return true
		}
	}
	return false
}
