package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	for spec, want := range map[string]string{
		"0 3 * * *":                 "",
		"0 0 3 * * 0":               "",
		"@daily":                    "",
		"0 3 * *":                   "expected 5 to 6 fields",
		"0 25 * * *":                "above maximum (23)",
		"TZ=":                       "time zones (TZ=) are not supported",
		"CRON_TZ=UTC 0 3 * * *":     "time zones (CRON_TZ=) are not supported",
		"TZ=Europe/Paris 0 3 * * *": "schedules run in UTC",
		"  ":                        "omit it for on-demand backups only",
	} {
		got := Check(spec)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("Check(%q) = %q, want %q", spec, got, want)
		}
		if got != "" && spec != "  " && !strings.Contains(got, Forms) {
			t.Errorf("Check(%q) = %q does not say which forms are right", spec, got)
		}
	}
}

// FuzzCheck: Check never panics (robfig/cron panics on "TZ="), answers in one line, and what it admits
// parses and has a next run.
//
//	go test ./schedule -run '^$' -fuzz FuzzCheck -fuzztime 60s
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{"0 3 * * *", "0 0 3 * * 0", "@daily", "@every 1h", "*/15 * * * *", "0 25 * * *",
		"0 3 * *", "", "TZ=Europe/Paris 0 3 * * *", "0 0 0 30 2 *", "1-5/0 * * * *"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		msg := Check(spec)
		if strings.Contains(msg, "\n") {
			t.Fatalf("a verdict of several lines: %q", msg)
		}
		if msg != "" {
			return
		}
		sched, err := Parse(spec)
		if err != nil {
			t.Fatalf("admitted %q, which does not parse: %v", spec, err)
		}
		_ = sched.Next(time.Now())
	})
}
