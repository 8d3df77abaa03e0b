//go:build integration

package schema_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesAreCurrent regenerates deepcopy and CRDs with the pinned controller-gen into a temporary
// directory and fails when a committed file differs: a type changed without `make generate`.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	gen := os.Getenv("CONTROLLER_GEN")
	if gen == "" {
		t.Fatal("CONTROLLER_GEN is not set; run through `make test`, which builds bin/controller-gen")
	}
	if _, err := os.Stat(gen); err != nil {
		t.Fatalf("controller-gen not found at %s: %v (make controller-gen builds it)", gen, err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args      []string
		committed string // directory of the committed output, relative to the module root
	}{
		{[]string{"object", "paths=./schema/barmancloud/..."}, "schema/barmancloud/v1"},
		{[]string{"object", "paths=./schema/cnpg/..."}, "schema/cnpg/v1"},
		{[]string{"crd:crdVersions=v1", "paths=./schema/barmancloud/..."}, "manifests/crd"},
		{[]string{"crd:crdVersions=v1", "paths=./schema/cnpg/..."}, "e2e/testdata/crd"},
	}
	for _, c := range cases {
		out := t.TempDir()
		kind := c.args[0]
		if kind != "object" {
			kind = "crd"
		}
		args := append(append([]string{}, c.args...), "output:"+kind+":dir="+out)
		cmd := exec.Command(gen, args...)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("controller-gen %v: %v\n%s", args, err, msg)
		}
		files, err := filepath.Glob(filepath.Join(out, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("controller-gen %v produced nothing", args)
		}
		for _, f := range files {
			want, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			committed := filepath.Join(root, c.committed, filepath.Base(f))
			got, err := os.ReadFile(committed)
			if err != nil {
				t.Errorf("%s is missing: run `make generate`", filepath.Join(c.committed, filepath.Base(f)))
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run `make generate` and commit the result", filepath.Join(c.committed, filepath.Base(f)))
			}
		}
	}
}
