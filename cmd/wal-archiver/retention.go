package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// runRetention applies the retention policy once and prints the plan, one line per decision: every
// backup with its verdict, then each object deleted and why. --dry-run prints the same and deletes
// nothing. Exit codes: 0 done, 1 failed (nothing or only part deleted; the next run continues), 2 usage.
func runRetention(args []string, stdout, stderr io.Writer) int {
	s := newSettings("retention", stderr)
	dryRun := s.fs.Bool("dry-run", false, "print what would be deleted and delete nothing")
	if err := s.parse(args); err != nil {
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "wal-archiver retention:", err)
		return code
	}
	spec := s.get(contract.RetentionPolicy, "")
	if spec == "" {
		return fail(2, fmt.Errorf("no retention policy: set --%s (%s), e.g. 30d", contract.RetentionPolicy.Flag, contract.RetentionPolicy.Env))
	}
	policy, err := catalog.ParsePolicy(spec)
	if err != nil {
		return fail(2, err)
	}
	ctx := context.Background()
	st, prefix, err := openStore(ctx, s, 0)
	if err != nil {
		return fail(1, err)
	}
	lay, err := layout.New(prefix, s.get(contract.ServerName, os.Getenv(contract.EnvClusterName)))
	if err != nil {
		return fail(2, fmt.Errorf("--%s (%s): %w", contract.ServerName.Flag, contract.ServerName.Env, err))
	}
	run, err := catalog.ApplyRetention(ctx, st, lay, policy, time.Now(), catalog.RunOptions{DryRun: *dryRun})
	if !run.Plan.Now.IsZero() { // a plan was made
		for _, line := range run.Plan.Lines() {
			if *dryRun {
				line = "[dry run] " + line
			}
			fmt.Fprintln(stdout, line)
		}
	}
	if err != nil {
		return fail(1, err)
	}
	if !*dryRun {
		fmt.Fprintf(stdout, "deleted %d backups (%d objects) and %d WAL objects\n", run.Applied.Backups, run.Applied.BackupObjects, run.Applied.WAL)
	}
	return 0
}

// retention is the primary's periodic retention in the stream process. Without a policy it still reads
// the catalog, so that the backup metrics (and their alerts) work when nothing is ever deleted.
type retention struct {
	store    catalog.Store
	layout   layout.Layout
	policy   *catalog.Policy
	interval time.Duration
	metrics  *metrics.Metrics
	log      logr.Logger
}

// newRetention reads RetentionPolicy and RetentionInterval from the settings.
func newRetention(s *settings, st catalog.Store, lay layout.Layout, m *metrics.Metrics, log logr.Logger) (*retention, error) {
	r := &retention{store: st, layout: lay, metrics: m, log: log.WithName("retention")}
	if spec := s.get(contract.RetentionPolicy, ""); spec != "" {
		p, err := catalog.ParsePolicy(spec)
		if err != nil {
			return nil, fmt.Errorf("--%s (%s): %w", contract.RetentionPolicy.Flag, contract.RetentionPolicy.Env, err)
		}
		r.policy = &p
	}
	iv := s.get(contract.RetentionInterval, contract.DefaultRetentionInterval)
	d, err := time.ParseDuration(iv)
	if err != nil || d < time.Minute {
		return nil, fmt.Errorf("--%s (%s): %q is not a duration of at least 1m such as 30m", contract.RetentionInterval.Flag, contract.RetentionInterval.Env, iv)
	}
	r.interval = d
	return r, nil
}

// Once runs retention (or, without a policy, reads the catalog) and updates the metrics.
func (r *retention) Once(ctx context.Context, now time.Time) error {
	var (
		after catalog.Catalog
		err   error
	)
	if r.policy == nil {
		after, err = catalog.Read(ctx, r.store, r.layout)
	} else {
		var run catalog.Run
		run, err = catalog.ApplyRetention(ctx, r.store, r.layout, *r.policy, now, catalog.RunOptions{})
		after = run.After
		r.metrics.Catalog.Deleted.WithLabelValues(metrics.DeletedBackup).Add(float64(run.Applied.Backups))
		r.metrics.Catalog.Deleted.WithLabelValues(metrics.DeletedWAL).Add(float64(run.Applied.WAL))
		if backups, wal := run.Plan.Counts(); err == nil && (backups > 0 || wal > 0 || len(run.Plan.Abandoned) > 0) {
			r.log.Info("retention applied", "policy", r.policy.String(), "backups", run.Applied.Backups, "wal", run.Applied.WAL,
				"plan", run.Plan.Lines())
		}
	}
	if after.Layout.ServerName != "" {
		setTime := func(g interface{ Set(float64) }, t time.Time) {
			if t.IsZero() {
				g.Set(0)
				return
			}
			g.Set(float64(t.UnixNano()) / 1e9)
		}
		setTime(r.metrics.Catalog.FirstRecoverabilityPoint, after.FirstRecoverabilityPoint())
		setTime(r.metrics.Catalog.LastBackup, after.LastSuccessfulBackup())
		r.metrics.Catalog.Backups.Set(float64(len(after.Recoverable())))
	}
	if err != nil {
		r.metrics.Fail(metrics.ReasonRetention)
		return err
	}
	r.metrics.Catalog.LastRetention.Set(float64(now.UnixNano()) / 1e9)
	return nil
}

// retentionPoll is how often Loop looks whether this instance is the primary, so that a new primary
// applies retention soon after a failover instead of an interval later.
const retentionPoll = 15 * time.Second

// Loop runs Once as soon as this instance is the primary and then every interval while it is, until ctx
// ends. Errors are logged and counted; the next interval retries (the upstream plugin retries after 5
// minutes, we keep the interval, which is at least a minute).
func (r *retention) Loop(ctx context.Context, primary func() bool) {
	t := time.NewTicker(min(retentionPoll, r.interval))
	defer t.Stop()
	var last time.Time
	for {
		if now := time.Now(); primary() && (last.IsZero() || now.Sub(last) >= r.interval) {
			last = now
			if err := r.Once(ctx, now); err != nil && ctx.Err() == nil {
				r.log.Error(err, "retention failed; retrying at the next interval", "interval", r.interval.String())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
