package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/stream"
	"github.com/objectstore-webhook/objectstore-webhook/contract"
	"github.com/objectstore-webhook/objectstore-webhook/version"
)

func runStream(args []string, stderr io.Writer) int {
	s := newSettings("stream", stderr)
	conninfo := s.fs.String("conninfo", "", "libpq connection string (keyword=value or URI); empty: the PG* environment variables")
	maxParallel := s.fs.Int("max-parallel", 4, "uploads in flight")
	statusInterval := s.fs.Duration("status-interval", time.Second, "how often the spool is fsynced and the durable position confirmed")
	pollInterval := s.fs.Duration("poll-interval", 5*time.Second, "how often a standby is checked for promotion")
	shutdownTimeout := s.fs.Duration("shutdown-timeout", 30*time.Second, "budget for the final .partial and the upload queue on SIGTERM")
	memoryBudget := byteSize(defaultMemoryBudget(cgroupMemoryLimit("/sys/fs/cgroup")))
	s.fs.Var(&memoryBudget, "memory-budget", "memory for segments on their way to the store (e.g. 128Mi; 0: always through the spool on disk). "+
		"While the store keeps up, WAL never touches the disk again; beyond this, segments wait in the spool. "+
		"Compressed copies of up to --max-parallel segments come on top. Default: 128Mi, less under a tighter container memory limit")
	if err := s.parse(args); err != nil {
		return 2
	}
	log, err := newLogger(s.get(contract.LogLevel, "info"))
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver:", err)
		return 2
	}
	fail := func(err error) int {
		log.Error(err, "wal-archiver stream cannot start")
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	conn, err := pgconn.ParseConfig(*conninfo)
	if err != nil {
		return fail(fmt.Errorf("connection settings: %w", err))
	}
	st, prefix, err := openStore(ctx, s, 0)
	if err != nil {
		return fail(err)
	}
	server := s.get(contract.ServerName, os.Getenv(contract.EnvClusterName))
	lay, err := layout.New(prefix, server)
	if err != nil {
		return fail(fmt.Errorf("--%s (%s): %w", contract.ServerName.Flag, contract.ServerName.Env, err))
	}
	codec, err := compress.Lookup(s.get(contract.Compression, ""))
	if err != nil {
		return fail(err)
	}
	tags, err := s.tags(contract.Tags)
	if err != nil {
		return fail(err)
	}
	historyTags, err := s.tags(contract.HistoryTags)
	if err != nil {
		return fail(err)
	}
	partial, err := time.ParseDuration(s.get(contract.PartialInterval, contract.DefaultPartialInterval))
	if err != nil || partial < 0 {
		return fail(fmt.Errorf("--%s: %q is not a duration such as 60s", contract.PartialInterval.Flag, s.get(contract.PartialInterval, "")))
	}
	var maxHold byteSize
	if v := s.get(contract.MaxWALHold, ""); v != "" {
		if err := maxHold.Set(v); err != nil {
			return fail(fmt.Errorf("--%s (%s): %w", contract.MaxWALHold.Flag, contract.MaxWALHold.Env, err))
		}
	}
	m := metrics.New()
	a, err := stream.New(stream.Config{
		Conn: conn, Slot: s.get(contract.SlotName, contract.DefaultSlotName), SpoolDir: s.get(contract.SpoolDir, contract.DefaultSpoolDir),
		Upload: stream.UploaderConfig{Store: st, Layout: lay, Codec: codec, Tags: tags, HistoryTags: historyTags,
			MaxParallel: *maxParallel},
		PartialInterval: partial, StatusInterval: *statusInterval, PollInterval: *pollInterval,
		ShutdownTimeout: *shutdownTimeout, MemoryBudget: uint64(memoryBudget), MaxWALHold: uint64(maxHold), Metrics: m, Log: log,
	})
	if err != nil {
		return fail(err)
	}
	ret, err := newRetention(s, st, lay, m, log)
	if err != nil {
		return fail(err)
	}
	go ret.Loop(ctx, func() bool { return m.Health.State() == metrics.StateStreaming })
	if spec := s.get(contract.BackupSchedule, ""); spec != "" {
		sched, err := parseSchedule(spec)
		if err != nil {
			return fail(err)
		}
		job, err := newBackupJob(ctx, s, conn, m, log)
		if err != nil {
			return fail(err)
		}
		m.Catalog.ScheduleInterval.Set(scheduleInterval(sched, time.Now()).Seconds())
		// Only the primary's archiver streams; a standby's waits, and takes no backup.
		go job.Loop(ctx, sched, func() bool { return m.Health.State() == metrics.StateStreaming })
	}
	listen := s.get(contract.ListenAddress, contract.DefaultListenAddress)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fail(fmt.Errorf("listening on %s for /metrics and probes: %w", listen, err))
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "probe server stopped")
		}
	}()
	log.Info("wal-archiver starting", "version", version.String(), "destination", lay.WALPrefix(), "compression", codec.Name(),
		"slot", s.get(contract.SlotName, contract.DefaultSlotName), "listen", ln.Addr().String(), "host", conn.Host, "user", conn.User, "memoryBudget", memoryBudget.String())
	runErr := a.Run(ctx)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if runErr != nil {
		log.Error(runErr, "stopped with an error")
		return 1
	}
	log.Info("stopped")
	return 0
}
