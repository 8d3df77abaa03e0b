package main

import (
	"context"
	"encoding/json"
	"fmt"

	jsonpatch5 "github.com/evanphx/json-patch/v5"
	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/docreader"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/cluster"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/pod"
)

// note is something `inject` tells about one input document: a warning, or why its pod was not
// injected (Failure set).
type note struct {
	Document docreader.Document
	Message  string
	Failure  *pod.Failure
}

// injectDocuments is the webhook's mutation run offline over a set of documents, as `istioctl
// kube-inject` does: the ObjectStores, Clusters and ServiceAccounts of the set are what the lookups see;
// every Cluster and then every Pod gets the very patch the webhook would send, applied to its own bytes.
// It returns every document's JSON, in input order, mutated or not. A Cluster without serviceAccountName
// whose ServiceAccount is not in the set is given the one CloudNativePG would create from its (mutated)
// template, so a Cluster and its pod can be injected together.
func injectDocuments(ctx context.Context, docs []docreader.Document, defaultNamespace string, opts pod.Options) ([][]byte, []note, error) {
	set := binding.NewSet()
	out := make([][]byte, len(docs))
	var notes []note
	nsOf := func(d docreader.Document) string {
		if d.Namespace != "" {
			return d.Namespace
		}
		return defaultNamespace
	}
	for i, d := range docs {
		out[i] = d.JSON
		var err error
		switch {
		case is(d, barmanv1.GroupVersion.String(), barmanv1.Kind.Kind):
			var o barmanv1.ObjectStore
			if err = json.Unmarshal(d.JSON, &o); err == nil {
				o.Namespace = nsOf(d)
				set.AddObjectStore(&o)
			}
		case is(d, "v1", "ServiceAccount"):
			var sa corev1.ServiceAccount
			if err = json.Unmarshal(d.JSON, &sa); err == nil {
				sa.Namespace = nsOf(d)
				set.AddServiceAccount(&sa)
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s %s: %w", d.Position(), d.Kind, d.Name, err)
		}
	}
	// Clusters first: the pods read them, and the ServiceAccounts made from their templates.
	var made []*corev1.ServiceAccount
	for i, d := range docs {
		if !is(d, cnpgv1.GroupVersion.String(), cnpgv1.Kind.Kind) {
			continue
		}
		ops, warnings, err := cluster.Mutate(ctx, set, nsOf(d), d.JSON)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: Cluster %s: %w", d.Position(), d.Name, err)
		}
		for _, w := range warnings {
			notes = append(notes, note{Document: d, Message: w})
		}
		if out[i], err = applyOps(d.JSON, ops); err != nil {
			return nil, nil, fmt.Errorf("%s: Cluster %s: %w", d.Position(), d.Name, err)
		}
		c, _, err := cluster.Decode(out[i])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", d.Position(), err)
		}
		c.Namespace = nsOf(d)
		set.AddCluster(c)
		if c.Spec.ServiceAccountName == "" {
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: c.Namespace}}
			if t := c.Spec.ServiceAccountTemplate; t != nil {
				sa.Annotations = t.Metadata.Annotations
			}
			made = append(made, sa)
		}
	}
	for _, sa := range made {
		if existing, _ := set.ServiceAccount(ctx, sa.Namespace, sa.Name); existing == nil {
			set.AddServiceAccount(sa)
		}
	}
	injector := &pod.Injector{Lookup: set, Options: opts}
	for i, d := range docs {
		if !is(d, "v1", "Pod") {
			continue
		}
		res, err := injector.Inject(ctx, nsOf(d), d.JSON)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: Pod %s: %w", d.Position(), d.Name, err)
		}
		for _, w := range res.Warnings {
			notes = append(notes, note{Document: d, Message: w})
		}
		if res.Failure != nil {
			notes = append(notes, note{Document: d, Message: res.Failure.Message, Failure: res.Failure})
		}
		if out[i], err = applyOps(d.JSON, res.Patch); err != nil {
			return nil, nil, fmt.Errorf("%s: Pod %s: %w", d.Position(), d.Name, err)
		}
	}
	return out, notes, nil
}

func is(d docreader.Document, apiVersion, kind string) bool {
	return d.APIVersion == apiVersion && d.Kind == kind
}

// applyOps applies a patch as the API server would.
func applyOps(doc []byte, ops []jsonpatch.Operation) ([]byte, error) {
	if len(ops) == 0 {
		return doc, nil
	}
	b, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch5.DecodePatch(b)
	if err != nil {
		return nil, err
	}
	return p.Apply(doc)
}
