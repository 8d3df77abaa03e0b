package pod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// credentialVars are the variables a store's Secret references become: files of the credentials volume,
// never env.
var credentialVars = []string{
	contract.EnvAWSAccessKeyID, contract.EnvAWSSecretAccessKey, contract.EnvAWSSessionToken, contract.EnvAWSRegion,
	contract.EnvAzureConnectionString, contract.EnvAzureStorageAccount, contract.EnvAzureStorageKey,
	contract.EnvAzureSASToken,
}

// TestGoldenSecretsOptional walks the sidecar of every golden injection: no Secret reaches it through env
// (a secretKeyRef fails the container at start when the Secret or key is missing, and is never refreshed),
// no credential variable is in env at all, every Secret and ConfigMap it mounts is optional, and the
// credentials volume names its files by the standard variables only.
func TestGoldenSecretsOptional(t *testing.T) {
	goldens, err := filepath.Glob("testdata/*.injected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sidecars, credentialVolumes, settingsVolumes int
	for _, path := range goldens {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var p corev1.Pod
		if err := yaml.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range p.Spec.Volumes {
			volumes[v.Name] = v
		}
		for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			if c.Name != contract.SidecarName {
				continue
			}
			sidecars++
			hasCredentials := false
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					t.Errorf("%s: env %s takes Secret %q through secretKeyRef; credentials are files of %s",
						path, e.Name, e.ValueFrom.SecretKeyRef.Name, contract.VolumeCredentials)
				}
				if slices.Contains(credentialVars, e.Name) {
					t.Errorf("%s: credential %s is in env; it must be a file of %s", path, e.Name, contract.VolumeCredentials)
				}
				if e.Name == contract.CredentialsDir.Env {
					hasCredentials = true
				}
			}
			for _, m := range c.VolumeMounts {
				v, ok := volumes[m.Name]
				if !ok {
					continue // the pod's own (pgdata)
				}
				switch {
				case v.Secret != nil:
					if v.Secret.Optional == nil || !*v.Secret.Optional {
						t.Errorf("%s: Secret volume %s (Secret %q) is not optional", path, v.Name, v.Secret.SecretName)
					}
				case v.ConfigMap != nil:
					settingsVolumes++
					if v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional {
						t.Errorf("%s: ConfigMap volume %s is not optional", path, v.Name)
					}
				case v.Projected != nil:
					for _, src := range v.Projected.Sources {
						if src.Secret == nil {
							continue
						}
						if src.Secret.Optional == nil || !*src.Secret.Optional {
							t.Errorf("%s: projected Secret %q of volume %s is not optional", path, src.Secret.Name, v.Name)
						}
						for _, it := range src.Secret.Items {
							if !slices.Contains(credentialVars, it.Path) {
								t.Errorf("%s: volume %s file %q is not a standard variable name (%s)", path, v.Name,
									it.Path, strings.Join(credentialVars, ", "))
							}
						}
					}
					if v.Name == contract.VolumeCredentials {
						credentialVolumes++
						if !hasCredentials {
							t.Errorf("%s: the credentials volume is mounted but %s is not set", path, contract.CredentialsDir.Env)
						}
						if m.MountPath != contract.MountCredentials || !m.ReadOnly {
							t.Errorf("%s: credentials mounted at %s (read-only %v), want %s read-only", path,
								m.MountPath, m.ReadOnly, contract.MountCredentials)
						}
					}
				}
			}
			if hasCredentials && !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.Name == contract.VolumeCredentials
			}) {
				t.Errorf("%s: %s is set without the credentials volume", path, contract.CredentialsDir.Env)
			}
		}
	}
	// Not vacuous: the goldens have sidecars with static credentials and the settings ConfigMap.
	if sidecars < 10 || credentialVolumes < 3 || settingsVolumes < sidecars {
		t.Fatalf("walked %d sidecars, %d credentials volumes, %d settings volumes: the goldens lost their cases",
			sidecars, credentialVolumes, settingsVolumes)
	}
}
