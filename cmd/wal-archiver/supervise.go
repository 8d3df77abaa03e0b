package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/livesettings"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/stream"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// problem is why archiving cannot start: a reason of the fixed set metrics.ProblemReasons, and a message
// for /readyz and the log that names the file, setting or server and what would be right.
type problem struct {
	reason string
	err    error
}

func (p *problem) Error() string { return p.err.Error() }

func problemf(reason, format string, args ...any) *problem {
	return &problem{reason: reason, err: fmt.Errorf(format, args...)}
}

// streamFlags are the stream command's own flags (not contract settings).
type streamFlags struct {
	conninfo                      string
	maxParallel                   int
	statusInterval, pollInterval  time.Duration
	shutdownTimeout, settingsPoll time.Duration
	memoryBudget                  byteSize
}

// streamRun is one start of archiving: everything built from one snapshot of the settings.
type streamRun struct {
	archiver *stream.Archiver
	layout   layout.Layout
	codec    compress.Codec
	conn     *pgconn.Config
	// aux runs retention and the backup schedule against a target until its context ends.
	aux func(context.Context)
	// restartKey is every setting the running archiver took that SetTarget cannot change.
	restartKey string
}

// targetSettings are the settings a running archiver follows without a restart (SetTarget): the store,
// where in it, the codec and the tags. The credential files and the endpoint CA belong with them.
var targetSettings = map[string]bool{
	contract.DestinationPath.Env: true, contract.ServerName.Env: true, contract.Provider.Env: true, contract.EndpointURL.Env: true,
	contract.EndpointCAFile.Env: true, contract.Compression.Env: true, contract.Encryption.Env: true, contract.Tags.Env: true,
	contract.HistoryTags.Env: true, contract.S3IAMRole.Env: true, contract.AzureCredential.Env: true,
	contract.CredentialsDir.Env: true, contract.SettingsFile.Env: true,
}

// restartKey is what a change of which needs a new archiver: every other setting, and the content of the
// replication certificate, key and root CA (pgconn reads them when the configuration is parsed).
func restartKey(s *settings, f *streamFlags) string {
	var b strings.Builder
	b.WriteString(f.conninfo)
	for _, st := range contract.Settings() {
		if !targetSettings[st.Env] {
			fmt.Fprintf(&b, "\x00%s=%s", st.Env, s.getenv(st.Env))
		}
	}
	for _, name := range []string{contract.EnvPGSSLCert, contract.EnvPGSSLKey, contract.EnvPGSSLRootCert} {
		if p := s.getenv(name); p != "" {
			c, _ := os.ReadFile(p)
			fmt.Fprintf(&b, "\x00%s=%x", name, sha256.Sum256(c))
		}
	}
	return b.String()
}

// buildTarget opens the store the settings name and proves it with one request.
func buildTarget(ctx context.Context, s *settings) (stream.Target, *problem) {
	sn := s.snap
	cfg := storeconfig.SettingsFromEnv(s.getenv)
	loc, err := storeconfig.ParseDestination(cfg.DestinationPath, cfg.Provider)
	if err != nil {
		return stream.Target{}, problemf(metrics.ProblemConfig, "--%s (%s): %v", contract.DestinationPath.Flag, contract.DestinationPath.Env, err)
	}
	if p := missingCredentials(sn, cfg, loc); p != nil {
		return stream.Target{}, p
	}
	if ca := cfg.EndpointCAFile; ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return stream.Target{}, problemf(metrics.ProblemCA, "endpoint CA %s (--%s): %v", ca, contract.EndpointCAFile.Flag, err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(b) {
			return stream.Target{}, problemf(metrics.ProblemCA, "endpoint CA %s (--%s): no PEM certificate (want one or more -----BEGIN CERTIFICATE----- blocks)",
				ca, contract.EndpointCAFile.Flag)
		}
	}
	st, _, err := storeconfig.Open(ctx, cfg)
	if err != nil {
		return stream.Target{}, problemf(metrics.ProblemConfig, "store: %v", err)
	}
	server := s.get(contract.ServerName, os.Getenv(contract.EnvClusterName))
	lay, err := layout.New(loc.Prefix, server)
	if err != nil {
		return stream.Target{}, problemf(metrics.ProblemConfig, "--%s (%s): %v", contract.ServerName.Flag, contract.ServerName.Env, err)
	}
	codec, err := compress.Lookup(s.get(contract.Compression, ""))
	if err != nil {
		return stream.Target{}, problemf(metrics.ProblemConfig, "--%s (%s): %v", contract.Compression.Flag, contract.Compression.Env, err)
	}
	tags, err := s.tags(contract.Tags)
	if err != nil {
		return stream.Target{}, &problem{reason: metrics.ProblemConfig, err: err}
	}
	historyTags, err := s.tags(contract.HistoryTags)
	if err != nil {
		return stream.Target{}, &problem{reason: metrics.ProblemConfig, err: err}
	}
	if p := proveStore(ctx, st, lay); p != nil {
		return stream.Target{}, p
	}
	return stream.Target{Store: st, Layout: lay, Codec: codec, Tags: tags, HistoryTags: historyTags}, nil
}

// prepare builds the archiver from the current settings and proves what it can before a slot exists: the
// settings file parses, the credentials a static-key store needs are there, the endpoint CA is PEM, one
// request to the store succeeds, and PostgreSQL accepts a replication connection.
func prepare(ctx context.Context, s *settings, f *streamFlags, m *metrics.Metrics, log logr.Logger) (*streamRun, *problem) {
	sn := s.snap
	if err := sn.Problem(); err != nil {
		return nil, &problem{reason: metrics.ProblemConfig, err: err}
	}
	conn, err := pgconn.ParseConfig(f.conninfo)
	if err != nil {
		return nil, problemf(metrics.ProblemConfig, "postgresql connection settings (--conninfo, PG* variables): %v", err)
	}
	tg, p := buildTarget(ctx, s)
	if p != nil {
		return nil, p
	}
	partial, err := time.ParseDuration(s.get(contract.PartialInterval, contract.DefaultPartialInterval))
	if err != nil || partial < 0 {
		return nil, problemf(metrics.ProblemConfig, "--%s (%s): %q is not a duration such as 60s", contract.PartialInterval.Flag,
			contract.PartialInterval.Env, s.get(contract.PartialInterval, ""))
	}
	var maxHold byteSize
	if v := s.get(contract.MaxWALHold, ""); v != "" {
		if err := maxHold.Set(v); err != nil {
			return nil, problemf(metrics.ProblemConfig, "--%s (%s): %v", contract.MaxWALHold.Flag, contract.MaxWALHold.Env, err)
		}
	}
	r := &streamRun{layout: tg.Layout, codec: tg.Codec, conn: conn, restartKey: restartKey(s, f)}
	r.archiver, err = stream.New(stream.Config{
		Conn: conn, Slot: s.get(contract.SlotName, contract.DefaultSlotName), SpoolDir: s.get(contract.SpoolDir, contract.DefaultSpoolDir),
		Upload:          stream.UploaderConfig{Target: tg, MaxParallel: f.maxParallel},
		PartialInterval: partial, StatusInterval: f.statusInterval, PollInterval: f.pollInterval,
		ShutdownTimeout: f.shutdownTimeout, MemoryBudget: uint64(f.memoryBudget), MaxWALHold: uint64(maxHold), Metrics: m, Log: log,
	})
	if err != nil {
		return nil, &problem{reason: metrics.ProblemConfig, err: err}
	}
	if r.aux, p = buildAux(ctx, s, tg, conn, m, log); p != nil {
		return nil, p
	}
	if p := provePostgreSQL(ctx, conn); p != nil {
		return nil, p
	}
	return r, nil
}

// buildAux builds the retention loop and the backup schedule for target tg; a new target rebuilds them.
func buildAux(ctx context.Context, s *settings, tg stream.Target, conn *pgconn.Config, m *metrics.Metrics, log logr.Logger) (func(context.Context), *problem) {
	ret, err := newRetention(s, tg.Store, tg.Layout, m, log)
	if err != nil {
		return nil, &problem{reason: metrics.ProblemConfig, err: err}
	}
	primary := func() bool { return m.Health.State() == metrics.StateStreaming }
	var backup func(context.Context)
	if spec := s.get(contract.BackupSchedule, ""); spec != "" {
		sched, err := parseSchedule(spec)
		if err != nil {
			return nil, &problem{reason: metrics.ProblemConfig, err: err}
		}
		job, err := newBackupJob(ctx, s, conn, m, log)
		if err != nil {
			return nil, &problem{reason: metrics.ProblemConfig, err: err}
		}
		backup = func(ctx context.Context) {
			m.Catalog.ScheduleInterval.Set(scheduleInterval(sched, time.Now()).Seconds())
			// Only the primary's archiver streams; a standby's waits, and takes no backup.
			job.Loop(ctx, sched, primary)
		}
	}
	return func(ctx context.Context) {
		go ret.Loop(ctx, primary)
		if backup != nil {
			go backup(ctx)
		}
	}, nil
}

// missingCredentials: with a credentials directory, a store that needs static keys and has none is a
// credentials problem (the optional Secret volume is there, but not the Secret or the key), named before
// the store refuses an anonymous request with a less helpful message.
func missingCredentials(sn *livesettings.Snapshot, cfg storeconfig.Settings, loc storeconfig.Location) *problem {
	dir := sn.CredentialsDir()
	if dir == "" {
		return nil
	}
	switch {
	case loc.Provider == storeconfig.ProviderS3 && !cfg.S3InheritIAMRole:
		for _, n := range []struct{ env, field string }{
			{contract.EnvAWSAccessKeyID, "s3Credentials.accessKeyId"},
			{contract.EnvAWSSecretAccessKey, "s3Credentials.secretAccessKey"},
		} {
			if sn.Getenv(n.env) == "" {
				return problemf(metrics.ProblemCredentials, "credentials: no %s in %s (is the Secret named by %s missing?)", n.env, dir, n.field)
			}
		}
	case loc.Provider == storeconfig.ProviderAzure && cfg.AzureCredential == "":
		if sn.Getenv(contract.EnvAzureConnectionString) == "" && sn.Getenv(contract.EnvAzureSASToken) == "" && sn.Getenv(contract.EnvAzureStorageKey) == "" {
			return problemf(metrics.ProblemCredentials, "credentials: none of %s, %s, %s in %s (is the Secret named by azureCredentials missing?)",
				contract.EnvAzureConnectionString, contract.EnvAzureSASToken, contract.EnvAzureStorageKey, dir)
		}
	}
	return nil
}

// proveStore makes one cheap request: the stat of a key that does not exist. Not found is the answer of
// a store that is reachable, knows the bucket and accepts the credentials.
func proveStore(ctx context.Context, st store.Store, lay layout.Layout) *problem {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	key := lay.WALPrefix() + "wal-archiver-readiness-probe"
	if _, err := st.Stat(ctx, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		return problemf(metrics.ProblemStore, "store: %v", err)
	}
	return nil
}

// provePostgreSQL opens and closes a replication connection, so that no slot is created before the
// server accepts us.
func provePostgreSQL(ctx context.Context, conn *pgconn.Config) *problem {
	c := conn.Copy()
	if c.RuntimeParams == nil {
		c.RuntimeParams = map[string]string{}
	}
	c.RuntimeParams["replication"] = "true"
	c.ConnectTimeout = 10 * time.Second
	pc, err := pgconn.ConnectConfig(ctx, c)
	if err != nil {
		// The words of the archiver's own reconnect state, which /readyz answered before this check existed.
		return problemf(metrics.ProblemPostgreSQL, "postgresql: %s: %v", metrics.StateRetrying, err)
	}
	_ = pc.Close(ctx)
	return nil
}

// supervise starts archiving as soon as the settings allow it and never gives up: a problem is reported
// (readiness, metric, one log line per change) and retried with capped backoff, sooner when the files
// behind the settings change. Once archiving runs, a change of those files restarts it in-process with
// the new settings: the archiver's shutdown stores the open segment as .partial and drains its queue to
// the old target, and the new run resumes from the slot, so nothing confirmed is lost or sent twice.
func supervise(ctx context.Context, s *settings, f *streamFlags, m *metrics.Metrics, log logr.Logger) error {
	attempt := 0
	for ctx.Err() == nil {
		s.snap = s.source.Load()
		m.Health.SetState(metrics.StateStarting)
		r, p := prepare(ctx, s, f, m, log)
		if p != nil {
			if ctx.Err() != nil {
				break
			}
			if p.reason == metrics.ProblemPostgreSQL {
				m.Fail(metrics.ReasonConnect)
			}
			if m.SetProblem(p.reason, p.Error()) {
				msg := "wal-archiver cannot archive yet; retrying until it is fixed"
				if p.reason == metrics.ProblemPostgreSQL {
					msg = "cannot stream WAL from PostgreSQL; " + msg
				}
				log.Error(p.err, msg, "reason", p.reason)
			}
			waitOrChange(ctx, s, f.settingsPoll, retryDelay(attempt))
			attempt++
			continue
		}
		attempt = 0
		if m.SetProblem("", "") {
			log.Info("the problem is gone; archiving starts")
		}
		log.Info("archiving", "destination", r.layout.WALPrefix(), "compression", r.codec.Name(),
			"host", r.conn.Host, "user", r.conn.User, "fingerprint", s.snap.Fingerprint()[:12])
		err := follow(ctx, s, f, m, log, r)
		if ctx.Err() != nil {
			return err
		}
		if err != nil {
			if m.SetProblem(metrics.ProblemSpool, "spool: "+err.Error()) {
				log.Error(err, "archiving stopped; retrying")
			}
			waitOrChange(ctx, s, f.settingsPoll, retryDelay(attempt))
			attempt++
		}
	}
	return nil
}

// follow runs the archiver of r until ctx ends or a change needs a new archiver (it then returns nil after
// the archiver's shutdown: the open segment is stored as .partial, the queue drained). A change of the
// store, destination, codec, tags, credential files or endpoint CA is handed to the running archiver
// instead, between uploads; a new target that does not work is a readiness problem, retried with backoff
// while the archiver keeps the old one and the slot keeps the WAL.
func follow(ctx context.Context, s *settings, f *streamFlags, m *metrics.Metrics, log logr.Logger, r *streamRun) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	auxCtx, stopAux := context.WithCancel(runCtx)
	r.aux(auxCtx)
	changed := make(chan struct{}, 1)
	go s.source.Watch(runCtx, f.settingsPoll, s.snap, func(*livesettings.Snapshot) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	done := make(chan error, 1)
	go func() { done <- r.archiver.Run(runCtx) }()
	var retry <-chan time.Time
	attempt := 0
	for {
		select {
		case err := <-done:
			stopAux()
			return err
		case <-changed:
			attempt = 0
		case <-retry:
		}
		retry = nil
		s.snap = s.source.Load()
		if err := s.snap.Problem(); err != nil {
			if m.SetProblem(metrics.ProblemConfig, err.Error()) {
				log.Error(err, "the new settings cannot be used; archiving goes on with the previous ones")
			}
			continue
		}
		if restartKey(s, f) != r.restartKey {
			log.Info("settings or replication certificates changed; restarting archiving with them at a segment boundary",
				"oldDestination", r.layout.WALPrefix())
			stopAux()
			cancel()
			return <-done
		}
		tg, p := buildTarget(runCtx, s)
		if p == nil {
			var aux func(context.Context)
			if aux, p = buildAux(runCtx, s, tg, r.conn, m, log); p == nil {
				log.Info("store settings, credentials or certificates changed; uploads switch at the next attempt",
					"oldDestination", r.layout.WALPrefix(), "newDestination", tg.Layout.WALPrefix(),
					"oldCompression", r.codec.Name(), "newCompression", tg.Codec.Name())
				r.archiver.SetTarget(tg)
				r.layout, r.codec, r.aux = tg.Layout, tg.Codec, aux
				stopAux()
				auxCtx, stopAux = context.WithCancel(runCtx)
				r.aux(auxCtx)
				if m.SetProblem("", "") {
					log.Info("the problem is gone")
				}
				continue
			}
		}
		if runCtx.Err() != nil {
			continue
		}
		if m.SetProblem(p.reason, p.Error()) {
			log.Error(p.err, "the new store settings do not work; uploads retry with the previous ones until they are fixed", "reason", p.reason)
		}
		retry = time.After(retryDelay(attempt))
		attempt++
	}
}

// retryDelay is the wait before retry number attempt (from 0) of a problem: 1 s doubling to 30 s.
func retryDelay(attempt int) time.Duration {
	return min(time.Second<<min(attempt, 5), 30*time.Second)
}

// waitOrChange waits d, or less when the files behind the settings change in the meantime.
func waitOrChange(ctx context.Context, s *settings, poll, d time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	s.source.Watch(ctx, poll, s.snap, func(*livesettings.Snapshot) { cancel() })
}
