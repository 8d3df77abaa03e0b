package pod

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsonpatch5 "github.com/evanphx/json-patch/v5"
	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files testdata/*.injected.yaml")

// testOptions are the operator's flags in every golden case; cases named *-container.yaml run without
// native sidecars.
func testOptions(name string) Options {
	return Options{
		Image:         "ghcr.io/objectstore-webhook/wal-archiver:test",
		PullPolicy:    corev1.PullIfNotPresent,
		NativeSidecar: !strings.HasSuffix(name, "-container"),
	}
}

// TestGolden injects the pod of every testdata/<case>.yaml (its other documents are what the lookups
// find), applies the patch to the original bytes, compares with <case>.injected.yaml, and injects the
// result again: the second patch must be empty.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, in := range inputs {
		if base, ok := strings.CutSuffix(in, ".injected.yaml"); ok {
			if _, err := os.Stat(base + ".yaml"); err != nil {
				t.Errorf("stale golden file %s: its input %s.yaml is gone", in, base)
			}
			continue
		}
		cases++
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			raw, set := loadCase(t, in)
			injector := &Injector{Lookup: set, Options: testOptions(name)}
			res, err := injector.Inject(context.Background(), "db", raw)
			if err != nil {
				t.Fatal(err)
			}
			assertAddOnly(t, res.Patch)
			out := applyPatch(t, raw, res.Patch)
			got := render(t, out, res)
			golden := strings.TrimSuffix(in, ".yaml") + ".injected.yaml"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./webhooks/pod -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the injection (run with -update and review the diff):\n%s", golden,
					lineDiff(string(want), string(got)))
			}
			t.Run("idempotency", func(t *testing.T) {
				again, err := injector.Inject(context.Background(), "db", out)
				if err != nil {
					t.Fatal(err)
				}
				if len(again.Patch) != 0 || again.Failure != nil && res.Failure == nil {
					t.Errorf("second injection is not empty: %s %v", mustJSON(t, again.Patch), again.Failure)
				}
			})
		})
	}
	if cases < 10 {
		t.Fatalf("found %d golden cases, want at least 10", cases)
	}
}

// loadCase returns the first Pod of a multi-document YAML file as JSON, and a Set of its other objects.
func loadCase(t testing.TB, path string) ([]byte, *binding.Set) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set := binding.NewSet()
	var podJSON []byte
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(j)) == 0 || string(j) == "null" {
			continue
		}
		var meta struct{ Kind string }
		if err := json.Unmarshal(j, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "Pod":
			if podJSON == nil {
				podJSON = j
			}
		case "Cluster":
			var c cnpgv1.Cluster
			mustUnmarshal(t, j, &c)
			set.AddCluster(&c)
		case "ObjectStore":
			var s barmanv1.ObjectStore
			mustUnmarshal(t, j, &s)
			set.AddObjectStore(&s)
		case "ServiceAccount":
			var sa corev1.ServiceAccount
			mustUnmarshal(t, j, &sa)
			set.AddServiceAccount(&sa)
		default:
			t.Fatalf("%s: unexpected kind %q", path, meta.Kind)
		}
	}
	if podJSON == nil {
		t.Fatalf("%s holds no Pod", path)
	}
	return podJSON, set
}

func mustUnmarshal(t testing.TB, j []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(j, v); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// applyPatch applies ops to doc the way the API server does.
func applyPatch(t testing.TB, doc []byte, ops []jsonpatch.Operation) []byte {
	t.Helper()
	if len(ops) == 0 {
		return doc
	}
	p, err := jsonpatch5.DecodePatch(mustJSON(t, ops))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("applying %s: %v", mustJSON(t, ops), err)
	}
	return out
}

func assertAddOnly(t testing.TB, ops []jsonpatch.Operation) {
	t.Helper()
	for _, op := range ops {
		if op.Operation != "add" {
			t.Errorf("patch has a %q operation at %s; only add is allowed", op.Operation, op.Path)
		}
	}
}

// render is the golden file: warnings and failure as comments, then the pod as YAML.
func render(t testing.TB, podJSON []byte, res Result) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "# warning: %s\n", w)
	}
	if f := res.Failure; f != nil {
		fmt.Fprintf(&b, "# failure (%s): %s\n", f.Reason, f.Message)
	}
	y, err := yaml.JSONToYAML(podJSON)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(y)
	return b.Bytes()
}

// lineDiff shows the lines of got that are not in want and the reverse, enough to find a change.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	in := func(lines []string) map[string]int {
		m := map[string]int{}
		for _, l := range lines {
			m[l]++
		}
		return m
	}
	wm, gm := in(wl), in(gl)
	var b strings.Builder
	for _, l := range wl {
		if gm[l] == 0 {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range gl {
		if wm[l] == 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}
