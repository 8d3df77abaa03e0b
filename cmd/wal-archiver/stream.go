package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/version"
)

func runStream(args []string, stderr io.Writer) int {
	s := newSettings("stream", stderr)
	f := &streamFlags{memoryBudget: byteSize(defaultMemoryBudget(cgroupMemoryLimit("/sys/fs/cgroup")))}
	s.fs.StringVar(&f.conninfo, "conninfo", "", "libpq connection string (keyword=value or URI); empty: the PG* environment variables")
	s.fs.IntVar(&f.maxParallel, "max-parallel", 4, "uploads in flight")
	s.fs.DurationVar(&f.statusInterval, "status-interval", time.Second, "how often the spool is fsynced and the durable position confirmed")
	s.fs.DurationVar(&f.pollInterval, "poll-interval", 5*time.Second, "how often a standby is checked for promotion")
	s.fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "budget for the final .partial and the upload queue on SIGTERM")
	// Tests shorten it; the kubelet refreshes mounted Secrets and ConfigMaps in about a minute anyway.
	s.fs.DurationVar(&f.settingsPoll, "settings-poll-interval", 5*time.Second, "how often the settings file, credential and certificate files are checked for changes (for tests)")
	s.fs.Var(&f.memoryBudget, "memory-budget", "memory for segments on their way to the store (e.g. 128Mi; 0: always through the spool on disk). "+
		"While the store keeps up, WAL never touches the disk again; beyond this, segments wait in the spool. "+
		"Compressed copies of up to --max-parallel segments come on top. Default: 128Mi, less under a tighter container memory limit")
	if err := s.parse(args); err != nil {
		return 2
	}
	if f.settingsPoll <= 0 {
		fmt.Fprintln(stderr, "wal-archiver: --settings-poll-interval must be positive, e.g. 5s")
		return 2
	}
	// Only a flag that does not parse stops the process: every other problem is reported while it stays up.
	level := s.get(contract.LogLevel, "info")
	log, err := newLogger(level)
	if err != nil {
		if s.set[contract.LogLevel.Flag] {
			fmt.Fprintln(stderr, "wal-archiver:", err)
			return 2
		}
		log, _ = newLogger("info")
		log.Error(err, "ignoring the log level setting", "setting", contract.LogLevel.Env)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// The probes come first, whatever the configuration: a container that cannot start archiving stays
	// up and says why on /readyz, instead of a crash loop that hides the cause.
	m := metrics.New()
	listen := s.get(contract.ListenAddress, contract.DefaultListenAddress)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		log.Error(err, "cannot listen for /metrics and probes", "listen", listen)
		return 1
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "probe server stopped")
		}
	}()
	log.Info("wal-archiver starting", "version", version.String(), "slot", s.get(contract.SlotName, contract.DefaultSlotName),
		"listen", ln.Addr().String(), "memoryBudget", f.memoryBudget.String())
	runErr := supervise(ctx, s, f, m, log)
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
