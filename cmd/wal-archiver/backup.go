package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/robfig/cron/v3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/basebackup"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/schedule"
)

// runBackup takes one base backup and prints its ID. Exit codes: 0 stored, 1 failed (nothing visible
// was left), 2 usage, 3 another backup is running.
func runBackup(args []string, stdout, stderr io.Writer) int {
	s := newSettings("backup", stderr)
	conninfo := s.fs.String("conninfo", "", "libpq connection string (keyword=value or URI); empty: the PG* environment variables")
	walTimeout := s.fs.Duration("wal-timeout", 10*time.Minute, "how long to wait, after the copy, for the end segment to be archived by `wal-archiver stream`")
	if err := s.parse(args); err != nil {
		return 2
	}
	log, err := newLogger(s.get(contract.LogLevel, "info"))
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver:", err)
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "wal-archiver backup:", err)
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	conn, err := pgconn.ParseConfig(*conninfo)
	if err != nil {
		return fail(2, fmt.Errorf("connection settings: %w", err))
	}
	job, err := newBackupJob(ctx, s, conn, metrics.New(), log)
	if err != nil {
		return fail(2, err)
	}
	job.cfg.WALTimeout = *walTimeout
	res, err := job.Run(ctx)
	if errors.Is(err, basebackup.ErrRunning) {
		return fail(3, err)
	}
	if err != nil {
		return fail(1, err)
	}
	fmt.Fprintln(stdout, res.ID)
	return 0
}

// backupJob is the backup settings of a process, shared by `backup` and the stream's schedule.
type backupJob struct {
	cfg     basebackup.Config
	lockDir string
	metrics *metrics.Metrics
	log     logr.Logger
}

// newBackupJob reads the data.* settings and opens the store with data.encryption (the WAL's encryption
// setting is the store's encryption of WAL only, as in barman-cloud).
func newBackupJob(ctx context.Context, s *settings, conn *pgconn.Config, m *metrics.Metrics, log logr.Logger) (*backupJob, error) {
	cfg := storeconfig.SettingsFromEnv(s.getenv)
	cfg.Encryption = s.get(contract.DataEncryption, "")
	if e := cfg.Encryption; e != "" && e != "AES256" && e != "aws:kms" {
		return nil, fmt.Errorf("--%s (%s) %q: want AES256 or aws:kms (S3 server-side encryption of the base backup's objects)",
			contract.DataEncryption.Flag, contract.DataEncryption.Env, e)
	}
	st, loc, err := storeconfig.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	lay, err := layout.New(loc.Prefix, s.get(contract.ServerName, os.Getenv(contract.EnvClusterName)))
	if err != nil {
		return nil, fmt.Errorf("--%s (%s): %w", contract.ServerName.Flag, contract.ServerName.Env, err)
	}
	jobs := contract.DefaultDataJobs
	if v := s.get(contract.DataJobs, ""); v != "" {
		if jobs, err = strconv.Atoi(v); err != nil || jobs < 1 || jobs > 64 {
			return nil, fmt.Errorf("--%s (%s): %q is not a number of parallel uploads between 1 and 64", contract.DataJobs.Flag, contract.DataJobs.Env, v)
		}
	}
	fast := false
	if v := s.get(contract.DataImmediateCheckpoint, ""); v != "" {
		if fast, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("--%s (%s): %q is not true or false", contract.DataImmediateCheckpoint.Flag, contract.DataImmediateCheckpoint.Env, v)
		}
	}
	compression := s.get(contract.DataCompression, "")
	if _, err := layout.TarExt(compression); err != nil {
		return nil, fmt.Errorf("--%s (%s): %w", contract.DataCompression.Flag, contract.DataCompression.Env, err)
	}
	tags, err := s.tags(contract.Tags)
	if err != nil {
		return nil, err
	}
	return &backupJob{
		cfg: basebackup.Config{Conn: conn, Store: st, Layout: lay, Compression: compression, Jobs: jobs,
			ImmediateCheckpoint: fast, Tags: tags, Log: log.WithName("backup")},
		lockDir: s.get(contract.SpoolDir, contract.DefaultSpoolDir), metrics: m, log: log.WithName("backup"),
	}, nil
}

// Run takes the lock shared by every backup of this container (the schedule and an exec'd command) and
// takes a backup.
func (j *backupJob) Run(ctx context.Context) (basebackup.Result, error) {
	unlock, err := basebackup.Lock(j.lockDir)
	if err != nil {
		j.metrics.Backup.Failures.WithLabelValues(basebackup.StageLock).Inc()
		return basebackup.Result{}, err
	}
	defer unlock()
	j.metrics.Backup.Running.Set(1)
	defer j.metrics.Backup.Running.Set(0)
	res, err := basebackup.Run(ctx, j.cfg)
	if err != nil {
		j.metrics.Backup.Failures.WithLabelValues(basebackup.Reason(err)).Inc()
		j.metrics.Fail(metrics.ReasonBackup)
		return res, err
	}
	j.metrics.Backup.LastSuccess.Set(float64(time.Now().UnixNano()) / 1e9)
	j.metrics.Backup.Duration.Set(res.Duration.Seconds())
	j.metrics.Backup.Bytes.Set(float64(res.Bytes))
	j.metrics.Backup.RawBytes.Set(float64(res.RawBytes))
	return res, nil
}

// parseSchedule reads BackupSchedule: 5 cron fields, or 6 with seconds first, or a descriptor (@daily).
func parseSchedule(spec string) (cron.Schedule, error) {
	sched, err := schedule.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("--%s (%s) %q: %v; %s", contract.BackupSchedule.Flag, contract.BackupSchedule.Env, spec, err, schedule.Forms)
	}
	return sched, nil
}

// scheduleInterval is the longest gap between two runs of sched over the next year's first runs, for the
// backup-age alert.
func scheduleInterval(sched cron.Schedule, from time.Time) time.Duration {
	var longest time.Duration
	t := sched.Next(from)
	for range 1000 {
		n := sched.Next(t)
		if n.IsZero() {
			break
		}
		longest = max(longest, n.Sub(t))
		t = n
	}
	return longest
}

// Loop takes a backup at every time sched names while this instance is the primary, until ctx ends. A
// time missed (a standby then, or a backup still running) is skipped, not caught up: the next one comes.
func (j *backupJob) Loop(ctx context.Context, sched cron.Schedule, primary func() bool) {
	for {
		next := sched.Next(time.Now())
		if next.IsZero() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		if !primary() {
			j.log.V(1).Info("scheduled backup skipped: this instance is not streaming from a primary", "at", next)
			continue
		}
		res, err := j.Run(ctx)
		switch {
		case errors.Is(err, basebackup.ErrRunning):
			j.log.Info("scheduled backup skipped", "reason", err.Error())
		case err != nil && ctx.Err() == nil:
			j.log.Error(err, "scheduled backup failed; nothing of it is visible, the next scheduled one follows")
		case err == nil:
			j.log.Info("scheduled backup done", "backupID", res.ID)
		}
	}
}
