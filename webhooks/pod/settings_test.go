package pod

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// TestSettingsMatchEnv holds the settings file and the env to one source: for every golden case, each
// entry of SettingsMap is in the injected sidecar's env with the same value when it is not empty, and
// absent from the env when it is empty. A setting added to the env but not to StoreSettings fails
// TestSettingsCoverEnv below.
func TestSettingsMatchEnv(t *testing.T) {
	checked := 0
	forEachInjected(t, func(t *testing.T, name string, env map[string]string, set *binding.Set, podNS, clusterName string) {
		c, _ := set.Cluster(context.Background(), podNS, clusterName)
		b, ok := binding.BindingOf(c)
		if !ok {
			t.Fatalf("%s: cluster %s has a sidecar but no binding", name, clusterName)
		}
		store, _ := set.ObjectStore(context.Background(), podNS, b.Store)
		m, err := SettingsMap(c, b, store)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			got, inEnv := env[k]
			switch {
			case v != "" && got != v:
				t.Errorf("%s: settings file %s=%q, env %q (present %v)", name, k, v, got, inEnv)
			case v == "" && inEnv:
				t.Errorf("%s: settings file has %s empty, env has %q", name, k, got)
			}
		}
		checked++
	})
	if checked < 10 {
		t.Fatalf("checked %d cases", checked)
	}
}

// TestSettingsCoverEnv: every WAL_ARCHIVER_* variable in an injected env is either in the settings file
// or one of the settings that depend on neither the Cluster nor the store, so the file misses no setting a
// store edit can change.
func TestSettingsCoverEnv(t *testing.T) {
	fixed := []string{contract.SlotName.Env, contract.SpoolDir.Env, contract.ListenAddress.Env,
		contract.CredentialsDir.Env, contract.SettingsFile.Env}
	forEachInjected(t, func(t *testing.T, name string, env map[string]string, set *binding.Set, podNS, clusterName string) {
		c, _ := set.Cluster(context.Background(), podNS, clusterName)
		b, _ := binding.BindingOf(c)
		store, _ := set.ObjectStore(context.Background(), podNS, b.Store)
		m, err := SettingsMap(c, b, store)
		if err != nil {
			t.Fatal(err)
		}
		for k := range env {
			if _, in := m[k]; strings.HasPrefix(k, "WAL_ARCHIVER_") && !in && !slices.Contains(fixed, k) {
				t.Errorf("%s: env %s is not in the settings file (add it to StoreSettings)", name, k)
			}
		}
	})
}

// forEachInjected calls f with the sidecar env of every golden case that injected one.
func forEachInjected(t *testing.T, f func(t *testing.T, name string, env map[string]string, set *binding.Set, ns, clusterName string)) {
	t.Helper()
	goldens, err := filepath.Glob("testdata/*.injected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, golden := range goldens {
		in := strings.TrimSuffix(golden, ".injected.yaml") + ".yaml"
		_, set := loadCase(t, in)
		raw, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		var p corev1.Pod
		if err := yaml.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			if c.Name != contract.SidecarName {
				continue
			}
			env := map[string]string{}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					env[e.Name] = e.Value
				}
			}
			ns := p.Namespace
			if ns == "" {
				ns = "db"
			}
			f(t, filepath.Base(in), env, set, ns, p.Labels[contract.CNPGClusterLabel])
		}
	}
}
