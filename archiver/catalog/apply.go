package catalog

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// Applied counts what Apply deleted.
type Applied struct {
	Backups, BackupObjects, WAL, Abandoned int
}

// DefaultDeleteJobs is how many WAL deletions run at once: one request each, and thousands per backup.
const DefaultDeleteJobs = 8

// Apply deletes what the plan says in barman's order: for each backup, oldest first, its tars, then its
// backup.info, then the WAL it freed; then the interrupted backups. It stops at the first error, leaving
// a state the next run continues from: a backup's WAL is deleted only after its backup.info is gone, and
// a backup.info only after its tars.
func Apply(ctx context.Context, st Store, p RetentionPlan, jobs int) (Applied, error) {
	var done Applied
	if jobs < 1 {
		jobs = DefaultDeleteJobs
	}
	for _, d := range p.Deletions {
		for _, k := range d.Objects {
			if err := st.Delete(ctx, k); err != nil {
				return done, fmt.Errorf("deleting backup %s: %s: %w", d.ID, k, err)
			}
			done.BackupObjects++
		}
		done.Backups++
		n, err := deleteAll(ctx, st, d.WAL, jobs)
		done.WAL += n
		if err != nil {
			return done, fmt.Errorf("deleting the WAL freed by backup %s: %w", d.ID, err)
		}
	}
	for _, d := range p.Abandoned {
		n, err := deleteAll(ctx, st, d.Keys, jobs)
		done.BackupObjects += n
		if err != nil {
			return done, fmt.Errorf("deleting interrupted backup %s: %w", d.ID, err)
		}
		done.Abandoned++
	}
	return done, nil
}

// deleteAll deletes keys with up to jobs requests at once and returns how many it deleted.
func deleteAll(ctx context.Context, st Store, keys []string, jobs int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	var (
		mu       sync.Mutex
		n        int
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(jobs, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				err := st.Delete(ctx, k)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", k, err)
					cancel()
				} else if err == nil {
					n++
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, k := range keys {
		select {
		case work <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return n, firstErr
}

// RunOptions are the settings of one retention run.
type RunOptions struct {
	DryRun bool
	Jobs   int
	Plan   PlanOptions
}

// Run is one retention run of a server: read the catalog and the WAL listing, plan, and unless DryRun
// apply. After applies the catalog as it is after the run (for the recoverability metrics). The stream
// process calls it every RetentionInterval on the primary; `wal-archiver retention` calls it once.
type Run struct {
	Plan    RetentionPlan
	Applied Applied
	After   Catalog
}

// ApplyRetention performs a Run at now.
func ApplyRetention(ctx context.Context, st Store, l layout.Layout, policy Policy, now time.Time, opts RunOptions) (Run, error) {
	c, err := Read(ctx, st, l)
	if err != nil {
		return Run{After: c}, err
	}
	objs, err := st.List(ctx, l.WALPrefix())
	if err != nil {
		return Run{After: c}, fmt.Errorf("listing WAL under %s: %w", l.WALPrefix(), err)
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	p, err := Plan(policy, now, c, keys, opts.Plan)
	if err != nil {
		return Run{After: c}, err
	}
	r := Run{Plan: p, After: c}
	if opts.DryRun {
		return r, nil
	}
	r.Applied, err = Apply(ctx, st, p, opts.Jobs)
	if after, rerr := Read(ctx, st, l); rerr == nil {
		r.After = after
	}
	return r, err
}
