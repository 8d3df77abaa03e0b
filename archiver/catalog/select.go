package catalog

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// ErrNoBackup is returned when no backup of the catalog fits the request.
var ErrNoBackup = errors.New("no backup fits")

// Recoverable are the backups CloudNativePG can recover from: "done" (both times set, whatever the
// status, as its catalog decides), oldest first by begin time, then end time, then ID.
func (c Catalog) Recoverable() []Backup {
	var out []Backup
	for _, b := range c.Backups {
		if b.Info.Done() {
			out = append(out, b)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Info, out[j].Info
		if !a.BeginTime.Equal(b.BeginTime) {
			return a.BeginTime.Before(b.BeginTime)
		}
		if !a.EndTime.Equal(b.EndTime) {
			return a.EndTime.Before(b.EndTime)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Latest is the newest recoverable backup (CloudNativePG's LatestBackupInfo, used with no recovery target).
func (c Catalog) Latest() (Backup, error) {
	r := c.Recoverable()
	if len(r) == 0 {
		return Backup{}, fmt.Errorf("%w: the catalog under %s has no completed backup (%d backup.info files, none with both begin_time and end_time)",
			ErrNoBackup, c.Layout.BasePrefix(), len(c.Backups))
	}
	return r[len(r)-1], nil
}

// ByID is the recoverable backup with exactly this ID (recoveryTarget.backupID).
func (c Catalog) ByID(id string) (Backup, error) {
	b, ok := c.Find(id)
	if !ok {
		return Backup{}, fmt.Errorf("%w: no backup %s under %s", ErrNoBackup, id, c.Layout.BasePrefix())
	}
	if !b.Info.Done() {
		return Backup{}, fmt.Errorf("%w: backup %s did not complete (status %s, error %q); choose a completed one",
			ErrNoBackup, id, b.Info.Status, b.Info.Error)
	}
	return b, nil
}

// ByTargetTime is the newest recoverable backup that ended at or before target (recoveryTarget.targetTime):
// recovery replays WAL from it up to target.
func (c Catalog) ByTargetTime(target time.Time) (Backup, error) {
	r := c.Recoverable()
	for i := len(r) - 1; i >= 0; i-- {
		if !r[i].Info.EndTime.After(target) {
			return r[i], nil
		}
	}
	if len(r) == 0 {
		return Backup{}, fmt.Errorf("%w: the catalog under %s has no completed backup", ErrNoBackup, c.Layout.BasePrefix())
	}
	return Backup{}, fmt.Errorf("%w: no backup ended at or before %s; the first recoverability point is %s",
		ErrNoBackup, target.UTC().Format(time.RFC3339), r[0].Info.EndTime.UTC().Format(time.RFC3339))
}

// FirstRecoverabilityPoint is the end time of the oldest recoverable backup and LastSuccessfulBackup the end
// time of the newest, as the CloudNativePG plugin reports them in the ObjectStore's status; zero when none.
func (c Catalog) FirstRecoverabilityPoint() time.Time {
	if r := c.Recoverable(); len(r) > 0 {
		return r[0].Info.EndTime
	}
	return time.Time{}
}

// LastSuccessfulBackup: see FirstRecoverabilityPoint.
func (c Catalog) LastSuccessfulBackup() time.Time {
	if r := c.Recoverable(); len(r) > 0 {
		return r[len(r)-1].Info.EndTime
	}
	return time.Time{}
}
