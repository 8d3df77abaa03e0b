package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sjson "sigs.k8s.io/json"
)

// Shape records which parents of what a plan adds exist in the pod as submitted. The typed Pod cannot say
// whether metadata or spec were there at all, and JSON patch cannot add into a missing parent.
type Shape struct {
	Metadata, Annotations, Spec, InitContainers, Containers, Volumes bool
}

// document is the part of a pod that injection reads. Decoding only this skips the bulk of a pod (env,
// managedFields) without allocating it, which keeps a 2000-variable pod cheap (Istio #34799); the
// pointers say which parents exist.
type document struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   *struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec *struct {
		ServiceAccountName string  `json:"serviceAccountName"`
		InitContainers     []named `json:"initContainers"`
		Containers         []named `json:"containers"`
		Volumes            []named `json:"volumes"`
	} `json:"spec"`
}

type named struct {
	Name string `json:"name"`
}

// Decode reads what injection needs from a pod in JSON, case-sensitively as the API server and JSON patch
// paths do: metadata's name, namespace, labels and annotations, the ServiceAccount, and the names of
// containers and volumes; on a pod the EKS webhook mutated for Pod Identity, also the container-credentials
// variables and the mounts of the containers that have them. It records the pod's Shape.
func Decode(raw []byte) (*corev1.Pod, Shape, error) {
	return decode(raw, nil)
}

// decode is Decode into reuse when it is not nil and the pod takes the fast path.
func decode(raw []byte, reuse *corev1.Pod) (*corev1.Pod, Shape, error) {
	p, s, ok := decodeFast(raw, reuse)
	if !ok {
		var err error
		if p, s, err = decodePlain(raw); err != nil {
			return nil, Shape{}, err
		}
	}
	if podIdentityTraces(p) {
		if err := readPodIdentity(raw, p); err != nil {
			return nil, Shape{}, err
		}
	}
	return p, s, nil
}

// decodePlain is Decode with sigs.k8s.io/json, for what decodeFast does not take.
func decodePlain(raw []byte) (*corev1.Pod, Shape, error) {
	var d document
	if err := k8sjson.UnmarshalCaseSensitivePreserveInts(raw, &d); err != nil {
		return nil, Shape{}, fmt.Errorf("decoding Pod: %w", err)
	}
	p := &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: d.Kind, APIVersion: d.APIVersion}}
	var s Shape
	if m := d.Metadata; m != nil {
		s.Metadata = true
		s.Annotations = m.Annotations != nil
		p.ObjectMeta = metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels,
			Annotations: m.Annotations}
	}
	if sp := d.Spec; sp != nil {
		s.Spec = true
		s.InitContainers = sp.InitContainers != nil
		s.Containers = sp.Containers != nil
		s.Volumes = sp.Volumes != nil
		p.Spec.ServiceAccountName = sp.ServiceAccountName
		p.Spec.InitContainers = containers(sp.InitContainers)
		p.Spec.Containers = containers(sp.Containers)
		if sp.Volumes != nil {
			p.Spec.Volumes = make([]corev1.Volume, len(sp.Volumes))
			for i, v := range sp.Volumes {
				p.Spec.Volumes[i].Name = v.Name
			}
		}
	}
	return p, s, nil
}

func containers(in []named) []corev1.Container {
	if in == nil {
		return nil
	}
	out := make([]corev1.Container, len(in))
	for i, c := range in {
		out[i].Name = c.Name
	}
	return out
}
