//go:build integration

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// webhookDenial is how the API server prefixes a denial by the ObjectStore webhook. kubectl does not print
// it for an Invalid status (it prints the causes), so the tests read it from the API server's answer.
const webhookDenial = `admission webhook "objectstores.objectstore-webhook.io" denied the request`

// refusedCase is one manifest holding a single ObjectStore that must be refused. Its header says why:
// one "# deny: FIELD" line per field kubectl must name, "# crd: ..." when the CRD schema refuses it before
// the webhook is called, and (in the rules' testdata) "# error: MESSAGE" with the webhook's exact line.
type refusedCase struct {
	source, name, path string
	deny               []string
	crd                bool
	errorLine          string
	obj                *unstructured.Unstructured
}

func loadRefused(t *testing.T, source, dir string) []refusedCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []refusedCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := refusedCase{source: source, name: strings.TrimSuffix(filepath.Base(f), ".yaml"), path: f}
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(line, "#") {
				break
			}
			if v, ok := strings.CutPrefix(line, "# deny: "); ok {
				c.deny = append(c.deny, v)
			}
			if v, ok := strings.CutPrefix(line, "# error: "); ok {
				c.errorLine = v
			}
			c.crd = c.crd || strings.HasPrefix(line, "# crd:")
		}
		if len(c.deny) == 0 {
			t.Fatalf("%s: no '# deny: FIELD' header line", f)
		}
		c.obj = &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &c.obj.Object); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.obj.GetKind() != "ObjectStore" {
			t.Fatalf("%s: holds a %s, want one ObjectStore", f, c.obj.GetKind())
		}
		cases = append(cases, c)
	}
	return cases
}

// TestRefused applies every broken store, ours and the rules' own testdata, and checks kubectl's exact
// output against a golden file; the same verdict with --dry-run=server; that nothing is stored; and which
// layer refused it: the CRD schema, or the webhook. A webhook that is not called fails every case without
// a "# crd:" line, because the schema accepts those stores.
func TestRefused(t *testing.T) {
	ns := namespace(t)
	if res := kubectl(t, "apply", "-n", ns, "-f", "testdata/secrets.yaml"); res.ExitCode != 0 {
		t.Fatalf("applying the fixture Secret: %+v", res)
	}
	cases := append(loadRefused(t, "e2e", "testdata/refused"),
		loadRefused(t, "rules", filepath.Join(root, "webhooks", "objectstore", "testdata", "refused"))...)
	if len(cases) < 20 {
		t.Fatalf("%d refused cases, want at least 20", len(cases))
	}
	var layers []string
	for _, c := range cases {
		layer := "webhook"
		if c.crd {
			layer = "schema"
		}
		layers = append(layers, c.source+"/"+c.name+": "+layer)
		t.Run(c.source+"/"+c.name, func(t *testing.T) { checkRefused(t, ns, c) })
	}
	sort.Strings(layers)
	golden(t, "refused/layers.txt", strings.Join(layers, "\n")+"\n")
}

func checkRefused(t *testing.T, ns string, c refusedCase) {
	dry := kubectl(t, "apply", "--dry-run=server", "-n", ns, "-f", c.path)
	res := kubectl(t, "apply", "-n", ns, "-f", c.path)
	if res.ExitCode == 0 {
		t.Fatalf("admitted, want refused:\nstdout: %s\nstderr: %s", res.Stdout, res.Stderr)
	}
	golden(t, "refused/"+c.source+"/"+c.name+".txt", res.Stderr)
	// Warnings may name the same field; the refusal is what follows them.
	var refusal []string
	for _, line := range strings.Split(res.Stderr, "\n") {
		if !strings.HasPrefix(line, "Warning: ") {
			refusal = append(refusal, line)
		}
	}
	for _, field := range c.deny {
		if !strings.Contains(strings.Join(refusal, "\n"), field) {
			t.Errorf("kubectl's refusal does not name %s:\n%s", field, res.Stderr)
		}
	}
	if c.errorLine != "" && !c.crd && !strings.Contains(res.Stderr, c.errorLine) {
		t.Errorf("kubectl's output does not hold the webhook's line %q:\n%s", c.errorLine, res.Stderr)
	}
	if dry.ExitCode != res.ExitCode || dry.Stderr != res.Stderr {
		t.Errorf("--dry-run=server answered differently (exit %d):\n%s\nwithout it (exit %d):\n%s", dry.ExitCode, dry.Stderr, res.ExitCode, res.Stderr)
	}
	assertNotStored(t, ns, c.obj.GetName())

	obj := c.obj.DeepCopy()
	obj.SetNamespace(ns)
	err := cluster.Client().Create(context.Background(), obj, client.DryRunAll, client.FieldValidation("Strict"))
	switch {
	case err == nil:
		t.Errorf("the API server admitted it through the Go client")
	case c.crd && strings.Contains(err.Error(), webhookDenial):
		t.Errorf("refused by the webhook, but the header says the CRD schema refuses it first: %v", err)
	case !c.crd && !strings.Contains(err.Error(), webhookDenial):
		t.Errorf("not refused by the webhook (is it called?): %v", err)
	}
}

func assertNotStored(t *testing.T, ns, name string) {
	t.Helper()
	res := kubectl(t, "get", "objectstores.barmancloud.cnpg.io", name, "-n", ns)
	want := `Error from server (NotFound): objectstores.barmancloud.cnpg.io "` + name + `" not found` + "\n"
	if res.ExitCode == 0 || res.Stderr != want {
		t.Errorf("ObjectStore %s/%s: kubectl get exited %d, printed %q %q; want it not stored", ns, name, res.ExitCode, res.Stdout, res.Stderr)
	}
}

// TestWebhookIsCalled applies the store `make run` suggests to newcomers: the CRD schema accepts an access
// key ID without its secret access key, so only a called webhook refuses it.
func TestWebhookIsCalled(t *testing.T) {
	ns := namespace(t)
	const file = "testdata/broken/s3-half-credentials.yaml"
	res := kubectl(t, "apply", "-n", ns, "-f", file)
	if res.ExitCode == 0 {
		t.Fatalf("admitted: the webhook was not called or did not refuse\nstdout: %s\nstderr: %s", res.Stdout, res.Stderr)
	}
	if res.Stdout != "secret/half-credentials created\n" {
		t.Errorf("stdout %q, want the Secret created", res.Stdout)
	}
	golden(t, "broken/s3-half-credentials.txt", res.Stderr)
	assertNotStored(t, ns, "half-credentials")

	store := &unstructured.Unstructured{}
	store.SetAPIVersion("barmancloud.cnpg.io/v1")
	store.SetKind("ObjectStore")
	store.SetName("half-credentials")
	store.SetNamespace(ns)
	_ = unstructured.SetNestedField(store.Object, "s3://pg-backups/half", "spec", "configuration", "destinationPath")
	_ = unstructured.SetNestedStringMap(store.Object, map[string]string{"name": "half-credentials", "key": "ACCESS_KEY_ID"},
		"spec", "configuration", "s3Credentials", "accessKeyId")
	err := cluster.Client().Create(context.Background(), store, client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), webhookDenial) {
		t.Fatalf("want a denial by the webhook, got %v", err)
	}
}
