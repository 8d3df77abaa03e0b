package metrics

import (
	"slices"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/promrules"
)

// TestAlertsReadExportedMetrics fails when an alert in manifests/monitoring reads a wal_archiver_ metric
// this registry does not export, or a failure reason the archiver never uses.
func TestAlertsReadExportedMetrics(t *testing.T) {
	m := New()
	m.UploadSeconds.WithLabelValues("segment") // a histogram vec exports nothing before its first child
	problems, err := promrules.Check(m.Registry, "wal_archiver_")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestFailureSeriesExistFromStart: every reason is exported at 0 before any failure.
func TestFailureSeriesExistFromStart(t *testing.T) {
	families, err := New().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		if f.GetName() != "wal_archiver_failures_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			if s.GetCounter().GetValue() != 0 {
				t.Errorf("reason %v starts at %v", s.GetLabel(), s.GetCounter().GetValue())
			}
			got = append(got, s.GetLabel()[0].GetValue())
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(Reasons))
	if !slices.Equal(got, want) {
		t.Errorf("failure series %v, want one per reason %v", got, want)
	}
}
