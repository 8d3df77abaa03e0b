//go:build integration

package besideplugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/localcluster"
	"github.com/objectstore-webhook/objectstore-webhook/manifests/crd"
)

var (
	cluster    *localcluster.Cluster
	root       string
	webhookBin string
)

const (
	crdName = "objectstores.barmancloud.cnpg.io"
	// What the stand-in for the plugin's newer CRD carries that ours does not.
	pluginAnnotation = "barmancloud.cnpg.io/installed-by"
	pluginField      = "fromNewerPlugin"
)

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	os.Exit(run(m))
}

// pluginCRD stands in for the Barman Cloud Plugin's own, newer CRD: ours (the same v0.14 schema) with an
// annotation of the plugin's and one more field, so that a test can tell whose CRD is installed.
func pluginCRD() ([]byte, error) {
	var obj map[string]any
	if err := yaml.Unmarshal(crd.ObjectStores, &obj); err != nil {
		return nil, err
	}
	meta := obj["metadata"].(map[string]any)
	meta["annotations"] = map[string]any{pluginAnnotation: "plugin-barman-cloud"}
	v := obj["spec"].(map[string]any)["versions"].([]any)[0].(map[string]any)
	spec := v["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)["properties"].(map[string]any)["spec"].(map[string]any)
	conf := spec["properties"].(map[string]any)["configuration"].(map[string]any)
	conf["properties"].(map[string]any)[pluginField] = map[string]any{"type": "string"}
	return yaml.Marshal(obj)
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "besideplugin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "besideplugin:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := start(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "besideplugin:", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		if log, err := os.ReadFile(cluster.WebhookLogPath()); err == nil {
			fmt.Fprintf(os.Stderr, "besideplugin: webhook output:\n%s\n", log)
		}
	}
	if err := cluster.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "besideplugin: stopping the local cluster:", err)
		code = 1
	}
	return code
}

// start writes the plugin's CRD under tmp and starts the control plane with it installed before the
// webhook; the overlay brings no CRD. The webhook runs with the overlay's RBAC, so its CRD check passing
// shows the `get` grant is enough.
func start(tmp string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if root, err = localcluster.FindRoot(); err != nil {
		return err
	}
	if webhookBin, err = localcluster.TestWebhookBinary(ctx, root, tmp); err != nil {
		return err
	}
	plugin, err := pluginCRD()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "plugin"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "plugin", "objectstores.yaml"), plugin, 0o644); err != nil {
		return err
	}
	cluster, err = localcluster.Start(ctx, localcluster.Options{
		Root:          root,
		ManifestsDir:  filepath.Join(root, "manifests", "beside-plugin"),
		WebhookBinary: webhookBin,
		ExtraCRDPaths: []string{filepath.Join(tmp, "plugin"), filepath.Join(root, "e2e", "testdata", "crd")},
	})
	if err != nil {
		return fmt.Errorf("starting the local cluster: %w", err)
	}
	return nil
}
