//go:build integration

package charts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The namespace the kustomize manifests install into; the chart takes it from the release.
const namespace = "objectstore-webhook-system"

func tool(t *testing.T, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set: run through make (hack/tools/tools.mk exports it), or eval \"$(make -s tools-env)\"", env)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%s: %v (hack/tools/install.sh builds it)", env, p, err)
	}
	return p
}

func run(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// helmTemplate renders the chart as `helm install -n objectstore-webhook-system` would, with sets.
func helmTemplate(t *testing.T, sets ...string) []byte {
	t.Helper()
	args := []string{"template", "objectstore-webhook", "objectstore-webhook", "--namespace", namespace}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return run(t, tool(t, "HELM"), args...)
}

// kustomize renders a kustomization made of the given resources and components under manifests/.
func kustomize(t *testing.T, resources, components []string) []byte {
	t.Helper()
	dir := t.TempDir()
	rel := func(p string) string {
		abs, err := filepath.Abs(filepath.Join("..", "manifests", p))
		if err != nil {
			t.Fatal(err)
		}
		r, err := filepath.Rel(dir, abs)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var b strings.Builder
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		fmt.Fprintf(&b, "  - %s\n", rel(r))
	}
	if len(components) > 0 {
		b.WriteString("components:\n")
		for _, c := range components {
			fmt.Fprintf(&b, "  - %s\n", rel(c))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return run(t, tool(t, "KUBECTL"), "kustomize", dir)
}

// objects parses rendered YAML into objects keyed "Kind namespace/name", normalised: the one annotation
// the chart adds on purpose (helm.sh/resource-policy: keep on the CRD, so that uninstalling the release
// keeps every ObjectStore) is removed, and an annotations map it leaves empty with it.
func objects(t *testing.T, rendered []byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(rendered), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("decoding rendered objects: %v", err)
		}
		if obj == nil {
			continue
		}
		meta, _ := obj["metadata"].(map[string]any)
		if ann, ok := meta["annotations"].(map[string]any); ok {
			delete(ann, "helm.sh/resource-policy")
			if len(ann) == 0 {
				delete(meta, "annotations")
			}
		}
		key := fmt.Sprintf("%s %v/%v", obj["kind"], meta["namespace"], meta["name"])
		if _, dup := out[key]; dup {
			t.Fatalf("%s is rendered twice", key)
		}
		out[key] = obj
	}
	return out
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// same compares the chart's objects with kustomize's, naming each object that differs and how.
func same(t *testing.T, chart, kust []byte) {
	t.Helper()
	c, k := objects(t, chart), objects(t, kust)
	if !reflect.DeepEqual(keys(c), keys(k)) {
		t.Errorf("the chart renders\n  %s\nkustomize\n  %s", strings.Join(keys(c), "\n  "), strings.Join(keys(k), "\n  "))
	}
	for key, want := range k {
		got, ok := c[key]
		if !ok || reflect.DeepEqual(got, want) {
			continue
		}
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s differs:\n%s", key, firstDifference(string(g), string(w)))
	}
}

// firstDifference shows the lines around where two JSON renderings part.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			lo := max(0, i-4)
			return fmt.Sprintf("chart:\n%s\nkustomize:\n%s", strings.Join(g[lo:min(len(g), i+4)], "\n"), strings.Join(w[lo:min(len(w), i+4)], "\n"))
		}
	}
	return ""
}

// The chart's values map onto the kustomize overlays and components one for one.
func TestChartRendersTheKustomizeInstalls(t *testing.T) {
	for _, c := range []struct {
		name       string
		sets       []string
		resources  []string
		components []string
	}{
		{"default values = manifests/default", nil, []string{"default"}, nil},
		{"certs.mode=cert-manager = manifests/cert-manager", []string{"certs.mode=cert-manager"}, []string{"cert-manager"}, nil},
		{"crds.install=false = manifests/beside-plugin", []string{"crds.install=false"}, []string{"beside-plugin"}, nil},
		{"secretChecks=off = the no-secret-reads component", []string{"secretChecks=off"}, []string{"default"}, []string{"components/no-secret-reads"}},
		{"monitoring.enabled = manifests/monitoring beside the default", []string{"monitoring.enabled=true"}, []string{"default", "monitoring"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			same(t, helmTemplate(t, c.sets...), kustomize(t, c.resources, c.components))
		})
	}
}

func TestChartLints(t *testing.T) {
	for _, sets := range [][]string{nil, {"certs.mode=cert-manager", "monitoring.enabled=true", "crds.install=false"}} {
		args := []string{"lint", "--strict", "objectstore-webhook"}
		for _, s := range sets {
			args = append(args, "--set", s)
		}
		out := run(t, tool(t, "HELM"), args...)
		if !strings.Contains(string(out), "0 chart(s) failed") {
			t.Errorf("helm lint %v:\n%s", sets, out)
		}
	}
}

// Values that have no kustomize overlay land where they should.
func TestChartValues(t *testing.T) {
	objs := objects(t, helmTemplate(t, "webhooks.pods.failurePolicy=Ignore", "webhooks.objectstores.failurePolicy=Ignore",
		"port=9443", "replicas=3", "image.digest=sha256:0123", "crdCheck=warn", "secretChecks=deny", "priorityClassName="))
	js, _ := json.Marshal(objs)
	s := string(js)
	for _, want := range []string{
		`"failurePolicy":"Ignore","matchConditions"`, // the pod webhook
		`"containerPort":9443`, `"--port=9443"`, `"--crd-check=warn"`, `"--secret-checks=deny"`, `"replicas":3`,
		`"image":"ghcr.io/objectstore-webhook/objectstore-webhook@sha256:0123"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered objects lack %s", want)
		}
	}
	if strings.Contains(s, `"failurePolicy":"Fail"`) || strings.Contains(s, "priorityClassName") {
		t.Errorf("failurePolicy Fail or a priorityClassName is still rendered")
	}
	// values.schema.json refuses what serve would refuse, before anything is installed.
	for _, bad := range []string{"certs.mode=vault", "secretChecks=maybe", "webhooks.pods.failurePolicy=Sometimes", "port=70000"} {
		cmd := exec.Command(tool(t, "HELM"), "template", "objectstore-webhook", "objectstore-webhook", "--set", bad)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "values don't meet the specifications of the schema") {
			t.Errorf("--set %s was not refused by the schema: %v\n%s", bad, err, out)
		}
	}
}
