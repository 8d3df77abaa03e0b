package main

import (
	"strings"
	"testing"
	"time"
)

// TestParseSchedule: 5 fields, 6 with seconds first and descriptors are accepted; a bad spec names the
// setting and the expected forms.
func TestParseSchedule(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	for spec, want := range map[string]time.Duration{
		"0 3 * * *":      24 * time.Hour,
		"*/10 * * * * *": 10 * time.Second,
		"0 0 3 * * 0":    7 * 24 * time.Hour,
		"@hourly":        time.Hour,
	} {
		s, err := parseSchedule(spec)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		if got := scheduleInterval(s, from); got != want {
			t.Errorf("%q: interval %s, want %s", spec, got, want)
		}
	}
	_, err := parseSchedule("every day")
	if err == nil || !strings.Contains(err.Error(), "--backup-schedule") || !strings.Contains(err.Error(), "6 with seconds first") {
		t.Fatalf("a bad schedule: %v", err)
	}
	// robfig/cron alone panics on this; the archiver reads schedules through the webhook's package.
	if _, err := parseSchedule("TZ="); err == nil || !strings.Contains(err.Error(), "time zones") {
		t.Fatalf("TZ=: %v", err)
	}
}

// TestBackupRejectsBadSettings: each bad data.* setting is refused before anything connects, naming the
// flag and what it accepts, with exit code 2.
func TestBackupRejectsBadSettings(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--data-jobs", "0", "between 1 and 64"},
		{"--data-immediate-checkpoint", "maybe", "true or false"},
		{"--data-compression", "zstd", "gzip, bzip2, snappy, lz4 or none"},
		{"--data-encryption", "rot13", "AES256 or aws:kms"},
	} {
		var stdout, stderr strings.Builder
		code := run([]string{"backup", "--destination-path", "s3://bucket/x", "--server-name", "pg", c.flag, c.value}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.flag) || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%s %s: exit %d, %q; want 2 naming the flag and %q", c.flag, c.value, code, stderr.String(), c.want)
		}
	}
}
