//go:build integration

package e2e

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestExamples applies every file in examples/ as a user would, each into a fresh namespace: kubectl must
// succeed without a warning, and every object it reports must be stored.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples/*.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			ns := namespace(t)
			res := kubectl(t, "apply", "-n", ns, "-f", f)
			if res.ExitCode != 0 || res.Stderr != "" {
				t.Fatalf("kubectl apply exited %d\nstdout: %s\nstderr: %s", res.ExitCode, res.Stdout, res.Stderr)
			}
			var applied []string
			for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
				name, ok := strings.CutSuffix(line, " created")
				if !ok {
					t.Fatalf("unexpected kubectl line %q", line)
				}
				applied = append(applied, name)
			}
			if !strings.Contains(res.Stdout, "objectstore.barmancloud.cnpg.io/") {
				t.Errorf("%s holds no ObjectStore", f)
			}
			got := kubectl(t, "get", "-n", ns, "-f", f, "-o", "name")
			if got.ExitCode != 0 {
				t.Fatalf("kubectl get -f exited %d: %s", got.ExitCode, got.Stderr)
			}
			stored := strings.Split(strings.TrimSpace(got.Stdout), "\n")
			sort.Strings(applied)
			sort.Strings(stored)
			if strings.Join(applied, ",") != strings.Join(stored, ",") {
				t.Errorf("applied %v, stored %v", applied, stored)
			}
		})
	}
}
