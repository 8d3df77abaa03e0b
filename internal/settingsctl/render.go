package settingsctl

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/pod"
)

// ManagedByLabel and ManagedBy mark the ConfigMaps this controller owns; its ConfigMap watch selects them.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "objectstore-webhook"
)

// Bound returns the Cluster's binding when the controller renders settings for it: the Cluster names an
// ObjectStore through our annotation or the plugin's parameters, and is not left to the Barman Cloud
// Plugin's own sidecar (no archiver of ours is injected there, so nothing would read the file).
func Bound(c *cnpgv1.Cluster) (binding.Binding, bool) {
	b, ok := binding.BindingOf(c)
	if !ok || b.Upstream {
		return binding.Binding{}, false
	}
	return b, true
}

// Render is the ConfigMap of a bound Cluster and its ObjectStore. It is pure: the same objects give the
// same bytes, which is what lets several replicas apply it without electing a leader. The Cluster owns it
// (garbage-collected with it); blockOwnerDeletion is left unset because setting it needs update rights on
// clusters/finalizers, which the webhook does not have and does not need.
func Render(c *cnpgv1.Cluster, store *barmanv1.ObjectStore) (*corev1.ConfigMap, error) {
	b, ok := Bound(c)
	if !ok {
		return nil, fmt.Errorf("Cluster %s/%s is bound to no ObjectStore of objectstore-webhook", c.Namespace, c.Name)
	}
	if store.Name != b.Store || store.Namespace != c.Namespace {
		return nil, fmt.Errorf("Cluster %s/%s archives to ObjectStore %q, not %s/%s", c.Namespace, c.Name, b.Store,
			store.Namespace, store.Name)
	}
	settings, err := pod.SettingsMap(c, b, store)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(settings) // map keys sorted: stable bytes
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      contract.SettingsConfigMapName(c.Name),
			Namespace: c.Namespace,
			Labels:    map[string]string{ManagedByLabel: ManagedBy, contract.CNPGClusterLabel: c.Name},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: cnpgv1.GroupVersion.String(), Kind: "Cluster", Name: c.Name, UID: c.UID,
				Controller: ptr.To(true)}},
		},
		Data: map[string]string{contract.SettingsKey: string(data)},
	}, nil
}

// ClustersOf is which Clusters an ObjectStore event re-renders: those of its namespace bound to it.
func ClustersOf(namespace, store string, clusters []cnpgv1.Cluster) []types.NamespacedName {
	var out []types.NamespacedName
	for i := range clusters {
		c := &clusters[i]
		if c.Namespace != namespace {
			continue
		}
		if b, ok := Bound(c); ok && b.Store == store {
			out = append(out, types.NamespacedName{Namespace: c.Namespace, Name: c.Name})
		}
	}
	return out
}

// OwnerOf is the Cluster a ConfigMap event re-renders: the one our ConfigMap names as its owner.
func OwnerOf(cm *corev1.ConfigMap) (types.NamespacedName, bool) {
	if cm.Labels[ManagedByLabel] != ManagedBy {
		return types.NamespacedName{}, false
	}
	for _, o := range cm.OwnerReferences {
		if o.Kind == "Cluster" && o.APIVersion == cnpgv1.GroupVersion.String() &&
			cm.Name == contract.SettingsConfigMapName(o.Name) {
			return types.NamespacedName{Namespace: cm.Namespace, Name: o.Name}, true
		}
	}
	return types.NamespacedName{}, false
}
