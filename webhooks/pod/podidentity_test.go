package pod

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// TestPodIdentityEdges covers what the golden cases pod-identity-* do not: the EKS skip list, an EKS
// injection too incomplete to copy, and a store that declares nothing on a pod without EKS traces.
func TestPodIdentityEdges(t *testing.T) {
	declared, set := loadCase(t, "testdata/pod-identity-declared.yaml")
	eksFirst, eksSet := loadCase(t, "testdata/pod-identity-eks-webhook-first.yaml")
	withoutMount := edit(t, eksFirst, func(p *corev1.Pod) {
		for i := range p.Spec.Containers {
			p.Spec.Containers[i].VolumeMounts = p.Spec.Containers[i].VolumeMounts[:2]
		}
		p.Spec.InitContainers[0].VolumeMounts = p.Spec.InitContainers[0].VolumeMounts[:1]
	})
	for name, tc := range map[string]struct {
		pod      []byte
		declared bool
		wantURI  string // "" means no Pod Identity variables at all
		warning  string
	}{
		"skip-containers names the archiver": {
			pod: edit(t, declared, func(p *corev1.Pod) {
				p.Annotations = map[string]string{contract.AWSSkipContainersAnnotation: "other, " + contract.SidecarName}
			}), declared: true},
		"EKS variables without their mount, store declares: our defaults": {
			pod: withoutMount, declared: true, wantURI: contract.AWSPodIdentityAgentURI},
		"EKS variables without their mount, nothing declared: the node's role": {
			pod: withoutMount, warning: "no Pod Identity is declared"},
		"no traces, nothing declared": {
			pod: edit(t, declared, func(*corev1.Pod) {}), warning: "no Pod Identity is declared"},
	} {
		t.Run(name, func(t *testing.T) {
			s := eksSet
			if tc.declared {
				s = set
			}
			res, err := (&Injector{Lookup: s, Options: testOptions(name)}).Inject(context.Background(), "db", tc.pod)
			if err != nil || res.Failure != nil {
				t.Fatalf("%v %v", err, res.Failure)
			}
			out := applyPatch(t, tc.pod, res.Patch)
			var p corev1.Pod
			mustUnmarshal(t, out, &p)
			var archiver *corev1.Container
			for i := range p.Spec.InitContainers {
				if p.Spec.InitContainers[i].Name == contract.SidecarName {
					archiver = &p.Spec.InitContainers[i]
				}
			}
			if archiver == nil {
				t.Fatalf("no archiver in\n%s", out)
			}
			uri := envNamed(archiver, contract.EnvAWSContainerCredentialsFullURI)
			switch {
			case tc.wantURI == "" && uri != nil:
				t.Errorf("archiver got %s=%s", uri.Name, uri.Value)
			case tc.wantURI != "" && (uri == nil || uri.Value != tc.wantURI):
				t.Errorf("archiver's %s = %v, want %s", contract.EnvAWSContainerCredentialsFullURI, uri, tc.wantURI)
			}
			if tc.wantURI != "" && mountHolding(archiver, contract.FileAWSPodIdentityToken) == nil {
				t.Errorf("the token file %s is on no mount of the archiver", contract.FileAWSPodIdentityToken)
			}
			joined := strings.Join(res.Warnings, "\n")
			if tc.warning == "" && joined != "" || !strings.Contains(joined, tc.warning) {
				t.Errorf("warnings %q, want one containing %q", res.Warnings, tc.warning)
			}
		})
	}
}

// edit decodes a pod, changes it and encodes it again.
func edit(t *testing.T, raw []byte, f func(*corev1.Pod)) []byte {
	t.Helper()
	var p corev1.Pod
	mustUnmarshal(t, raw, &p)
	f(&p)
	out, err := json.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
