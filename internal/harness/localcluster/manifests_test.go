package localcluster

import (
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const rendered = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: objectstores.barmancloud.cnpg.io
spec:
  group: barmancloud.cnpg.io
  names: {kind: ObjectStore, plural: objectstores}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: objectstore-webhook}
---
apiVersion: v1
kind: Namespace
metadata: {name: objectstore-webhook-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: objectstore-webhook, namespace: objectstore-webhook-system}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: objectstore-webhook}
webhooks:
- name: objectstores.objectstore-webhook.io
  clientConfig:
    service: {name: objectstore-webhook, namespace: objectstore-webhook-system, path: /validate/objectstores, port: 443}
  failurePolicy: Fail
  timeoutSeconds: 5
  objectSelector: {matchLabels: {a: b}}
`

func TestParseManifestsSortsWhatIsInstalled(t *testing.T) {
	m, err := ParseManifests([]byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.CRDs) != 1 || m.CRDs[0].Spec.Names.Kind != "ObjectStore" {
		t.Errorf("CRDs %v", m.CRDs)
	}
	var access []string
	for _, o := range m.Access {
		access = append(access, o.GetKind())
	}
	// Namespaces first: the ServiceAccount and Roles in them need it.
	if strings.Join(access, ",") != "Namespace,ClusterRoleBinding" {
		t.Errorf("access objects in order %v", access)
	}
	if len(m.Webhooks) != 1 || m.Webhooks[0].GetName() != "objectstore-webhook" {
		t.Errorf("webhooks %v", m.Webhooks)
	}
}

func TestParseManifestsRefusesAnUnknownKind(t *testing.T) {
	_, err := ParseManifests([]byte(rendered + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"))
	if err == nil || !strings.Contains(err.Error(), "ConfigMap settings") {
		t.Fatalf("want an error naming the ConfigMap, got %v", err)
	}
}

func TestPointWebhooksAtKeepsEverythingButTheClientConfig(t *testing.T) {
	m, err := ParseManifests([]byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	before := m.Webhooks[0].DeepCopy()
	if err := PointWebhooksAt(m.Webhooks, "127.0.0.1", 10250, []byte("CA")); err != nil {
		t.Fatal(err)
	}
	hooks, _, _ := unstructured.NestedSlice(m.Webhooks[0].Object, "webhooks")
	hook := hooks[0].(map[string]any)
	cc := hook["clientConfig"].(map[string]any)
	if cc["url"] != "https://127.0.0.1:10250/validate/objectstores" || cc["caBundle"] != base64.StdEncoding.EncodeToString([]byte("CA")) {
		t.Errorf("clientConfig %v", cc)
	}
	if _, ok := cc["service"]; ok {
		t.Error("the Service reference is still there")
	}
	// Everything else as shipped.
	oldHooks, _, _ := unstructured.NestedSlice(before.Object, "webhooks")
	old := oldHooks[0].(map[string]any)
	for _, k := range []string{"name", "failurePolicy", "timeoutSeconds", "objectSelector"} {
		if !equalJSON(old[k], hook[k]) {
			t.Errorf("%s changed from %v to %v", k, old[k], hook[k])
		}
	}
	if len(hook) != len(old) {
		t.Errorf("keys changed: %v -> %v", old, hook)
	}
}

func TestPointWebhooksAtRefusesAWebhookWithoutServicePath(t *testing.T) {
	m, err := ParseManifests([]byte(strings.Replace(rendered, ", path: /validate/objectstores", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	err = PointWebhooksAt(m.Webhooks, "127.0.0.1", 10250, nil)
	if err == nil || !strings.Contains(err.Error(), "objectstores.objectstore-webhook.io") {
		t.Fatalf("want an error naming the webhook, got %v", err)
	}
}

func equalJSON(a, b any) bool {
	ua := &unstructured.Unstructured{Object: map[string]any{"v": a}}
	ub := &unstructured.Unstructured{Object: map[string]any{"v": b}}
	ja, _ := ua.MarshalJSON()
	jb, _ := ub.MarshalJSON()
	return string(ja) == string(jb)
}
