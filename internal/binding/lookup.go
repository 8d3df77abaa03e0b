package binding

import (
	"context"
	"sort"

	corev1 "k8s.io/api/core/v1"

	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// Lookup is the read-only view of the other objects a decision needs. Online it is backed by the
// controller-runtime cache (and the API server on a miss); offline by the objects given to `inject`.
// A missing object is (nil, nil): absence is an answer, not a failure.
type Lookup interface {
	ObjectStore(ctx context.Context, namespace, name string) (*barmanv1.ObjectStore, error)
	Cluster(ctx context.Context, namespace, name string) (*cnpgv1.Cluster, error)
	Clusters(ctx context.Context, namespace string) ([]cnpgv1.Cluster, error)
	ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
}

// Set is a Lookup over objects held in memory: the input of `inject` and the tests.
type Set struct {
	stores   map[key]*barmanv1.ObjectStore
	clusters map[key]*cnpgv1.Cluster
	accounts map[key]*corev1.ServiceAccount
}

type key struct{ namespace, name string }

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{
		stores:   map[key]*barmanv1.ObjectStore{},
		clusters: map[key]*cnpgv1.Cluster{},
		accounts: map[key]*corev1.ServiceAccount{},
	}
}

// AddObjectStore adds or replaces an ObjectStore.
func (s *Set) AddObjectStore(o *barmanv1.ObjectStore) { s.stores[key{o.Namespace, o.Name}] = o }

// AddCluster adds or replaces a Cluster.
func (s *Set) AddCluster(c *cnpgv1.Cluster) { s.clusters[key{c.Namespace, c.Name}] = c }

// AddServiceAccount adds or replaces a ServiceAccount.
func (s *Set) AddServiceAccount(sa *corev1.ServiceAccount) {
	s.accounts[key{sa.Namespace, sa.Name}] = sa
}

// ObjectStore implements Lookup.
func (s *Set) ObjectStore(_ context.Context, namespace, name string) (*barmanv1.ObjectStore, error) {
	return s.stores[key{namespace, name}], nil
}

// Cluster implements Lookup.
func (s *Set) Cluster(_ context.Context, namespace, name string) (*cnpgv1.Cluster, error) {
	return s.clusters[key{namespace, name}], nil
}

// Clusters implements Lookup; the result is sorted by name so that messages are stable.
func (s *Set) Clusters(_ context.Context, namespace string) ([]cnpgv1.Cluster, error) {
	var out []cnpgv1.Cluster
	for k, c := range s.clusters {
		if k.namespace == namespace {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ServiceAccount implements Lookup.
func (s *Set) ServiceAccount(_ context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	return s.accounts[key{namespace, name}], nil
}
