package crdcheck

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/manifests/crd"
)

// edit returns our CRD with change applied to the v1 openAPIV3Schema's spec.configuration.
func edit(t *testing.T, change func(configuration map[string]any)) []byte {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal(crd.ObjectStores, &obj); err != nil {
		t.Fatal(err)
	}
	v := obj["spec"].(map[string]any)["versions"].([]any)[0].(map[string]any)
	s := v["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)
	spec := s["properties"].(map[string]any)["spec"].(map[string]any)
	change(spec["properties"].(map[string]any)["configuration"].(map[string]any))
	out, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const crdName = "objectstores.barmancloud.cnpg.io"

func props(m map[string]any) map[string]any { return m["properties"].(map[string]any) }

func TestFieldsOfOurCRD(t *testing.T) {
	f, err := Fields(crd.ObjectStores, "v1")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		"spec.configuration.destinationPath":               "string",
		"spec.configuration.s3Credentials.accessKeyId.key": "string",
		"spec.configuration.data.additionalCommandArgs[]":  "string",
		"spec.configuration.data.jobs":                     "integer",
	} {
		if f[p] != want {
			t.Errorf("Fields[%s] = %q, want %q", p, f[p], want)
		}
	}
	if _, err := Fields(crd.ObjectStores, "v2"); err == nil || !strings.Contains(err.Error(), "has no version v2") {
		t.Errorf("Fields(v2): %v", err)
	}
}

func TestMissing(t *testing.T) {
	ours, _ := Fields(crd.ObjectStores, "v1")
	if m := Missing(ours, ours); len(m) != 0 {
		t.Errorf("our CRD lacks %q of itself", m)
	}
	for name, c := range map[string]struct {
		change func(map[string]any)
		want   []string
	}{
		"a subtree removed is named once, at its top": {
			func(c map[string]any) { delete(props(c), "s3Credentials"); delete(props(c), "endpointURL") },
			[]string{"spec.configuration.endpointURL", "spec.configuration.s3Credentials"},
		},
		"a type changed": {
			func(c map[string]any) {
				props(props(c)["data"].(map[string]any))["jobs"] = map[string]any{"type": "string"}
			},
			[]string{"spec.configuration.data.jobs (integer here, string installed)"},
		},
		"a newer CRD with more fields lacks nothing": {
			func(c map[string]any) { props(c)["newField"] = map[string]any{"type": "string"} },
			nil,
		},
		"unknown fields preserved keep everything below": {
			func(c map[string]any) {
				for k := range c {
					delete(c, k)
				}
				c["type"] = "object"
				c["x-kubernetes-preserve-unknown-fields"] = true
			},
			nil,
		},
	} {
		got, err := Fields(edit(t, c.change), "v1")
		if err != nil {
			t.Fatal(err)
		}
		if m := Missing(ours, got); strings.Join(m, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: Missing = %q, want %q", name, m, c.want)
		}
	}
}

func gate(t *testing.T, mode Mode, get func(context.Context) ([]byte, error)) *Gate {
	t.Helper()
	g, err := NewGate(GateOptions{Mode: mode, Name: crdName, Version: "v1", Ours: crd.ObjectStores,
		Get: get, Interval: time.Millisecond, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var gr = schema.GroupResource{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}

// The gate stays closed while the CRD is missing or lacks fields, says what to do, and opens (for good)
// once a check passes.
func TestGateOpensOnceTheCRDHasEveryField(t *testing.T) {
	lacking := edit(t, func(c map[string]any) { delete(props(c), "googleCredentials") })
	answers := []func() ([]byte, error){
		func() ([]byte, error) { return nil, apierrors.NewNotFound(gr, crdName) },
		func() ([]byte, error) { return lacking, nil },
		func() ([]byte, error) { return crd.ObjectStores, nil },
	}
	g := gate(t, Fail, nil)
	seen := []string{g.NotReady()}
	i := 0
	g.get = func(context.Context) ([]byte, error) {
		if i > 0 {
			seen = append(seen, g.NotReady())
		}
		a := answers[i]
		i++
		return a()
	}
	g.Run(context.Background())
	if i != 3 || g.NotReady() != "" {
		t.Fatalf("after %d checks NotReady = %q, want open after 3", i, g.NotReady())
	}
	for n, want := range []string{"not been checked yet", "is not installed: install the Barman Cloud Plugin first", "lacks 1 field(s) this webhook validates, which the API server would prune from every ObjectStore: spec.configuration.googleCredentials. Upgrade the Barman Cloud Plugin"} {
		if !strings.Contains(seen[n], want) {
			t.Errorf("state %d: %q, want it to say %q", n, seen[n], want)
		}
	}
}

func TestGateModes(t *testing.T) {
	forbidden := func(context.Context) ([]byte, error) {
		return nil, apierrors.NewForbidden(gr, crdName, nil)
	}
	g := gate(t, Fail, forbidden)
	if p, conclusive := g.Check(context.Background()); !conclusive || !strings.Contains(p, "grant get on customresourcedefinitions.apiextensions.k8s.io with resourceNames [objectstores.barmancloud.cnpg.io]") {
		t.Errorf("forbidden: %q", p)
	}
	w := gate(t, Warn, forbidden)
	w.Run(context.Background()) // returns after one conclusive check
	if w.NotReady() != "" {
		t.Errorf("warn mode holds readiness: %q", w.NotReady())
	}
	if _, err := ParseMode("maybe"); err == nil || !strings.Contains(err.Error(), "want fail, warn or off") {
		t.Errorf("ParseMode(maybe): %v", err)
	}
}

// The installed CRD is whatever the cluster's admin (or another project's release) put there: reading and
// comparing any of it must not panic.
func FuzzFields(f *testing.F) {
	f.Add(crd.ObjectStores)
	f.Add([]byte(`spec: {versions: [{name: v1, served: true, schema: {openAPIV3Schema: {properties: "not a map", items: [1]}}}]}`))
	f.Add([]byte(`spec: {versions: [{name: v1, served: true, schema: {openAPIV3Schema: {properties: {spec: {items: {additionalProperties: {x-kubernetes-preserve-unknown-fields: true}}}}}}}]}`))
	ours, err := Fields(crd.ObjectStores, "v1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Fields(data, "v1")
		if err != nil {
			return
		}
		_ = Missing(ours, got)
	})
}
