package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/restorebackup"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// tablespaceFlags collects repeated --tablespace name:/path.
type tablespaceFlags map[string]string

func (t tablespaceFlags) String() string { return fmt.Sprint(map[string]string(t)) }

func (t tablespaceFlags) Set(v string) error {
	name, dir, ok := strings.Cut(v, ":")
	if !ok || name == "" || !strings.HasPrefix(dir, "/") {
		return fmt.Errorf("%q: want NAME:/absolute/path, e.g. tbs1:/var/lib/postgresql/tbs1", v)
	}
	if _, dup := t[name]; dup {
		return fmt.Errorf("tablespace %s is given twice", name)
	}
	t[name] = dir
	return nil
}

// runRestoreBackup restores a base backup into an empty PGDATA. Exit codes: 0 restored, 1 failed, 2 usage.
func runRestoreBackup(args []string, stdout, stderr io.Writer) int {
	s := newSettings("restore-backup", stderr)
	backupID := s.fs.String("backup-id", "", "latest, a backup ID (YYYYMMDDTHHMMSS) or a backup name; default latest")
	targetTime := s.fs.String("target-time", "", "pick the newest backup that ended at or before this time (RFC 3339, or 2006-01-02 15:04:05[.frac][±hh[:mm]]; UTC when no zone); with --write-recovery-conf also recovery_target_time")
	tablespaces := tablespaceFlags{}
	s.fs.Var(tablespaces, "tablespace", "NAME:/path: restore tablespace NAME there instead of its recorded location (repeatable)")
	writeConf := s.fs.Bool("write-recovery-conf", false, "write recovery.signal and restore_command (and recovery_target_time) into postgresql.auto.conf")
	restoreCmd := s.fs.String("restore-command", "wal-archiver restore %f %p", "the restore_command --write-recovery-conf writes")
	targetAction := s.fs.String("recovery-target-action", "promote", "recovery_target_action written with --target-time: promote (as CloudNativePG), pause or shutdown")
	noSync := s.fs.Bool("no-sync", false, "do not fsync the restored files (faster; a crash may leave them incomplete)")
	timeout := s.fs.Duration("timeout", 0, "give up after this long (0: never)")
	if err := s.parse(args); err != nil {
		return 2
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "wal-archiver restore-backup: "+format+"\n", a...)
		return 2
	}
	if s.fs.NArg() != 1 {
		return usageErr("expected one DEST, the new PGDATA (missing or empty); got %d arguments", s.fs.NArg())
	}
	if *backupID != "" && *targetTime != "" {
		return usageErr("give --backup-id or --target-time, not both")
	}
	var target time.Time
	if *targetTime != "" {
		t, err := parseTargetTime(*targetTime)
		if err != nil {
			return usageErr("--target-time: %v", err)
		}
		target = t
	}
	switch *targetAction {
	case "promote", "pause", "shutdown":
	default:
		return usageErr("--recovery-target-action %q: use promote, pause or shutdown", *targetAction)
	}
	jobs, err := strconv.Atoi(s.get(contract.DataJobs, strconv.Itoa(contract.DefaultDataJobs)))
	if err != nil || jobs < 1 || jobs > 256 {
		return usageErr("--%s (%s): want a whole number from 1 to 256", contract.DataJobs.Flag, contract.DataJobs.Env)
	}
	log, err := newLogger(s.get(contract.LogLevel, "info"))
	if err != nil {
		return usageErr("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	st, prefix, err := openStore(ctx, s, 0)
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver restore-backup:", err)
		return 1
	}
	lay, err := layout.New(prefix, s.get(contract.ServerName, os.Getenv(contract.EnvClusterName)))
	if err != nil {
		return usageErr("--%s (%s): %v", contract.ServerName.Flag, contract.ServerName.Env, err)
	}
	cfg := restorebackup.Config{Store: st, Layout: lay, BackupID: *backupID, TargetTime: target, Dest: s.fs.Arg(0),
		Tablespaces: tablespaces, Jobs: jobs, NoSync: *noSync, Log: log}
	if *writeConf {
		cfg.Recovery = &restorebackup.Recovery{RestoreCommand: *restoreCmd, TargetAction: *targetAction}
	}
	start := time.Now()
	res, err := restorebackup.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver restore-backup:", err)
		return 1
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "restored backup %s (ended %s, begin_wal %s) into %s: %d files, %d bytes from %d stored bytes in %.1fs (%.0f MB/s)\n",
		res.BackupID, res.Info.EndTime.UTC().Format(time.RFC3339), res.Info.BeginWAL, s.fs.Arg(0), res.Files, res.Bytes, res.Fetched,
		secs, float64(res.Bytes)/1e6/max(secs, 1e-3))
	return 0
}

// parseTargetTime reads the forms recoveryTarget.targetTime takes: RFC 3339, or PostgreSQL's timestamp
// with an optional zone (UTC when none).
func parseTargetTime(v string) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time; use RFC 3339 (2026-01-02T15:04:05Z) or 2026-01-02 15:04:05+00", v)
}
