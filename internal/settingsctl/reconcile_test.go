package settingsctl

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// TestReconcile: what each state of a Cluster and its store does to the ConfigMap. An unbound Cluster or
// a missing or broken store leaves the last rendered ConfigMap untouched (the archiver keeps its last good
// settings); a bound one is applied.
func TestReconcile(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := cnpgv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := barmanv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	broken := s3Store("broken", func(s *barmanv1.ObjectStore) { s.Spec.Configuration.DestinationPath = "" })
	objs := []client.Object{boundCluster("pg", "store"), boundCluster("plain", ""), boundCluster("orphan", "gone"),
		boundCluster("bad", "broken"), upstreamCluster("plugin", "store"), s3Store("store", nil), broken}
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	for _, tc := range []struct {
		cluster, result string
		applied         bool
		wantErr         bool
	}{
		{"pg", ResultApplied, true, false},
		{"plain", ResultUnbound, false, false},
		{"plugin", ResultUnbound, false, false},
		{"deleted", ResultUnbound, false, false},
		{"orphan", ResultStoreMissing, false, false},
		{"bad", ResultStoreInvalid, false, true},
	} {
		t.Run(tc.cluster, func(t *testing.T) {
			kube := kubefake.NewClientset()
			r := &Controller{Reader: reader, Client: kube, Log: logr.Discard()}
			result, err := r.Reconcile(context.Background(), types.NamespacedName{Namespace: "db", Name: tc.cluster})
			if result != tc.result || (err != nil) != tc.wantErr {
				t.Fatalf("Reconcile = %s, %v; want %s (error %v)", result, err, tc.result, tc.wantErr)
			}
			cm, err := kube.CoreV1().ConfigMaps("db").Get(context.Background(), contract.SettingsConfigMapName(tc.cluster), metav1.GetOptions{})
			switch {
			case !tc.applied && !apierrors.IsNotFound(err):
				t.Errorf("a ConfigMap was written for %s: %v %v", tc.cluster, cm, err)
			case tc.applied && err != nil:
				t.Fatalf("no ConfigMap applied: %v", err)
			case tc.applied:
				var m map[string]string
				if err := json.Unmarshal([]byte(cm.Data[contract.SettingsKey]), &m); err != nil || m[contract.DestinationPath.Env] != "s3://bucket/pg" {
					t.Errorf("applied settings %v (%v)", cm.Data, err)
				}
				if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].Name != tc.cluster || cm.Labels[ManagedByLabel] != ManagedBy {
					t.Errorf("applied ConfigMap metadata %+v", cm.ObjectMeta)
				}
			}
		})
	}
}

// TestReconcileSkipsUnchanged: a ConfigMap that already holds the render is not written again (the resync
// re-renders every Cluster); one whose settings or owner differ is.
func TestReconcileSkipsUnchanged(t *testing.T) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{cnpgv1.AddToScheme, barmanv1.AddToScheme, corev1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	cluster, store := boundCluster("pg", "store"), s3Store("store", nil)
	rendered, err := Render(cluster, store)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		cur    func(*corev1.ConfigMap)
		result string
	}{
		{"same", func(*corev1.ConfigMap) {}, ResultUnchanged},
		{"same, with a label of someone else's", func(cm *corev1.ConfigMap) { cm.Labels["team"] = "db" }, ResultUnchanged},
		{"edited settings", func(cm *corev1.ConfigMap) { cm.Data[contract.SettingsKey] = "{}" }, ResultApplied},
		{"a key added by hand", func(cm *corev1.ConfigMap) { cm.Data["extra"] = "x" }, ResultApplied},
		{"owner of a deleted Cluster of the same name", func(cm *corev1.ConfigMap) { cm.OwnerReferences[0].UID = "old" }, ResultApplied},
		{"our label removed", func(cm *corev1.ConfigMap) { delete(cm.Labels, ManagedByLabel) }, ResultApplied},
		{"missing", nil, ResultApplied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := []client.Object{cluster.DeepCopy(), store.DeepCopy()}
			if tc.cur != nil {
				cur := rendered.DeepCopy()
				tc.cur(cur)
				objs = append(objs, cur)
			}
			reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
			kube := kubefake.NewClientset()
			r := &Controller{Reader: reader, Client: kube, Log: logr.Discard()}
			result, err := r.Reconcile(context.Background(), types.NamespacedName{Namespace: "db", Name: "pg"})
			if err != nil || result != tc.result {
				t.Fatalf("Reconcile = %s, %v; want %s", result, err, tc.result)
			}
			if applied := len(kube.Actions()) > 0; applied != (tc.result == ResultApplied) {
				t.Errorf("API writes %v, want a write only when the result is %s", kube.Actions(), ResultApplied)
			}
		})
	}
}

// TestRenderCounter: every result is exported from the start, so an alert on apply_failed sees the first one.
func TestRenderCounter(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewRenderCounter(reg); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, f := range families {
		if f.GetName() != "objectstore_webhook_settings_renders_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				results = append(results, l.GetValue())
			}
		}
	}
	slices.Sort(results)
	want := []string{ResultApplied, ResultUnchanged, ResultApplyFailed, ResultStoreInvalid, ResultStoreMissing, ResultUnbound}
	slices.Sort(want)
	if !slices.Equal(results, want) {
		t.Errorf("exported results %v, want %v", results, want)
	}
}
