package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseTargetTime(t *testing.T) {
	want := time.Date(2026, 12, 2, 16, 0, 0, 500000000, time.UTC)
	for _, v := range []string{"2026-12-02T16:00:00.5Z", "2026-12-02 17:00:00.5+01:00", "2026-12-02 16:00:00.5+00", "2026-12-02 16:00:00.5"} {
		got, err := parseTargetTime(v)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTargetTime(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := parseTargetTime("yesterday"); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("parseTargetTime(yesterday) = %v, want an error naming the accepted forms", err)
	}
}

func TestTablespaceFlags(t *testing.T) {
	ts := tablespaceFlags{}
	if err := ts.Set("tbs1:/data/tbs1"); err != nil || ts["tbs1"] != "/data/tbs1" {
		t.Fatalf("Set = %v, %v", err, ts)
	}
	for _, bad := range []string{"tbs1:/again", "tbs2", "tbs3:relative", ":/x"} {
		if err := ts.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}
