package localcluster

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Manifests is what the local cluster takes from the rendered kustomize base.
type Manifests struct {
	// CRDs are installed first, and waited for until established.
	CRDs []*apiextensionsv1.CustomResourceDefinition
	// Access holds the Namespace, ServiceAccount and RBAC objects: the webhook runs with the identity the
	// Deployment would give it, so the shipped RBAC is what its API calls are judged by.
	Access []*unstructured.Unstructured
	// Webhooks are the Validating- and MutatingWebhookConfigurations.
	Webhooks []*unstructured.Unstructured
}

// accessKinds are the kinds of Manifests.Access, in the order they are created.
var accessKinds = []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}

// skippedKinds need a kubelet, a scheduler or a Service network, none of which a local control plane has;
// storing them would only show a newcomer a Deployment that never gets a pod.
var skippedKinds = map[string]bool{"Deployment": true, "Service": true, "PodDisruptionBudget": true}

// RenderKustomize runs `kubectl kustomize dir`, the same rendering users get from `kubectl apply -k`.
func RenderKustomize(ctx context.Context, kubectl, dir string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kubectl, "kustomize", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kubectl kustomize %s: %w: %s", dir, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// ParseManifests sorts rendered YAML into what a local cluster installs. A kind it neither installs nor
// knows to skip is an error, so that a new object in the base is a decision rather than silently dropped.
func ParseManifests(rendered []byte) (*Manifests, error) {
	m := &Manifests{}
	byKind := map[string][]*unstructured.Unstructured{}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(rendered), 4096)
	for {
		var raw runtime.RawExtension
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("decoding the rendered manifests: %w", err)
		}
		if len(bytes.TrimSpace(raw.Raw)) == 0 || string(bytes.TrimSpace(raw.Raw)) == "null" {
			continue
		}
		// Unstructured's own decoding keeps integers as int64, which the client and converters expect.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw.Raw); err != nil {
			return nil, fmt.Errorf("decoding the rendered manifests: %w", err)
		}
		obj := u.Object
		switch kind := u.GetKind(); {
		case kind == "CustomResourceDefinition":
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, crd); err != nil {
				return nil, fmt.Errorf("CustomResourceDefinition %s: %w", u.GetName(), err)
			}
			m.CRDs = append(m.CRDs, crd)
		case kind == "ValidatingWebhookConfiguration" || kind == "MutatingWebhookConfiguration":
			m.Webhooks = append(m.Webhooks, u)
		case skippedKinds[kind]:
		default:
			known := false
			for _, k := range accessKinds {
				known = known || k == kind
			}
			if !known {
				return nil, fmt.Errorf("%s %s in the rendered manifests: the local cluster neither installs nor skips this kind", kind, u.GetName())
			}
			byKind[kind] = append(byKind[kind], u)
		}
	}
	for _, k := range accessKinds {
		m.Access = append(m.Access, byKind[k]...)
	}
	if len(m.Webhooks) == 0 {
		return nil, errors.New("the rendered manifests hold no webhook configuration")
	}
	return m, nil
}

// PointWebhooksAt rewrites each webhook's clientConfig from the in-cluster Service to
// https://host:port/<the Service path>, trusted through caPEM. Nothing else is touched: selectors,
// failurePolicy, timeouts and match conditions stay as shipped.
func PointWebhooksAt(configs []*unstructured.Unstructured, host string, port int, caPEM []byte) error {
	base := "https://" + net.JoinHostPort(host, strconv.Itoa(port))
	for _, cfg := range configs {
		hooks, found, err := unstructured.NestedSlice(cfg.Object, "webhooks")
		if err != nil || !found {
			return fmt.Errorf("%s %s: no webhooks list", cfg.GetKind(), cfg.GetName())
		}
		for i, h := range hooks {
			hook, ok := h.(map[string]any)
			if !ok {
				return fmt.Errorf("%s %s: webhooks[%d] is not an object", cfg.GetKind(), cfg.GetName(), i)
			}
			path, found, err := unstructured.NestedString(hook, "clientConfig", "service", "path")
			if err != nil || !found || path == "" {
				return fmt.Errorf("%s %s: webhook %v has no clientConfig.service.path to keep", cfg.GetKind(), cfg.GetName(), hook["name"])
			}
			hook["clientConfig"] = map[string]any{
				"url":      base + path,
				"caBundle": base64.StdEncoding.EncodeToString(caPEM),
			}
			hooks[i] = hook
		}
		if err := unstructured.SetNestedSlice(cfg.Object, hooks, "webhooks"); err != nil {
			return fmt.Errorf("%s %s: %w", cfg.GetKind(), cfg.GetName(), err)
		}
	}
	return nil
}
