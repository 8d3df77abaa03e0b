package binding

import (
	"strings"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/schedule"
)

// ScheduleOf returns the Cluster's backup schedule annotation, trimmed, or "" when there is none.
func ScheduleOf(annotations map[string]string) string {
	return strings.TrimSpace(annotations[contract.ClusterBackupSchedule])
}

// CheckSchedule returns why spec is not a schedule wal-archiver can run, or "": wal-archiver parses it
// with the same package, so what is admitted here is what it runs.
func CheckSchedule(spec string) string { return schedule.Check(spec) }
