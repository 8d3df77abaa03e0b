package cluster

import (
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/objectstore-webhook/objectstore-webhook/contract"
)

// scheduleParser reads what CloudNativePG's ScheduledBackup reads (six fields, seconds first) and plain
// five-field cron, plus descriptors such as @daily. wal-archiver parses the schedule with the same options
// (cmd/wal-archiver parseSchedule), so what is admitted here is what it runs.
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ScheduleOf returns the Cluster's backup schedule annotation, trimmed, or "" when there is none.
func ScheduleOf(annotations map[string]string) string {
	return strings.TrimSpace(annotations[contract.ClusterBackupSchedule])
}

// CheckSchedule returns why spec is not a schedule wal-archiver can run, or "".
func CheckSchedule(spec string) string {
	if strings.TrimSpace(spec) == "" {
		return `must not be empty: write 5 cron fields ("0 3 * * *"), 6 with seconds first ("0 0 3 * * *"), or @daily; omit it for on-demand backups only`
	}
	if _, err := ParseSchedule(spec); err != nil {
		return fmt.Sprintf(`%v: write 5 cron fields ("0 3 * * *"), 6 with seconds first ("0 0 3 * * *"), or @daily`, err)
	}
	return ""
}

// ParseSchedule parses a backup schedule. robfig/cron v3.0.1 panics on a time-zone prefix without a
// schedule after it ("TZ="), found by FuzzCheckSchedule; time zones are refused before it sees them, since
// the archiver's image carries no zone database and CloudNativePG's ScheduledBackup has none either.
func ParseSchedule(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("time zones (%s) are not supported, schedules run in UTC", spec[:strings.Index(spec, "=")+1])
	}
	return scheduleParser.Parse(spec)
}
