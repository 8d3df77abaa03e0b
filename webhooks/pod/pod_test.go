package pod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// TestUnknownFieldsSurvive feeds a pod with fields no k8s.io/api knows, at spec level and in a container,
// and checks they are still there after the patch is applied to the original bytes (the regression of
// kops #16802 and Azure WI #1751).
func TestUnknownFieldsSurvive(t *testing.T) {
	raw, set := loadCase(t, "testdata/unknown-field.yaml")
	res, err := (&Injector{Lookup: set, Options: testOptions("x")}).Inject(context.Background(), "db", raw)
	if err != nil || res.Failure != nil || len(res.Patch) == 0 {
		t.Fatalf("no injection: %v %v", err, res.Failure)
	}
	out := applyPatch(t, raw, res.Patch)
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	spec := doc["spec"].(map[string]any)
	if got, ok := spec["fooFromTheFuture"].(map[string]any); !ok || got["level"] != float64(11) {
		t.Errorf("spec.fooFromTheFuture lost: %v", spec["fooFromTheFuture"])
	}
	if _, ok := spec["resources"]; !ok {
		t.Error("spec.resources (pod-level resources) lost")
	}
	postgres := spec["containers"].([]any)[0].(map[string]any)
	if got, ok := postgres["barFromTheFuture"].([]any); !ok || len(got) != 3 {
		t.Errorf("containers[0].barFromTheFuture lost: %v", postgres["barFromTheFuture"])
	}
	// The pod had no initContainers: the native sidecar comes as the whole new array, nothing else.
	var sawInit bool
	for _, op := range res.Patch {
		if strings.HasPrefix(op.Path, "/spec/initContainers") {
			sawInit = true
			if op.Path != "/spec/initContainers" {
				t.Errorf("absent initContainers patched at %s", op.Path)
			}
		}
		if strings.HasPrefix(op.Path, "/spec/containers") {
			t.Errorf("native sidecar must not touch containers: %s", op.Path)
		}
	}
	if !sawInit {
		t.Error("no initContainers op")
	}
}

// TestPatchPaths checks the three ways to add: whole array or map where absent, /- on an existing array,
// one escaped key on an existing map.
func TestPatchPaths(t *testing.T) {
	add := Additions{
		Annotations:    map[string]string{"a/b~c": "1"},
		InitContainers: []corev1.Container{{Name: "x"}},
		Volumes:        []corev1.Volume{{Name: "v"}},
	}
	paths := func(s Shape) []string {
		var out []string
		for _, op := range Patch(s, add) {
			if op.Operation != "add" {
				t.Errorf("%s op", op.Operation)
			}
			out = append(out, op.Path)
		}
		return out
	}
	full := Shape{Metadata: true, Annotations: true, Spec: true, InitContainers: true, Containers: true, Volumes: true}
	if got, want := strings.Join(paths(full), " "),
		"/metadata/annotations/a~1b~0c /spec/initContainers/- /spec/volumes/-"; got != want {
		t.Errorf("existing parents: %s, want %s", got, want)
	}
	if got, want := strings.Join(paths(Shape{Metadata: true, Spec: true}), " "),
		"/metadata/annotations /spec/initContainers /spec/volumes"; got != want {
		t.Errorf("absent arrays: %s, want %s", got, want)
	}
	if got, want := strings.Join(paths(Shape{}), " "), "/metadata /spec"; got != want {
		t.Errorf("absent metadata and spec: %s, want %s", got, want)
	}
}

func TestPlanFailures(t *testing.T) {
	raw, set := loadCase(t, "testdata/s3-keys.yaml")
	p, _, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := set.Cluster(context.Background(), "db", "pg")
	good, _ := set.ObjectStore(context.Background(), "db", "backups")
	mutate := func(f func(s *barmanv1.ObjectStore)) *barmanv1.ObjectStore {
		s := good.DeepCopy()
		f(s)
		return s
	}
	noPGData := p.DeepCopy()
	noPGData.Spec.Volumes = noPGData.Spec.Volumes[1:]
	for name, tc := range map[string]struct {
		pod    *corev1.Pod
		store  *barmanv1.ObjectStore
		reason string
	}{
		"store missing":      {p, nil, ReasonStoreNotFound},
		"no pgdata volume":   {noPGData, good, ReasonNoPGDataVolume},
		"secret without key": {p, mutate(func(s *barmanv1.ObjectStore) { s.Spec.Configuration.AWS.AccessKeyIDReference.Key = "" }), ReasonBrokenReference},
		"no destination":     {p, mutate(func(s *barmanv1.ObjectStore) { s.Spec.Configuration.DestinationPath = "" }), ReasonBrokenReference},
		"no provider":        {p, mutate(func(s *barmanv1.ObjectStore) { s.Spec.Configuration.AWS = nil }), ReasonUnsupportedStore},
		"two providers": {p, mutate(func(s *barmanv1.ObjectStore) {
			s.Spec.Configuration.Google = &barmanv1.GoogleCredentials{GKEEnvironment: true}
		}), ReasonUnsupportedStore},
	} {
		t.Run(name, func(t *testing.T) {
			add, _, err := Plan(tc.pod, c, tc.store, nil, testOptions("x"))
			var f *Failure
			if !errors.As(err, &f) || f.Reason != tc.reason {
				t.Fatalf("got %v, want a %s failure", err, tc.reason)
			}
			if !add.Empty() {
				t.Error("a failure must add nothing")
			}
		})
	}
	if _, _, err := Plan(p, nil, good, nil, testOptions("x")); err == nil {
		t.Error("a missing Cluster must be a failure")
	}
}

// TestSidecarSecurity checks what the golden files show but a reviewer could miss: credentials only as
// secretKeyRef, secret files not world-readable, and the hardened security context.
func TestSidecarSecurity(t *testing.T) {
	raw, set := loadCase(t, "testdata/s3-keys.yaml")
	p, _, _ := Decode(raw)
	c, _ := set.Cluster(context.Background(), "db", "pg")
	s, _ := set.ObjectStore(context.Background(), "db", "backups")
	add, _, err := Plan(p, c, s, nil, testOptions("x"))
	if err != nil {
		t.Fatal(err)
	}
	sc := add.InitContainers[0]
	if sc.RestartPolicy == nil || *sc.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Error("native sidecar without restartPolicy Always")
	}
	for _, e := range sc.Env {
		secret := e.Name == contract.EnvAWSAccessKeyID || e.Name == contract.EnvAWSSecretAccessKey ||
			e.Name == contract.EnvAWSRegion
		if secret && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			t.Errorf("%s must come from a secretKeyRef", e.Name)
		}
	}
	if n := len(sc.Env); n == 0 || sc.Env[n-1].Name != "AWS_REQUEST_CHECKSUM_CALCULATION" {
		t.Error("the store's instanceSidecarConfiguration.env must come last")
	}
	for _, v := range add.Volumes {
		if v.Secret != nil && (v.Secret.DefaultMode == nil || *v.Secret.DefaultMode&0o007 != 0) {
			t.Errorf("secret volume %s is world-readable", v.Name)
		}
		if v.Projected != nil && len(v.Projected.Sources) == 0 {
			t.Errorf("empty projected volume %s (upstream #347)", v.Name)
		}
	}
	ctx := sc.SecurityContext
	if ctx == nil || !*ctx.RunAsNonRoot || !*ctx.ReadOnlyRootFilesystem || *ctx.AllowPrivilegeEscalation ||
		len(ctx.Capabilities.Drop) != 1 || ctx.Capabilities.Drop[0] != "ALL" ||
		ctx.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("security context not hardened: %+v", ctx)
	}
}

type recorded struct{ namespace, cluster, pod, reason string }

type fakeEvents struct{ got []recorded }

func (f *fakeEvents) InjectionFailed(namespace, cluster, pod string, fl *Failure) {
	f.got = append(f.got, recorded{namespace, cluster, pod, fl.Reason})
}

func TestWebhookFailurePolicy(t *testing.T) {
	raw, set := loadCase(t, "testdata/store-missing.yaml")
	req := &admissionv1.AdmissionRequest{Operation: admissionv1.Create, Namespace: "db", Name: "pg-1",
		Object: runtime.RawExtension{Raw: raw}}
	for _, deny := range []bool{false, true} {
		reg := prometheus.NewRegistry()
		failures, err := NewFailureCounter(reg)
		if err != nil {
			t.Fatal(err)
		}
		ev := &fakeEvents{}
		w := &Webhook{Injector: Injector{Lookup: set, Options: testOptions("x")}, Deny: deny, Events: ev, Failures: failures}
		res := w.Admit(context.Background(), req)
		if res.Allowed() == deny {
			t.Errorf("deny=%v: allowed=%v", deny, res.Allowed())
		}
		if len(res.Patch) != 0 {
			t.Errorf("deny=%v: a failed injection patched the pod", deny)
		}
		if !deny && (len(res.Warnings) == 0 || !strings.Contains(res.Warnings[len(res.Warnings)-1], "backups")) {
			t.Errorf("admitted without a warning naming the store: %v", res.Warnings)
		}
		if got := testutil.ToFloat64(failures.WithLabelValues(ReasonStoreNotFound)); got != 1 {
			t.Errorf("failures{reason=%s} = %v, want 1", ReasonStoreNotFound, got)
		}
		if want := (recorded{"db", "pg", "pg-1", ReasonStoreNotFound}); len(ev.got) != 1 || ev.got[0] != want {
			t.Errorf("events %v, want %v", ev.got, want)
		}
	}
}

func TestWebhookPatchesAndSkips(t *testing.T) {
	raw, set := loadCase(t, "testdata/irsa.yaml")
	w := &Webhook{Injector: Injector{Lookup: set, Options: testOptions("x")}}
	res := w.Admit(context.Background(), &admissionv1.AdmissionRequest{Operation: admissionv1.Create,
		Namespace: "db", Object: runtime.RawExtension{Raw: raw}})
	if !res.Allowed() || len(res.Patch) == 0 {
		t.Fatalf("no patch: %+v", res)
	}
	if !strings.Contains(string(res.Patch), contract.EnvAWSRoleARN) {
		t.Error("IRSA env missing from the patch")
	}
	res = w.Admit(context.Background(), &admissionv1.AdmissionRequest{Operation: admissionv1.Update,
		Namespace: "db", Object: runtime.RawExtension{Raw: raw}})
	if len(res.Patch) != 0 {
		t.Error("UPDATE must not be mutated")
	}
	res = w.Admit(context.Background(), &admissionv1.AdmissionRequest{Operation: admissionv1.Create,
		Namespace: "db", Object: runtime.RawExtension{Raw: []byte(`{"spec":{"containers":7}}`)}})
	if res.Allowed() {
		t.Error("a pod that does not decode must be refused")
	}
}

func TestConfig(t *testing.T) {
	c := Config{Image: "img", PullPolicy: "Always", NativeSidecar: "auto"}
	for v, want := range map[string]bool{"v1.28.9": false, "v1.29.0": true, "v1.33.2-eks-1": true} {
		opts, err := c.Options(func() (string, error) { return v, nil })
		if err != nil || opts.NativeSidecar != want {
			t.Errorf("%s: native=%v err=%v, want %v", v, opts.NativeSidecar, err, want)
		}
	}
	for _, bad := range []Config{
		{Image: "", PullPolicy: "Always", NativeSidecar: "true"},
		{Image: "i", PullPolicy: "Sometimes", NativeSidecar: "true"},
		{Image: "i", PullPolicy: "Always", NativeSidecar: "maybe"},
		{Image: "i", PullPolicy: "Always", NativeSidecar: "auto"}, // no API server offline
	} {
		if _, err := bad.Options(nil); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := (&Config{InjectionFailure: "sometimes"}).DenyOnFailure(); err == nil {
		t.Error("--injection-failure=sometimes accepted")
	}
}

// TestEncodePatch: the hand-written encoding says the same as encoding/json.
func TestEncodePatch(t *testing.T) {
	raw, set := loadCase(t, "testdata/azure-workload-identity.yaml")
	res, err := (&Injector{Lookup: set, Options: testOptions("x")}).Inject(context.Background(), "db", raw)
	if err != nil || len(res.Patch) == 0 {
		t.Fatalf("no patch: %v", err)
	}
	res.Patch = append(res.Patch, jsonpatch.NewOperation("add", "/metadata/labels/a~1\"\u2028", "v\u0000"))
	fast, err := EncodePatch(res.Patch)
	if err != nil {
		t.Fatal(err)
	}
	slow := mustJSON(t, res.Patch)
	var a, b any
	if err := json.Unmarshal(fast, &a); err != nil {
		t.Fatalf("EncodePatch wrote invalid JSON: %v\n%s", err, fast)
	}
	if err := json.Unmarshal(slow, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("EncodePatch differs from encoding/json:\n%s\n%s", fast, slow)
	}
}

// TestEncodePatchBytes: for every case, the patch is byte for byte what encoding/json writes, whole arrays
// of the sidecar or volumes included.
func TestEncodePatchBytes(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	patched := 0
	for _, c := range cases {
		if strings.HasSuffix(c, ".injected.yaml") {
			continue
		}
		raw, set := loadCase(t, c)
		for _, native := range []bool{true, false} {
			opts := testOptions("x")
			opts.NativeSidecar = native
			res, err := (&Injector{Lookup: set, Options: opts}).Inject(context.Background(), "db", raw)
			if err != nil || len(res.Patch) == 0 {
				continue
			}
			patched++
			fast, err := EncodePatch(res.Patch)
			if err != nil {
				t.Fatal(err)
			}
			if slow := mustJSON(t, res.Patch); !bytes.Equal(fast, slow) {
				t.Errorf("%s: EncodePatch differs from encoding/json:\n%s\n%s", c, fast, slow)
			}
		}
	}
	if patched < 10 {
		t.Fatalf("only %d patches checked", patched)
	}
}

// TestWebhookReusesWorkspaces runs every golden case through the webhook several times, interleaved, so
// that each review plans in memory the one before it used: the patch and warnings must be those of a
// fresh Inject every time (nothing of the previous pod, store or sidecar may show through).
func TestWebhookReusesWorkspaces(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type reviewCase struct {
		name     string
		webhook  *Webhook
		req      *admissionv1.AdmissionRequest
		patch    []byte
		warnings []string
	}
	var cases []reviewCase
	for _, in := range inputs {
		if strings.HasSuffix(in, ".injected.yaml") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		raw, set := loadCase(t, in)
		injector := Injector{Lookup: set, Options: testOptions(name)}
		res, err := injector.Inject(context.Background(), "db", raw)
		if err != nil {
			t.Fatal(err)
		}
		want := admission.Result{Warnings: res.Warnings}
		if res.Failure != nil {
			want.Warnings = append(want.Warnings, "wal-archiver not injected: "+res.Failure.Message)
		}
		if len(res.Patch) > 0 {
			if want.Patch, err = EncodePatch(res.Patch); err != nil {
				t.Fatal(err)
			}
		}
		cases = append(cases, reviewCase{name, &Webhook{Injector: injector}, &admissionv1.AdmissionRequest{
			Operation: admissionv1.Create, Namespace: "db", Object: runtime.RawExtension{Raw: raw}},
			want.Patch, want.Warnings})
	}
	for round := range 4 {
		for i := range cases {
			c := cases[i]
			if round%2 == 1 {
				c = cases[len(cases)-1-i]
			}
			got := c.webhook.AdmitAppend(context.Background(), c.req, nil)
			if got.Err != nil || !bytes.Equal(got.Patch, c.patch) || !slices.Equal(got.Warnings, c.warnings) {
				t.Errorf("round %d, %s: webhook answered %s %q %v, Inject %s %q", round, c.name, got.Patch,
					got.Warnings, got.Err, c.patch, c.warnings)
			}
		}
	}
}
