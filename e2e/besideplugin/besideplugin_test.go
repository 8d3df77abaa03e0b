//go:build integration

package besideplugin

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/localcluster"
)

func kubectl(t *testing.T, stdin []byte, args ...string) localcluster.Result {
	t.Helper()
	return cluster.MustKubectl(t, stdin, args...)
}

func crdField(t *testing.T, jsonpath string) string {
	t.Helper()
	res := kubectl(t, nil, "get", "crd", crdName, "-o", "jsonpath="+jsonpath)
	if res.ExitCode != 0 {
		t.Fatalf("kubectl get crd %s: %s", crdName, res.Stderr)
	}
	return res.Stdout
}

// repointWebhooks points the webhook configurations kubectl just applied (clientConfig: the Service,
// which has no pods here) at the harness's webhook process, as the harness did at start.
func repointWebhooks(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: kind})
		if err := cluster.Client().Get(ctx, client.ObjectKey{Name: "objectstore-webhook"}, u); err != nil {
			t.Fatal(err)
		}
		if err := localcluster.PointWebhooksAt([]*unstructured.Unstructured{u}, "127.0.0.1", cluster.WebhookPort(), cluster.CAPEM()); err != nil {
			t.Fatal(err)
		}
		if err := cluster.Client().Update(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

// TestApplyLeavesThePluginsCRDAlone: `kubectl apply -k manifests/beside-plugin` over the plugin's CRD
// does not touch it (same resourceVersion, its annotation and extra field kept), and ObjectStores are
// still validated by the webhook.
func TestApplyLeavesThePluginsCRDAlone(t *testing.T) {
	before := crdField(t, "{.metadata.resourceVersion}")
	// The harness created the webhook configurations pointed at 127.0.0.1 with `url:`; a client-side apply
	// would merge the manifest's `service:` next to it, which the API server refuses. Remove them, so that
	// the apply is an install as a user's would be.
	if res := kubectl(t, nil, "delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", "objectstore-webhook"); res.ExitCode != 0 {
		t.Fatalf("deleting the harness's webhook configurations: %s", res.Stderr)
	}
	res := kubectl(t, nil, "apply", "-k", filepath.Join(root, "manifests", "beside-plugin"))
	if res.ExitCode != 0 {
		t.Fatalf("kubectl apply -k manifests/beside-plugin exited %d: %s", res.ExitCode, res.Stderr)
	}
	if strings.Contains(res.Stdout, "customresourcedefinition") {
		t.Errorf("the overlay applied a CRD:\n%s", res.Stdout)
	}
	for _, want := range []string{"deployment.apps/objectstore-webhook created", "validatingwebhookconfiguration.admissionregistration.k8s.io/objectstore-webhook created"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("kubectl apply did not report %q:\n%s", want, res.Stdout)
		}
	}
	if after := crdField(t, "{.metadata.resourceVersion}"); after != before {
		t.Errorf("the CRD's resourceVersion moved from %s to %s", before, after)
	}
	if got := crdField(t, "{.metadata.annotations.barmancloud\\.cnpg\\.io/installed-by}"); got != "plugin-barman-cloud" {
		t.Errorf("the plugin's annotation is %q after the apply", got)
	}
	if got := crdField(t, "{.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.configuration.properties."+pluginField+".type}"); got != "string" {
		t.Errorf("the plugin's extra field is gone from the CRD (type %q)", got)
	}

	repointWebhooks(t)
	ns := "beside-plugin"
	if res := kubectl(t, nil, "create", "namespace", ns); res.ExitCode != 0 {
		t.Fatal(res.Stderr)
	}
	bad := filepath.Join(root, "e2e", "testdata", "refused", "s3-bucket-underscore.yaml")
	want := `the bucket name is invalid: use lowercase letters`
	// The API server picks up the updated configurations through its own watch; until then the call
	// goes to the Service, which has no pods, and fails closed with another message.
	deadline := time.Now().Add(60 * time.Second)
	for {
		res := kubectl(t, nil, "apply", "-n", ns, "-f", bad)
		if res.ExitCode != 0 && strings.Contains(res.Stderr, want) {
			break
		}
		if res.ExitCode == 0 {
			t.Fatalf("an invalid ObjectStore was admitted beside the plugin's CRD:\n%s", res.Stdout)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the invalid ObjectStore was refused, but not by the webhook: %s", res.Stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res := kubectl(t, nil, "apply", "-n", ns, "-f", filepath.Join(root, "examples", "s3-keys.yaml")); res.ExitCode != 0 {
		t.Errorf("a valid ObjectStore was refused: %s", res.Stderr)
	}
}

// readyz returns the webhook's /readyz status and body.
func readyz(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + cluster.MetricsAddr() + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitReadyz(t *testing.T, done <-chan struct{}, what string, ok func(int, string) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := readyz(t)
		if ok(code, body) {
			return
		}
		select {
		case <-done:
			t.Fatalf("the webhook exited while waiting for %s", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: /readyz answers %d %q", what, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCRDLackingAFieldHoldsReadiness: started beside a CRD without a field we validate, the webhook stays
// unready and says which field and what to do; once the CRD has it again, it becomes ready on its own.
func TestCRDLackingAFieldHoldsReadiness(t *testing.T) {
	const removed = "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/configuration/properties/googleCredentials"
	saved := crdField(t, "{.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.configuration.properties.googleCredentials}")
	if res := kubectl(t, nil, "patch", "crd", crdName, "--type=json", "-p", `[{"op":"remove","path":"`+removed+`"}]`); res.ExitCode != 0 {
		t.Fatalf("removing googleCredentials from the CRD: %s", res.Stderr)
	}
	if err := cluster.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.StartWebhook(context.Background()); err != nil {
			t.Errorf("restarting the harness's webhook: %v", err)
		}
	})

	logPath := filepath.Join(t.TempDir(), "webhook.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(webhookBin, append(cluster.WebhookArgs(), "--crd-check-interval=1s")...)
	cmd.Env = append(os.Environ(), "POD_NAMESPACE=objectstore-webhook-system")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(done) }()
	// Registered after StartWebhook's cleanup, so it runs first: the port is free again for the harness.
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("webhook output:\n%s", b)
		}
	})

	wantWhy := "lacks 1 field(s) this webhook validates, which the API server would prune from every ObjectStore: spec.configuration.googleCredentials. Upgrade the Barman Cloud Plugin"
	waitReadyz(t, done, "/readyz to name the missing field", func(code int, body string) bool {
		return code == http.StatusServiceUnavailable && strings.Contains(body, wantWhy)
	})
	if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), "spec.configuration.googleCredentials") {
		t.Errorf("the log does not name the missing field:\n%s", b)
	}

	if res := kubectl(t, nil, "patch", "crd", crdName, "--type=json", "-p", `[{"op":"add","path":"`+removed+`","value":`+saved+`}]`); res.ExitCode != 0 {
		t.Fatalf("restoring googleCredentials: %s", res.Stderr)
	}
	waitReadyz(t, done, "/readyz to turn ready once the CRD has the field", func(code int, _ string) bool {
		return code == http.StatusOK
	})
}
