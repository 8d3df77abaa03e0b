package pod

import (
	"context"
	"errors"
	"fmt"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// Injector is the pod mutation as both the webhook and `inject` run it: decode the submitted bytes, read
// the Cluster, its ObjectStore and the pod's ServiceAccount through Lookup, plan, and patch.
type Injector struct {
	Lookup  binding.Lookup
	Options Options
}

// Result is the outcome of one pod: the patch and warnings, or the Failure that kept the archiver out
// (then Patch is empty and the caller decides whether to admit).
type Result struct {
	Cluster  string
	Patch    []jsonpatch.Operation
	Warnings []string
	Failure  *Failure
}

// Inject mutates one pod; namespace is the request's (a pod being created may not carry it yet). The
// error is for input that is not a pod at all.
func (in *Injector) Inject(ctx context.Context, namespace string, raw []byte) (Result, error) {
	return in.inject(ctx, namespace, raw, nil)
}

// inject is Inject planning in ws (see workspace): its Result is only good until ws is released.
func (in *Injector) inject(ctx context.Context, namespace string, raw []byte, ws *workspace) (Result, error) {
	var reuse *corev1.Pod
	if ws != nil {
		reuse = &ws.pod
	}
	p, shape, err := decode(raw, reuse)
	if err != nil {
		return Result{}, err
	}
	if namespace == "" {
		namespace = p.Namespace
	}
	name, ok := Target(p)
	if !ok {
		return Result{}, nil
	}
	res := Result{Cluster: name}
	add, warnings, err := in.plan(ctx, namespace, p, ws)
	if err != nil {
		var f *Failure
		if !errors.As(err, &f) {
			f = &Failure{ReasonLookupError, err.Error()}
		}
		res.Failure = f
		return res, nil
	}
	res.Warnings = warnings
	res.Patch = Patch(shape, add)
	return res, nil
}

func (in *Injector) plan(ctx context.Context, namespace string, p *corev1.Pod, ws *workspace) (Additions, []string, error) {
	name, _ := Target(p)
	c, err := in.Lookup.Cluster(ctx, namespace, name)
	if err != nil {
		return Additions{}, nil, fmt.Errorf("reading Cluster %s/%s: %w", namespace, name, err)
	}
	var store *barmanv1.ObjectStore
	var sa *corev1.ServiceAccount
	if c != nil {
		if b, ok := binding.BindingOf(c); ok && !b.Upstream {
			store, err = in.Lookup.ObjectStore(ctx, namespace, b.Store)
			if err != nil {
				return Additions{}, nil, fmt.Errorf("reading ObjectStore %s/%s: %w", namespace, b.Store, err)
			}
		}
	}
	if store != nil && needsServiceAccount(store) {
		saName := p.Spec.ServiceAccountName
		if saName == "" {
			saName = "default"
		}
		sa, err = in.Lookup.ServiceAccount(ctx, namespace, saName)
		if err != nil {
			return Additions{}, nil, fmt.Errorf("reading ServiceAccount %s/%s: %w", namespace, saName, err)
		}
	}
	return plan(p, c, store, sa, in.Options, ws)
}

// needsServiceAccount reports whether the store takes its credentials from the pod's identity, the only
// case where the ServiceAccount matters.
func needsServiceAccount(store *barmanv1.ObjectStore) bool {
	conf := store.Spec.Configuration
	return (conf.AWS != nil && conf.AWS.InheritFromIAMRole) ||
		(conf.Azure != nil && (conf.Azure.InheritFromAzureAD || conf.Azure.UseDefaultAzureCredentials))
}
