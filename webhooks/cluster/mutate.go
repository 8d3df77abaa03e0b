package cluster

import (
	"context"
	"fmt"

	"gomodules.xyz/jsonpatch/v2"
	k8sjson "sigs.k8s.io/json"

	"github.com/objectstore-webhook/objectstore-webhook/internal/addpatch"
	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// Mutation is what a Cluster gains: entries for maps that the operator copies onto the ServiceAccount it
// creates and onto the instance pods.
type Mutation struct {
	// ServiceAccountAnnotations go to spec.serviceAccountTemplate.metadata.annotations.
	ServiceAccountAnnotations map[string]string
	// InheritedLabels go to spec.inheritedMetadata.labels.
	InheritedLabels map[string]string
}

// Empty reports whether the mutation adds nothing.
func (m Mutation) Empty() bool {
	return len(m.ServiceAccountAnnotations) == 0 && len(m.InheritedLabels) == 0
}

// Plan decides what the Cluster gains from the identity its store declares. A value the user wrote is
// never overwritten: theirs is kept and a warning says which one differs.
func Plan(c *cnpgv1.Cluster, store *barmanv1.ObjectStore) (Mutation, []string) {
	var m Mutation
	var warnings []string
	id := binding.IdentityOf(store)
	if id.Empty() {
		return m, nil
	}
	wanted := id.SAAnnotations()
	if c.Spec.ServiceAccountName != "" {
		for _, e := range wanted {
			warnings = append(warnings, fmt.Sprintf("ServiceAccount %q (spec.serviceAccountName) must carry %s itself",
				c.Spec.ServiceAccountName, e.Key))
		}
	} else {
		var have map[string]string
		if t := c.Spec.ServiceAccountTemplate; t != nil {
			have = t.Metadata.Annotations
		}
		m.ServiceAccountAnnotations = addMissing(have, wanted, "serviceAccountTemplate", store.Name, &warnings)
	}
	if id.AzureClientID != "" {
		var have map[string]string
		if im := c.Spec.InheritedMetadata; im != nil {
			have = im.Labels
		}
		m.InheritedLabels = addMissing(have, []binding.Entry{{Key: contract.AzureUseLabel, Value: "true"}}, "inheritedMetadata",
			store.Name, &warnings)
	}
	return m, warnings
}

func addMissing(have map[string]string, wanted []binding.Entry, where, store string, warnings *[]string) map[string]string {
	var out map[string]string
	for _, e := range wanted {
		current, ok := have[e.Key]
		switch {
		case !ok:
			if out == nil {
				out = map[string]string{}
			}
			out[e.Key] = e.Value
		case current != e.Value:
			*warnings = append(*warnings, fmt.Sprintf("%s keeps its own %s; ObjectStore %q declares another",
				where, e.Key, store))
		}
	}
	return out
}

// Shape records which of the maps a Mutation writes to exist in the Cluster as submitted, so that Patch adds
// a whole new map only where there is none (JSON patch cannot add into a missing parent).
type Shape struct {
	Spec, Template, TemplateMetadata, TemplateAnnotations bool
	Inherited, InheritedLabels                            bool
}

type clusterShape struct {
	Spec *struct {
		ServiceAccountTemplate *struct {
			Metadata *struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"serviceAccountTemplate"`
		InheritedMetadata *struct {
			Labels map[string]string `json:"labels"`
		} `json:"inheritedMetadata"`
	} `json:"spec"`
}

// DecodeError is input that is not a Cluster at all, as opposed to a failed lookup.
type DecodeError struct{ Err error }

func (e *DecodeError) Error() string { return "decoding Cluster: " + e.Err.Error() }

func (e *DecodeError) Unwrap() error { return e.Err }

// Decode reads a Cluster from JSON the way the API server does (case-sensitive keys) and records its
// Shape. Its errors are *DecodeError.
func Decode(raw []byte) (*cnpgv1.Cluster, Shape, error) {
	var c cnpgv1.Cluster
	if err := k8sjson.UnmarshalCaseSensitivePreserveInts(raw, &c); err != nil {
		return nil, Shape{}, &DecodeError{err}
	}
	var cs clusterShape
	if err := k8sjson.UnmarshalCaseSensitivePreserveInts(raw, &cs); err != nil {
		return nil, Shape{}, &DecodeError{err}
	}
	var s Shape
	if sp := cs.Spec; sp != nil {
		s.Spec = true
		if t := sp.ServiceAccountTemplate; t != nil {
			s.Template = true
			if md := t.Metadata; md != nil {
				s.TemplateMetadata = true
				s.TemplateAnnotations = md.Annotations != nil
			}
		}
		if im := sp.InheritedMetadata; im != nil {
			s.Inherited = true
			s.InheritedLabels = im.Labels != nil
		}
	}
	return &c, s, nil
}

// Patch turns a Mutation into JSON-patch add operations on the Cluster as submitted.
func (m Mutation) Patch(s Shape) []jsonpatch.Operation {
	var ops []jsonpatch.Operation
	if len(m.ServiceAccountAnnotations) > 0 {
		path := []string{"spec", "serviceAccountTemplate", "metadata", "annotations"}
		present := countTrue(s.Spec, s.Template, s.TemplateMetadata, s.TemplateAnnotations)
		ops = append(ops, addpatch.Entries(path, present, m.ServiceAccountAnnotations)...)
		// The template now exists down to its annotations.
		s.Spec, s.Template, s.TemplateMetadata, s.TemplateAnnotations = true, true, true, true
	}
	if len(m.InheritedLabels) > 0 {
		path := []string{"spec", "inheritedMetadata", "labels"}
		ops = append(ops, addpatch.Entries(path, countTrue(s.Spec, s.Inherited, s.InheritedLabels), m.InheritedLabels)...)
	}
	return ops
}

func countTrue(levels ...bool) int {
	n := 0
	for _, ok := range levels {
		if !ok {
			break
		}
		n++
	}
	return n
}

// Mutate is the whole Cluster mutation as both the webhook and `inject` run it: decode the submitted
// bytes, find the store, plan, and patch. namespace is the request's, which a Cluster being created may
// not carry itself; empty means the object's.
func Mutate(ctx context.Context, lookup binding.Lookup, namespace string, raw []byte) ([]jsonpatch.Operation, []string, error) {
	c, shape, err := Decode(raw)
	if err != nil {
		return nil, nil, err
	}
	if namespace != "" {
		c.Namespace = namespace
	}
	b, ok := binding.BindingOf(c)
	if !ok {
		return nil, nil, nil
	}
	store, err := lookup.ObjectStore(ctx, c.Namespace, b.Store)
	if err != nil {
		return nil, nil, fmt.Errorf("reading ObjectStore %s/%s: %w", c.Namespace, b.Store, err)
	}
	if store == nil {
		// Validation warns about the missing store; there is nothing to wire yet.
		return nil, nil, nil
	}
	m, warnings := Plan(c, store)
	return m.Patch(shape), warnings, nil
}
