//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/livesettings"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// settingsPoll is how long the settings controller may take to render after an event: it reacts to the
// informer's event at once, so this is a budget for a loaded machine, not an expected delay.
const settingsPoll = 60 * time.Second

// TestSettingsFollowTheStore: the injected pod references Secrets only through optional volumes and has
// no credential in env; the settings controller renders the Cluster's ConfigMap with the store's
// settings, owned by the Cluster; an edit of the store's compression and destinationPath reaches the
// ConfigMap, read back through the API server.
func TestSettingsFollowTheStore(t *testing.T) {
	ns := namespace(t)
	if res := kubectl(t, "apply", "-n", ns, "-f", "testdata/settings/store-and-cluster.yaml"); res.ExitCode != 0 {
		t.Fatalf("applying the store and Cluster: %s", res.Stderr)
	}
	if res := kubectl(t, "create", "-n", ns, "-f", "testdata/mutation/instance-pod.yaml"); res.ExitCode != 0 {
		t.Fatalf("creating the instance pod: %s", res.Stderr)
	}
	var p corev1.Pod
	getJSON(t, ns, "pod", "pg-1", &p)
	assertOnlyOptionalSecrets(t, &p)

	settings := waitSettings(t, ns, "pg", func(m map[string]string) bool {
		return m[contract.Compression.Env] == "gzip"
	})
	for k, want := range map[string]string{
		contract.DestinationPath.Env: "s3://backups/pg", contract.ServerName.Env: "pg", contract.Provider.Env: "s3",
		contract.EndpointURL.Env: "https://minio.example:9000", contract.Encryption.Env: "",
	} {
		if got, ok := settings[k]; !ok || got != want {
			t.Errorf("settings %s = %q (present %v), want %q", k, got, ok, want)
		}
	}

	// The edit a person makes: new compression, new destination.
	patch := `{"spec":{"configuration":{"destinationPath":"s3://elsewhere/pg","wal":{"compression":"zstd"}}}}`
	if res := kubectl(t, "patch", "-n", ns, "objectstores.barmancloud.cnpg.io", "keys", "--type=merge", "-p", patch); res.ExitCode != 0 {
		t.Fatalf("editing the ObjectStore: %s", res.Stderr)
	}
	edited := waitSettings(t, ns, "pg", func(m map[string]string) bool {
		return m[contract.Compression.Env] == "zstd" && m[contract.DestinationPath.Env] == "s3://elsewhere/pg"
	})
	assertArchiverReads(t, &p, edited)

	// envtest runs no garbage collector: what deletes the ConfigMap with the Cluster is its owner reference.
	var c cnpgv1.Cluster
	getJSON(t, ns, "clusters.postgresql.cnpg.io", "pg", &c)
	var cm corev1.ConfigMap
	getJSON(t, ns, "configmap", contract.SettingsConfigMapName("pg"), &cm)
	if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != c.UID || cm.OwnerReferences[0].Kind != "Cluster" {
		t.Errorf("ConfigMap owner references %+v, want the Cluster (uid %s)", cm.OwnerReferences, c.UID)
	}
	if cm.Labels["app.kubernetes.io/managed-by"] != "objectstore-webhook" {
		t.Errorf("ConfigMap labels %v lack app.kubernetes.io/managed-by=objectstore-webhook", cm.Labels)
	}

	// A deleted ConfigMap comes back (the controller watches its own).
	if err := cluster.Client().Delete(context.Background(), &cm); err != nil {
		t.Fatal(err)
	}
	waitSettings(t, ns, "pg", func(m map[string]string) bool { return m[contract.Compression.Env] == "zstd" })
}

// waitSettings polls the Cluster's settings ConfigMap through the API server until ok holds.
func waitSettings(t *testing.T, ns, clusterName string, ok func(map[string]string) bool) map[string]string {
	t.Helper()
	deadline := time.Now().Add(settingsPoll)
	var last string
	for {
		var cm corev1.ConfigMap
		err := cluster.Client().Get(context.Background(),
			types.NamespacedName{Namespace: ns, Name: contract.SettingsConfigMapName(clusterName)}, &cm)
		if err == nil {
			last = cm.Data[contract.SettingsKey]
			var m map[string]string
			if json.Unmarshal([]byte(last), &m) == nil && ok(m) {
				return m
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("settings ConfigMap of %s/%s not as expected within %s; last: %s", ns, clusterName, settingsPoll, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertOnlyOptionalSecrets: no secretKeyRef and no credential variable in the archiver's env, and every
// Secret it mounts is optional.
func assertOnlyOptionalSecrets(t *testing.T, p *corev1.Pod) {
	t.Helper()
	var archiver *corev1.Container
	for i := range p.Spec.InitContainers {
		if p.Spec.InitContainers[i].Name == contract.SidecarName {
			archiver = &p.Spec.InitContainers[i]
		}
	}
	if archiver == nil {
		t.Fatalf("no %s in the stored pod", contract.SidecarName)
	}
	credentials := []string{contract.EnvAWSAccessKeyID, contract.EnvAWSSecretAccessKey, contract.EnvAWSSessionToken,
		contract.EnvAWSRegion}
	dir := ""
	for _, e := range archiver.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil || slices.Contains(credentials, e.Name) {
			t.Errorf("env %s carries a credential", e.Name)
		}
		if e.Name == contract.CredentialsDir.Env {
			dir = e.Value
		}
	}
	if dir != contract.MountCredentials {
		t.Errorf("%s = %q, want %s", contract.CredentialsDir.Env, dir, contract.MountCredentials)
	}
	mounted := map[string]bool{}
	for _, m := range archiver.VolumeMounts {
		mounted[m.Name] = true
	}
	var files []string
	for _, v := range p.Spec.Volumes {
		if !mounted[v.Name] {
			continue
		}
		switch {
		case v.Secret != nil && (v.Secret.Optional == nil || !*v.Secret.Optional):
			t.Errorf("Secret volume %s is not optional", v.Name)
		case v.ConfigMap != nil && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional):
			t.Errorf("ConfigMap volume %s is not optional", v.Name)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret == nil {
					continue
				}
				if src.Secret.Optional == nil || !*src.Secret.Optional {
					t.Errorf("projected Secret %s of %s is not optional", src.Secret.Name, v.Name)
				}
				for _, it := range src.Secret.Items {
					files = append(files, fmt.Sprintf("%s/%s<-%s", src.Secret.Name, it.Path, it.Key))
				}
			}
		}
	}
	if want := []string{"aws-creds/AWS_ACCESS_KEY_ID<-ACCESS_KEY_ID", "aws-creds/AWS_SECRET_ACCESS_KEY<-ACCESS_SECRET_KEY"}; !slices.Equal(files, want) {
		t.Errorf("credential files %v, want %v", files, want)
	}
}

// assertArchiverReads gives wal-archiver's own settings lookup what the running sidecar has: the injected
// pod's env (the values at injection) and the rendered file as the kubelet mounts it, read back through the
// API server. The file's values must win: that is how an edit reaches a running archiver.
func assertArchiverReads(t *testing.T, p *corev1.Pod, rendered map[string]string) {
	t.Helper()
	env := map[string]string{}
	for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name != contract.SidecarName {
			continue
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				env[e.Name] = e.Value
			}
		}
	}
	if env[contract.SettingsFile.Env] != contract.FileSettings {
		t.Fatalf("the sidecar's %s = %q, want %q", contract.SettingsFile.Env, env[contract.SettingsFile.Env], contract.FileSettings)
	}
	if env[contract.DestinationPath.Env] != "s3://backups/pg" {
		t.Fatalf("the sidecar's env names %q; the test needs the value at injection", env[contract.DestinationPath.Env])
	}
	body, err := json.Marshal(rendered)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), contract.SettingsKey)
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	env[contract.SettingsFile.Env] = file // where the kubelet would mount it
	src := &livesettings.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	snap := src.Load()
	if err := snap.Problem(); err != nil {
		t.Fatalf("wal-archiver cannot read the rendered settings: %v", err)
	}
	got := storeconfig.SettingsFromEnv(snap.Getenv)
	loc, err := storeconfig.ParseDestination(got.DestinationPath, got.Provider)
	if err != nil {
		t.Fatalf("the rendered destination %q does not parse: %v", got.DestinationPath, err)
	}
	if loc.Bucket != "elsewhere" || snap.Getenv(contract.Compression.Env) != "zstd" {
		t.Errorf("wal-archiver reads bucket %q compression %q, want the edited elsewhere and zstd", loc.Bucket, snap.Getenv(contract.Compression.Env))
	}
}
