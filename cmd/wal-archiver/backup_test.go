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
}
