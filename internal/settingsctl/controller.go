package settingsctl

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// FieldManager is the one field manager every replica applies with. Replicas render the same bytes from
// the same objects (Render is pure) and server-side apply with Force is idempotent, so two replicas
// applying at once converge on the same ConfigMap: no leader election is needed.
const FieldManager = "objectstore-webhook-settings"

// Results of a render, the values of the result label.
const (
	ResultApplied      = "applied"
	ResultUnchanged    = "unchanged"
	ResultUnbound      = "unbound"
	ResultStoreMissing = "store_missing"
	ResultStoreInvalid = "store_invalid"
	ResultApplyFailed  = "apply_failed"
)

// CacheByObject selects the ConfigMaps the controller watches: only its own, so the cache never holds the
// cluster's other ConfigMaps.
func CacheByObject(opts cache.Options) cache.Options {
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	opts.ByObject[&corev1.ConfigMap{}] = cache.ByObject{
		Label: mustSelector(ManagedByLabel + "=" + ManagedBy)}
	return opts
}

// Controller renders the settings ConfigMaps. Start it once; it runs until ctx ends.
type Controller struct {
	Cache cache.Cache
	// Reader is where Reconcile reads Clusters, ObjectStores and the ConfigMaps it compares a render
	// with; Start sets it to Cache when nil.
	Reader  client.Reader
	Client  kubernetes.Interface
	Log     logr.Logger
	Resync  time.Duration
	Renders *prometheus.CounterVec
	queue   workqueue.TypedRateLimitingInterface[types.NamespacedName]
}

// NewRenderCounter creates objectstore_webhook_settings_renders_total and registers it with reg.
func NewRenderCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "objectstore_webhook_settings_renders_total",
		Help: "Renders of a Cluster's wal-archiver settings ConfigMap, by result.",
	}, []string{"result"})
	for _, r := range []string{ResultApplied, ResultUnchanged, ResultUnbound, ResultStoreMissing, ResultStoreInvalid, ResultApplyFailed} {
		c.WithLabelValues(r)
	}
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return c, nil
}

// noWait: Start must not hold up serving the webhooks until the first lists complete (or forever, when a
// CRD is missing); the handlers see the initial list as add events once the informers sync.
var noWait = cache.BlockUntilSynced(false)

// Start registers the event handlers and runs the worker and the resync in the background.
func (r *Controller) Start(ctx context.Context) error {
	if r.Reader == nil {
		r.Reader = r.Cache
	}
	r.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[types.NamespacedName]())
	clusters, err := r.Cache.GetInformer(ctx, &cnpgv1.Cluster{}, noWait)
	if err != nil {
		return fmt.Errorf("settings controller: watching Clusters: %w", err)
	}
	stores, err := r.Cache.GetInformer(ctx, &barmanv1.ObjectStore{}, noWait)
	if err != nil {
		return fmt.Errorf("settings controller: watching ObjectStores: %w", err)
	}
	configMaps, err := r.Cache.GetInformer(ctx, &corev1.ConfigMap{}, noWait)
	if err != nil {
		return fmt.Errorf("settings controller: watching its ConfigMaps: %w", err)
	}
	// A Cluster event re-renders that Cluster (server-name annotation, schedule, plugin parameters, a new
	// binding); its deletion is left to the garbage collector through the owner reference.
	onCluster := func(obj any) {
		if c, ok := obj.(*cnpgv1.Cluster); ok {
			r.queue.Add(types.NamespacedName{Namespace: c.Namespace, Name: c.Name})
		}
	}
	if _, err := clusters.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: onCluster, UpdateFunc: func(old, obj any) {
			if Changed(old, obj) {
				onCluster(obj)
			}
		}}); err != nil {
		return err
	}
	onStore := func(obj any) {
		if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if s, ok := obj.(*barmanv1.ObjectStore); ok {
			r.enqueueStore(ctx, s.Namespace, s.Name)
		}
	}
	if _, err := stores.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: onStore, UpdateFunc: func(old, obj any) {
			if Changed(old, obj) {
				onStore(obj)
			}
		}, DeleteFunc: onStore}); err != nil {
		return err
	}
	// Our ConfigMap deleted or edited by hand: render it again now rather than at the next resync.
	onConfigMap := func(obj any) {
		if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			if owner, ok := OwnerOf(cm); ok {
				r.queue.Add(owner)
			}
		}
	}
	if _, err := configMaps.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { onConfigMap(obj) }, DeleteFunc: onConfigMap}); err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		r.queue.ShutDown()
	}()
	go r.resync(ctx)
	go func() {
		for r.next(ctx) {
		}
	}()
	r.Log.Info("settings controller started", "resync", r.Resync)
	return nil
}

// resync re-renders every Cluster periodically: a safety net for a lost event.
func (r *Controller) resync(ctx context.Context) {
	if r.Resync <= 0 {
		return
	}
	t := time.NewTicker(r.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			var list cnpgv1.ClusterList
			if err := r.Cache.List(ctx, &list); err != nil {
				r.Log.Error(err, "settings resync: listing Clusters")
				continue
			}
			for i := range list.Items {
				if _, ok := Bound(&list.Items[i]); ok {
					r.queue.Add(types.NamespacedName{Namespace: list.Items[i].Namespace, Name: list.Items[i].Name})
				}
			}
		}
	}
}

// Changed reports whether an update can change the render: the spec (its generation) or the annotations.
// CloudNativePG rewrites a Cluster's status often, and the Barman Cloud Plugin an ObjectStore's; re-rendering
// on those would cost an apply per status write for nothing. The periodic resync covers anything missed.
func Changed(old, obj any) bool {
	o, ok1 := old.(metav1.Object)
	n, ok2 := obj.(metav1.Object)
	if !ok1 || !ok2 {
		return true
	}
	return o.GetGeneration() != n.GetGeneration() || !maps.Equal(o.GetAnnotations(), n.GetAnnotations()) ||
		o.GetUID() != n.GetUID()
}

func (r *Controller) enqueueStore(ctx context.Context, namespace, name string) {
	var list cnpgv1.ClusterList
	if err := r.Cache.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		r.Log.Error(err, "settings: listing the Clusters of an ObjectStore", "namespace", namespace, "objectStore", name)
		return
	}
	for _, key := range ClustersOf(namespace, name, list.Items) {
		r.queue.Add(key)
	}
}

func (r *Controller) next(ctx context.Context) bool {
	key, shutdown := r.queue.Get()
	if shutdown {
		return false
	}
	defer r.queue.Done(key)
	result, err := r.Reconcile(ctx, key)
	r.Renders.WithLabelValues(result).Inc()
	if err != nil {
		// Failure messages name objects and fields, never values (StoreSettings reads no Secret).
		r.Log.Error(err, "rendering the wal-archiver settings", "cluster", key.String(), "result", result)
		if result == ResultApplyFailed {
			r.queue.AddRateLimited(key)
			return true
		}
	}
	r.queue.Forget(key)
	return true
}

// Reconcile renders and applies the settings of one Cluster. An unbound Cluster, a missing or invalid
// ObjectStore leave an existing ConfigMap as it is: the archiver keeps the last good settings (an empty
// destination would stop archiving), and the env still has the settings the pod was injected with.
func (r *Controller) Reconcile(ctx context.Context, key types.NamespacedName) (string, error) {
	var c cnpgv1.Cluster
	if err := r.Reader.Get(ctx, key, &c); err != nil {
		if apierrors.IsNotFound(err) {
			return ResultUnbound, nil
		}
		return ResultApplyFailed, err
	}
	b, ok := Bound(&c)
	if !ok {
		return ResultUnbound, nil
	}
	var store barmanv1.ObjectStore
	if err := r.Reader.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: b.Store}, &store); err != nil {
		if apierrors.IsNotFound(err) {
			r.Log.Info("settings not rendered: the Cluster's ObjectStore does not exist", "cluster", key.String(),
				"objectStore", b.Store)
			return ResultStoreMissing, nil
		}
		return ResultApplyFailed, err
	}
	cm, err := Render(&c, &store)
	if err != nil {
		return ResultStoreInvalid, err
	}
	// The resync and every store event re-render whole namespaces; a write per unchanged ConfigMap would
	// load the API server and etcd for nothing. The cache holds our ConfigMaps; when it lags, the apply
	// below is merely redundant.
	var cur corev1.ConfigMap
	if err := r.Reader.Get(ctx, types.NamespacedName{Namespace: cm.Namespace, Name: cm.Name}, &cur); err == nil && UpToDate(&cur, cm) {
		return ResultUnchanged, nil
	}
	if _, err := r.Client.CoreV1().ConfigMaps(cm.Namespace).Apply(ctx, ApplyConfiguration(cm),
		metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return ResultApplyFailed, fmt.Errorf("applying ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	r.Log.V(1).Info("settings applied", "cluster", key.String(), "configMap", cm.Name)
	return ResultApplied, nil
}

// UpToDate reports whether cur already holds what want, the render, sets: its data exactly, its labels and
// its owner references.
func UpToDate(cur, want *corev1.ConfigMap) bool {
	if !maps.Equal(cur.Data, want.Data) || len(cur.BinaryData) != 0 {
		return false
	}
	for k, v := range want.Labels {
		if got, ok := cur.Labels[k]; !ok || got != v {
			return false
		}
	}
	for _, w := range want.OwnerReferences {
		if !slices.ContainsFunc(cur.OwnerReferences, func(o metav1.OwnerReference) bool {
			return o.APIVersion == w.APIVersion && o.Kind == w.Kind && o.Name == w.Name && o.UID == w.UID &&
				(w.Controller == nil || (o.Controller != nil && *o.Controller == *w.Controller))
		}) {
			return false
		}
	}
	return true
}

// ApplyConfiguration is the server-side apply request of a rendered ConfigMap.
func ApplyConfiguration(cm *corev1.ConfigMap) *corev1ac.ConfigMapApplyConfiguration {
	ac := corev1ac.ConfigMap(cm.Name, cm.Namespace).WithLabels(cm.Labels).WithData(cm.Data)
	for _, o := range cm.OwnerReferences {
		ref := metav1ac.OwnerReference().WithAPIVersion(o.APIVersion).WithKind(o.Kind).WithName(o.Name).WithUID(o.UID)
		if o.Controller != nil {
			ref.WithController(*o.Controller)
		}
		ac.WithOwnerReferences(ref)
	}
	return ac
}
