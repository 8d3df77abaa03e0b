package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/restore"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// Exit codes of restore. PostgreSQL reads any status from 1 to 125 as "not in the archive" and ends
// recovery (promoting, on a primary-to-be); a status above 125 makes it abort recovery instead. A store
// that is briefly unreachable must not end recovery early, so real errors use errorExit by default.
const (
	exitNotFound     = 1
	defaultErrorExit = 126
)

func runRestore(args []string, stderr io.Writer) int {
	s := newSettings("restore", stderr)
	prefetch := s.fs.Int("prefetch", 0, "fetch this many following segments in parallel into the restore spool")
	spool := s.fs.String("restore-spool-dir", "", "where prefetched segments wait; default PGDATA/wal-archiver-restore-spool (beside pg_wal)")
	noPartial := s.fs.Bool("no-partial", false, "never use <segment>.partial in place of a missing segment")
	errorExit := s.fs.Int("error-exit-code", defaultErrorExit, "exit status on errors other than not-found (>125 aborts recovery; 2 lets PostgreSQL treat errors as not-found)")
	timeout := s.fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := s.parse(args); err != nil {
		return defaultErrorExit
	}
	log, err := newLogger(s.get(contract.LogLevel, "warning"))
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver:", err)
		return *errorExit
	}
	if s.fs.NArg() != 2 {
		io.WriteString(stderr, "wal-archiver restore: expected WALNAME DEST (restore_command = 'wal-archiver restore %f %p')\n")
		return *errorExit
	}
	walName, dest := s.fs.Arg(0), s.fs.Arg(1)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	st, prefix, err := openStore(ctx, s, 0)
	if err != nil {
		log.Error(err, "cannot open the store")
		return *errorExit
	}
	lay, err := layout.New(prefix, s.get(contract.ServerName, os.Getenv(contract.EnvClusterName)))
	if err != nil {
		log.Error(err, "bad server name")
		return *errorExit
	}
	if *spool == "" {
		abs, _ := filepath.Abs(dest)
		*spool = filepath.Join(filepath.Dir(filepath.Dir(abs)), "wal-archiver-restore-spool")
	}
	err = restore.Restore(ctx, restore.Config{Store: st, Layout: lay, Prefetch: *prefetch, SpoolDir: *spool, NoPartial: *noPartial, Log: log},
		walName, dest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, restore.ErrNotFound):
		log.V(1).Info("not in the archive", "wal", walName)
		return exitNotFound
	default:
		log.Error(err, "restore failed", "wal", walName)
		return *errorExit
	}
}
