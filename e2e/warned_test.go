//go:build integration

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWarned applies stores the webhook admits with advice: the advice reaches the user as kubectl's
// "Warning: ..." lines on stderr, exactly as in the golden file, and the store is stored.
func TestWarned(t *testing.T) {
	ns := namespace(t)
	if res := kubectl(t, "apply", "-n", ns, "-f", "testdata/secrets.yaml"); res.ExitCode != 0 {
		t.Fatalf("applying the fixture Secret: %+v", res)
	}
	files, err := filepath.Glob("testdata/warned/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/warned/*.yaml (%v)", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			res := kubectl(t, "apply", "-n", ns, "-f", f)
			if res.ExitCode != 0 {
				t.Fatalf("refused, want admitted with a warning:\n%s", res.Stderr)
			}
			if !strings.HasPrefix(res.Stderr, "Warning: ") {
				t.Errorf("no warning on stderr: %q", res.Stderr)
			}
			golden(t, "warned/"+name+".txt", res.Stderr)
			if want := "objectstore.barmancloud.cnpg.io/" + name + " created\n"; res.Stdout != want {
				t.Errorf("stdout %q, want %q", res.Stdout, want)
			}
			if got := kubectl(t, "get", "objectstores.barmancloud.cnpg.io", name, "-n", ns, "-o", "name"); got.ExitCode != 0 {
				t.Errorf("not stored: %s", got.Stderr)
			}
		})
	}
}
