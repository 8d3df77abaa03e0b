//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// TestMutation goes the way CloudNativePG does: kubectl applies a store and a Cluster, the operator's
// ServiceAccount is created from the Cluster as stored, then the instance pod. The stored Cluster carries
// the store's IRSA role; the stored pod carries the archiver with the EKS webhook's token and env.
func TestMutation(t *testing.T) {
	ns := namespace(t)
	if res := kubectl(t, "apply", "-n", ns, "-f", "testdata/mutation/store-and-cluster.yaml"); res.ExitCode != 0 {
		t.Fatalf("applying the store and Cluster: %s", res.Stderr)
	}
	const role = "arn:aws:iam::123456789012:role/pg-backup"
	var c cnpgv1.Cluster
	getJSON(t, ns, "clusters.postgresql.cnpg.io", "pg", &c)
	if c.Spec.ServiceAccountTemplate == nil {
		t.Fatalf("stored Cluster has no serviceAccountTemplate: %+v", c.Spec)
	}
	ann := c.Spec.ServiceAccountTemplate.Metadata.Annotations
	if ann[contract.AWSRoleARNAnnotation] != role || ann["team"] != "payments" {
		t.Fatalf("stored serviceAccountTemplate annotations %v, want the role and the user's own", ann)
	}

	// What the operator does next: the ServiceAccount from the template, then the pod.
	sa := corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Annotations: ann}}
	saJSON, err := json.Marshal(sa)
	if err != nil {
		t.Fatal(err)
	}
	if res := kubectlIn(t, saJSON, "create", "-n", ns, "-f", "-"); res.ExitCode != 0 {
		t.Fatalf("creating the ServiceAccount: %s", res.Stderr)
	}
	if res := kubectl(t, "create", "-n", ns, "-f", "testdata/mutation/instance-pod.yaml"); res.ExitCode != 0 {
		t.Fatalf("creating the instance pod: %s", res.Stderr)
	}
	var p corev1.Pod
	getJSON(t, ns, "pod", "pg-1", &p)

	if p.Annotations[contract.PodInjected] == "" {
		t.Errorf("no %s annotation", contract.PodInjected)
	}
	var archiver *corev1.Container
	for i := range p.Spec.InitContainers {
		if p.Spec.InitContainers[i].Name == contract.SidecarName {
			archiver = &p.Spec.InitContainers[i]
		}
	}
	if archiver == nil {
		t.Fatalf("no %s init container (native sidecar) in the stored pod: %+v", contract.SidecarName, p.Spec.InitContainers)
	}
	if p.Spec.InitContainers[0].Name != "bootstrap-controller" || len(p.Spec.Containers) != 1 || p.Spec.Containers[0].Name != "postgres" {
		t.Errorf("the operator's containers were changed: init %v, containers %v", names(p.Spec.InitContainers), names(p.Spec.Containers))
	}
	if archiver.RestartPolicy == nil || *archiver.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Error("the archiver is not a native sidecar (restartPolicy Always)")
	}
	env := map[string]string{}
	for _, e := range archiver.Env {
		env[e.Name] = e.Value
	}
	for name, want := range map[string]string{
		contract.EnvAWSRoleARN:              role,
		contract.EnvAWSWebIdentityTokenFile: contract.FileAWSToken,
		contract.DestinationPath.Env:        "s3://backups/pg",
		contract.ServerName.Env:             "pg",
		contract.Compression.Env:            "zstd",
		contract.EnvPGUser:                  contract.ReplicationUser,
		contract.EnvPGSSLMode:               "verify-ca",
	} {
		if env[name] != want {
			t.Errorf("archiver env %s = %q, want %q", name, env[name], want)
		}
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range p.Spec.Volumes {
		volumes[v.Name] = v
	}
	token, ok := volumes[contract.VolumeAWSToken]
	if !ok || token.Projected == nil || len(token.Projected.Sources) != 1 ||
		token.Projected.Sources[0].ServiceAccountToken == nil ||
		token.Projected.Sources[0].ServiceAccountToken.Audience != "sts.amazonaws.com" {
		t.Errorf("no IRSA token volume: %+v", token)
	}
	if repl, ok := volumes[contract.VolumeReplication]; !ok || repl.Secret == nil || repl.Secret.SecretName != "pg-replication" {
		t.Errorf("replication certificate volume: %+v", repl)
	}
	for _, want := range []string{"pgdata", "scratch-data"} {
		if _, ok := volumes[want]; !ok {
			t.Errorf("the pod lost its volume %s", want)
		}
	}
}

// TestMutationRefusesSharedServerName: a second Cluster archiving into the same store under the same
// server name is refused with the reason.
func TestMutationRefusesSharedServerName(t *testing.T) {
	ns := namespace(t)
	if res := kubectl(t, "apply", "-n", ns, "-f", "testdata/mutation/store-and-cluster.yaml"); res.ExitCode != 0 {
		t.Fatalf("applying the store and Cluster: %s", res.Stderr)
	}
	res := kubectl(t, "apply", "-n", ns, "-f", "testdata/mutation/same-server-name.yaml")
	if res.ExitCode == 0 {
		t.Fatal("the second Cluster was admitted")
	}
	if !strings.Contains(res.Stderr, "Cluster pg already archives") {
		t.Errorf("refusal does not name the other Cluster: %s", res.Stderr)
	}
}

// TestMutationStoreMissing: the pod of a Cluster whose store does not exist is admitted without the
// archiver; kubectl shows why, and an Event on the Cluster says it too.
func TestMutationStoreMissing(t *testing.T) {
	ns := namespace(t)
	res := kubectl(t, "apply", "-n", ns, "-f", "testdata/mutation/orphan.yaml")
	if res.ExitCode != 0 {
		t.Fatalf("refused: %s", res.Stderr)
	}
	for _, want := range []string{`ObjectStore "not-yet" not found`, "wal-archiver not injected"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("kubectl stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	var p corev1.Pod
	getJSON(t, ns, "pod", "orphan-1", &p)
	if len(p.Spec.InitContainers) != 0 || len(p.Spec.Containers) != 1 {
		t.Errorf("the pod was changed: %v %v", names(p.Spec.InitContainers), names(p.Spec.Containers))
	}
	// The recorder writes Events in the background: wait for it, bounded.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		ev := kubectl(t, "get", "events.events.k8s.io", "-n", ns, "--field-selector", "reason=ArchiverNotInjected",
			"-o", "jsonpath={range .items[*]}{.regarding.kind}/{.regarding.name}: {.note}{\"\\n\"}{end}")
		if strings.Contains(ev.Stdout, "Cluster/orphan: pod orphan-1") {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no ArchiverNotInjected Event on Cluster orphan: %q %s", ev.Stdout, ev.Stderr)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// TestMutationSkipsSystemNamespaces: the webhook configurations' namespaceSelector keeps kube-system away
// from the webhook, so that the control plane's own pods never wait on it. The same store, Cluster and
// instance pod that TestMutation gets injected stay as they are there.
func TestMutationSkipsSystemNamespaces(t *testing.T) {
	const ns = "kube-system"
	t.Cleanup(func() {
		kubectl(t, "delete", "-n", ns, "--ignore-not-found", "-f", "testdata/mutation/instance-pod.yaml")
		kubectl(t, "delete", "-n", ns, "--ignore-not-found", "-f", "testdata/mutation/store-and-cluster.yaml")
		kubectl(t, "delete", "-n", ns, "--ignore-not-found", "serviceaccount", "pg")
	})
	if res := kubectl(t, "apply", "-n", ns, "-f", "testdata/mutation/store-and-cluster.yaml"); res.ExitCode != 0 {
		t.Fatalf("applying the store and Cluster: %s", res.Stderr)
	}
	var c cnpgv1.Cluster
	getJSON(t, ns, "clusters.postgresql.cnpg.io", "pg", &c)
	if tmpl := c.Spec.ServiceAccountTemplate; tmpl != nil && tmpl.Metadata.Annotations[contract.AWSRoleARNAnnotation] != "" {
		t.Errorf("the Cluster in %s was mutated: %v", ns, tmpl.Metadata.Annotations)
	}
	if res := kubectl(t, "create", "-n", ns, "serviceaccount", "pg"); res.ExitCode != 0 {
		t.Fatalf("creating the ServiceAccount: %s", res.Stderr)
	}
	res := kubectl(t, "create", "-n", ns, "-f", "testdata/mutation/instance-pod.yaml")
	if res.ExitCode != 0 {
		t.Fatalf("creating the instance pod: %s", res.Stderr)
	}
	if strings.Contains(res.Stderr, "wal-archiver") {
		t.Errorf("the webhook answered for a pod in %s: %s", ns, res.Stderr)
	}
	var p corev1.Pod
	getJSON(t, ns, "pod", "pg-1", &p)
	if p.Annotations[contract.PodInjected] != "" || len(p.Spec.InitContainers) != 1 || len(p.Spec.Containers) != 1 {
		t.Errorf("the pod in %s was mutated: annotation %q, init %v, containers %v", ns, p.Annotations[contract.PodInjected],
			names(p.Spec.InitContainers), names(p.Spec.Containers))
	}
}

func getJSON(t *testing.T, ns, resource, name string, into any) {
	t.Helper()
	res := kubectl(t, "get", resource, name, "-n", ns, "-o", "json")
	if res.ExitCode != 0 {
		t.Fatalf("kubectl get %s %s: %s", resource, name, res.Stderr)
	}
	if err := json.Unmarshal([]byte(res.Stdout), into); err != nil {
		t.Fatalf("decoding %s %s: %v", resource, name, err)
	}
}

func names(cs []corev1.Container) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
