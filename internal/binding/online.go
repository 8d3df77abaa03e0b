package binding

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// ClientLookup is the online Lookup: reads go to Cached (the controller-runtime cache, fed by watches),
// and a miss is retried once against Direct (an uncached reader such as the manager's API reader),
// because a Cluster, its store and its ServiceAccount are often created together and the pod can reach the
// webhook before the watch delivers them (the EKS webhook's race, IRSA #174).
type ClientLookup struct {
	Cached client.Reader
	Direct client.Reader
}

var _ Lookup = ClientLookup{}

// ObjectStore implements Lookup.
func (l ClientLookup) ObjectStore(ctx context.Context, namespace, name string) (*barmanv1.ObjectStore, error) {
	var o barmanv1.ObjectStore
	found, err := l.get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &o)
	if !found {
		return nil, err
	}
	return &o, nil
}

// Cluster implements Lookup.
func (l ClientLookup) Cluster(ctx context.Context, namespace, name string) (*cnpgv1.Cluster, error) {
	var c cnpgv1.Cluster
	found, err := l.get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &c)
	if !found {
		return nil, err
	}
	return &c, nil
}

// Clusters implements Lookup from the cache only: a list cannot tell a miss from absence.
func (l ClientLookup) Clusters(ctx context.Context, namespace string) ([]cnpgv1.Cluster, error) {
	var list cnpgv1.ClusterList
	if err := l.Cached.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// ServiceAccount implements Lookup.
func (l ClientLookup) ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	var sa corev1.ServiceAccount
	found, err := l.get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &sa)
	if !found {
		return nil, err
	}
	return &sa, nil
}

func (l ClientLookup) get(ctx context.Context, key client.ObjectKey, obj client.Object) (bool, error) {
	err := l.Cached.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) && l.Direct != nil {
		err = l.Direct.Get(ctx, key, obj)
	}
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

// CacheOptions trims what the cache keeps of ServiceAccounts to the name, namespace and annotations: the
// webhook reads nothing else, and a cluster may hold tens of thousands of them (the EKS webhook's
// stripDownServiceAccount, PR #301). Read another field of a cached ServiceAccount and you must keep it
// here too.
func CacheOptions(opts cache.Options) cache.Options {
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	opts.ByObject[&corev1.ServiceAccount{}] = cache.ByObject{Transform: StripServiceAccount}
	return opts
}

// StripServiceAccount is the cache transform of CacheOptions.
func StripServiceAccount(obj any) (any, error) {
	sa, ok := obj.(*corev1.ServiceAccount)
	if !ok {
		return obj, nil
	}
	return &corev1.ServiceAccount{
		TypeMeta: sa.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name:            sa.Name,
			Namespace:       sa.Namespace,
			UID:             sa.UID,
			ResourceVersion: sa.ResourceVersion,
			Annotations:     sa.Annotations,
		},
	}, nil
}
