package pod

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	k8sjson "sigs.k8s.io/json"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// EKS Pod Identity. The EKS pod-identity webhook gives every container of a pod whose ServiceAccount has
// an association the agent's URL, a token file and a projected token volume. Whether it does so for the
// archiver depends on the order of the two webhooks (by configuration name) and on its
// reinvocationPolicy, which EKS sets as it likes (EKS webhook #187). So the archiver gets them from us
// either way: copied from a container the EKS webhook already mutated, or, when the store declares an
// association and the EKS webhook has not run yet, with the EKS webhook's own names and defaults, which
// it then recognises and leaves alone.

// podIdentityTraces reports whether the EKS webhook has mutated the pod for Pod Identity: its label, or
// its token volume.
func podIdentityTraces(p *corev1.Pod) bool {
	return p.Labels[contract.AWSPodIdentityLabel] != "" || hasVolume(p, contract.VolumeAWSPodIdentityToken)
}

// credentialContainers is the part of a pod's containers that Pod Identity writes.
type credentialContainers struct {
	Spec *struct {
		InitContainers []credentialContainer `json:"initContainers"`
		Containers     []credentialContainer `json:"containers"`
	} `json:"spec"`
}

type credentialContainer struct {
	Env          []corev1.EnvVar      `json:"env"`
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts"`
}

// readPodIdentity adds to p's containers, decoded by name only, the container-credentials variables and
// the mounts of those that have them. Only pods the EKS webhook has been at pay for this second decode.
func readPodIdentity(raw []byte, p *corev1.Pod) error {
	var v credentialContainers
	if err := k8sjson.UnmarshalCaseSensitivePreserveInts(raw, &v); err != nil {
		return fmt.Errorf("decoding Pod: %w", err)
	}
	if v.Spec == nil {
		return nil
	}
	fillCredentials(p.Spec.InitContainers, v.Spec.InitContainers)
	fillCredentials(p.Spec.Containers, v.Spec.Containers)
	return nil
}

func fillCredentials(into []corev1.Container, from []credentialContainer) {
	if len(into) != len(from) {
		return // not the same pod; nothing to copy is the safe answer
	}
	for i := range from {
		var env []corev1.EnvVar
		for _, e := range from[i].Env {
			if e.Name == contract.EnvAWSContainerCredentialsFullURI || e.Name == contract.EnvAWSContainerAuthorizationTokenFile {
				env = append(env, e)
			}
		}
		if len(env) > 0 {
			into[i].Env = env
			into[i].VolumeMounts = from[i].VolumeMounts
		}
	}
}

// copyPodIdentity gives the archiver what the EKS webhook gave another container of the pod: the agent's
// URL as it wrote it (IPv4 or IPv6 cluster), the token file, and a mount of the volume holding it. It
// reports false when no container has them completely.
func (s *sidecar) copyPodIdentity(p *corev1.Pod) bool {
	for _, list := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for i := range list {
			c := &list[i]
			if c.Name == contract.SidecarName {
				continue
			}
			uri, file := envNamed(c, contract.EnvAWSContainerCredentialsFullURI), envNamed(c, contract.EnvAWSContainerAuthorizationTokenFile)
			if uri == nil || file == nil || file.ValueFrom != nil {
				continue
			}
			m := mountHolding(c, file.Value)
			if m == nil || !hasVolume(p, m.Name) {
				continue
			}
			s.env = append(s.env, *uri.DeepCopy(), *file.DeepCopy())
			s.mounts = append(s.mounts, corev1.VolumeMount{Name: m.Name, MountPath: m.MountPath, ReadOnly: true})
			return true
		}
	}
	return false
}

// podIdentity adds the container credentials with the EKS webhook's defaults and the expiration it would
// choose from the pod's and ServiceAccount's annotations.
func (s *sidecar) podIdentity(p *corev1.Pod, saAnn map[string]string) []string {
	expiration, warnings := awsTokenExpiration(p, saAnn)
	s.env = append(s.env,
		value(contract.EnvAWSContainerCredentialsFullURI, contract.AWSPodIdentityAgentURI),
		value(contract.EnvAWSContainerAuthorizationTokenFile, contract.FileAWSPodIdentityToken))
	s.tokenVolume(contract.VolumeAWSPodIdentityToken, contract.MountAWSPodIdentityToken,
		contract.VolumeAWSPodIdentityToken, contract.AWSPodIdentityAudience, expiration)
	return warnings
}

func envNamed(c *corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// mountHolding returns the mount of c whose directory holds file, the deepest one if several do.
func mountHolding(c *corev1.Container, file string) *corev1.VolumeMount {
	var best *corev1.VolumeMount
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		dir := strings.TrimRight(m.MountPath, "/") + "/"
		if m.SubPath == "" && strings.HasPrefix(file, dir) && (best == nil || len(m.MountPath) > len(best.MountPath)) {
			best = m
		}
	}
	return best
}
