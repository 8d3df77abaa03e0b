package webhooks

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/objectstore-webhook/objectstore-webhook/"

// packages lists every package of the module with its transitive imports (tests excluded), as go list
// -deps sees them, keyed by the path below the module.
func packages(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		var deps []string
		for _, d := range fields[1:] {
			deps = append(deps, strings.TrimPrefix(d, module))
		}
		pkgs[strings.TrimPrefix(fields[0], module)] = deps
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages:\n%s", len(pkgs), out)
	}
	return pkgs
}

// TestRoomsHaveOneDoor holds the layout CONTRIBUTING.md describes: a webhook package reaches another only
// through the transport, which knows no resource type; harnesses stay out of what ships; the webhook
// server is controller-runtime's.
func TestRoomsHaveOneDoor(t *testing.T) {
	pkgs := packages(t)
	var resources []string
	for p := range pkgs {
		if strings.HasPrefix(p, "webhooks/") && p != "webhooks/admission" {
			resources = append(resources, p)
		}
	}
	slices.Sort(resources)
	if len(resources) < 3 {
		t.Fatalf("found webhook packages %v, want objectstore, cluster and pod at least", resources)
	}
	for _, p := range resources {
		for _, d := range pkgs[p] {
			if strings.HasPrefix(d, "webhooks/") && d != "webhooks/admission" {
				t.Errorf("%s imports %s: webhook packages share code through internal/ (binding, addpatch, jsonscan), not through each other", p, d)
			}
		}
	}
	for _, d := range pkgs["webhooks/admission"] {
		if strings.HasPrefix(d, "schema/") || strings.HasPrefix(d, "webhooks/") {
			t.Errorf("the transport webhooks/admission imports %s: a resource's type and decoder come with its package, through admission.Codec", d)
		}
	}
	for p, deps := range pkgs {
		if strings.HasPrefix(p, "internal/harness/") || p == "cmd/localcluster" || strings.HasPrefix(p, "e2e") {
			continue
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "internal/harness/") {
				t.Errorf("%s imports the test harness %s", p, d)
			}
		}
	}
	if !slices.Contains(pkgs["cmd/objectstore-webhook"], "sigs.k8s.io/controller-runtime/pkg/webhook") {
		t.Error("cmd/objectstore-webhook does not serve through sigs.k8s.io/controller-runtime/pkg/webhook")
	}
}
