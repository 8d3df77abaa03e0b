package pod

import (
	"testing"

	buildversion "github.com/objectstore-webhook/objectstore-webhook/internal/version"
)

func TestDefaultImageFollowsReleases(t *testing.T) {
	saved := buildversion.Version
	t.Cleanup(func() { buildversion.Version = saved })
	for v, want := range map[string]string{
		"v0.3.1":          ImageRepository + ":v0.3.1",
		"v1.0.0-rc.2":     ImageRepository + ":v1.0.0-rc.2",
		"dev":             ImageRepository + ":latest",
		"v0.3.1-4-gabcde": ImageRepository + ":latest",
		"46ac303-dirty":   ImageRepository + ":latest",
	} {
		buildversion.Version = v
		if got := DefaultImage(); got != want {
			t.Errorf("version %q: DefaultImage() = %q, want %q", v, got, want)
		}
	}
}
