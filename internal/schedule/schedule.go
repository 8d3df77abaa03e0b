package schedule

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/robfig/cron/v3"
)

// parser reads what CloudNativePG's ScheduledBackup reads (six fields, seconds first) and plain
// five-field cron, plus descriptors such as @daily.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Forms says what a schedule may look like, for messages.
const Forms = `write 5 cron fields ("0 3 * * *"), 6 with seconds first ("0 0 3 * * *"), or @daily`

// Parse parses a backup schedule. robfig/cron v3.0.1 panics on a time-zone prefix without a schedule
// after it ("TZ="), found by fuzzing; time zones are refused before it sees them, since the archiver's
// image carries no zone database and CloudNativePG's ScheduledBackup has none either.
func Parse(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("time zones (%s) are not supported, schedules run in UTC", spec[:strings.Index(spec, "=")+1])
	}
	return parser.Parse(spec)
}

// Check returns why spec is not a schedule wal-archiver can run, or "".
func Check(spec string) string {
	if strings.TrimSpace(spec) == "" {
		return "must not be empty: " + Forms + "; omit it for on-demand backups only"
	}
	// The parser's errors quote the spec; a line break in it would split the verdict kubectl prints.
	if strings.ContainsFunc(spec, unicode.IsControl) {
		return "must be one line without control characters: " + Forms
	}
	if _, err := Parse(spec); err != nil {
		return fmt.Sprintf("%v: %s", err, Forms)
	}
	return ""
}
