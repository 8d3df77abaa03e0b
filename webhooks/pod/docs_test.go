package pod

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

const (
	mutationDoc = "../../docs/mutation.md"
	beginEnv    = "<!-- BEGIN GENERATED ENV: go test ./webhooks/pod -run TestMutationDoc -update -->\n"
	beginMounts = "<!-- BEGIN GENERATED MOUNTS: go test ./webhooks/pod -run TestMutationDoc -update -->\n"
	endTable    = "<!-- END GENERATED -->\n"
)

// TestMutationDoc keeps the environment and mount tables of docs/mutation.md equal to what the golden cases
// inject, and checks that the page names every wal-archiver setting and every annotation of contract.
func TestMutationDoc(t *testing.T) {
	envTable, mountTable := renderTables(t)
	doc, err := os.ReadFile(mutationDoc)
	if err != nil {
		t.Fatal(err)
	}
	got := replaceBetween(t, doc, beginEnv, envTable)
	got = replaceBetween(t, got, beginMounts, mountTable)
	if *update {
		if err := os.WriteFile(mutationDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if !bytes.Equal(got, doc) {
		t.Errorf("%s is stale: run go test ./webhooks/pod -run TestMutationDoc -update", mutationDoc)
	}
	doc = got
	for _, s := range contract.Settings() {
		if !bytes.Contains(doc, []byte("`"+s.Env+"`")) {
			t.Errorf("%s does not mention the setting %s", mutationDoc, s.Env)
		}
	}
	for _, a := range []string{contract.ClusterObjectStore, contract.ClusterServerName, contract.StoreAWSRoleARN, contract.StoreAWSPodIdentity, contract.AWSPodIdentityLabel,
		contract.StoreGCPServiceAccount, contract.StoreAzureClientID, contract.StoreAzureTenantID, contract.PodInject,
		contract.PodInjected, contract.AWSRoleARNAnnotation, contract.AWSAudienceAnnotation,
		contract.AWSTokenExpirationAnnotation, contract.AWSSTSRegionalAnnotation, contract.AWSSkipContainersAnnotation,
		contract.GCPServiceAccountAnnotation, contract.AzureClientIDAnnotation, contract.AzureTenantIDAnnotation,
		contract.AzureUseLabel, contract.AzureTokenExpirationAnnotation, contract.AzureSkipContainersAnnotation} {
		if !bytes.Contains(doc, []byte("`"+a+"`")) {
			t.Errorf("%s does not mention the annotation %s", mutationDoc, a)
		}
	}
}

type row struct {
	example string
	cases   []string
}

// renderTables injects every golden case and lists each variable and mount the archiver got, with an
// example value and the cases it appears in.
func renderTables(t *testing.T) (string, string) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env, mounts := map[string]*row{}, map[string]*row{}
	var envOrder, mountOrder, all []string
	for _, in := range inputs {
		if strings.HasSuffix(in, ".injected.yaml") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		raw, set := loadCase(t, in)
		p, _, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		clusterName, ok := Target(p)
		if !ok {
			continue
		}
		c, _ := set.Cluster(context.Background(), "db", clusterName)
		inj := &Injector{Lookup: set, Options: testOptions(name)}
		add, _, err := inj.plan(context.Background(), "db", p, nil)
		if err != nil || c == nil {
			continue
		}
		containers := append(add.InitContainers, add.Containers...)
		if len(containers) == 0 {
			continue
		}
		all = append(all, name)
		volumes := map[string]corev1.Volume{}
		for _, v := range add.Volumes {
			volumes[v.Name] = v
		}
		for _, e := range containers[0].Env {
			envOrder = note(env, envOrder, e.Name, envValue(e), name)
		}
		for _, m := range containers[0].VolumeMounts {
			mountOrder = note(mounts, mountOrder, m.MountPath, fmt.Sprintf("`%s` (%s)", m.Name, source(volumes, m.Name)), name)
		}
	}
	var e strings.Builder
	e.WriteString("| Variable | Setting flag | Example | In the golden cases |\n|---|---|---|---|\n")
	flags := map[string]string{}
	for _, s := range contract.Settings() {
		flags[s.Env] = "`--" + s.Flag + "`"
	}
	for _, n := range envOrder {
		fmt.Fprintf(&e, "| `%s` | %s | %s | %s |\n", n, flags[n], env[n].example, cases(env[n].cases, all))
	}
	var m strings.Builder
	m.WriteString("| Mount path | Volume (source) | In the golden cases |\n|---|---|---|\n")
	for _, p := range mountOrder {
		fmt.Fprintf(&m, "| `%s` | %s | %s |\n", p, mounts[p].example, cases(mounts[p].cases, all))
	}
	return e.String(), m.String()
}

func note(rows map[string]*row, order []string, key, example, name string) []string {
	r, ok := rows[key]
	if !ok {
		r = &row{example: example}
		rows[key] = r
		order = append(order, key)
	}
	r.cases = append(r.cases, name)
	return order
}

func cases(names, all []string) string {
	if len(names) == len(all) {
		return "all"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func envValue(e corev1.EnvVar) string {
	switch {
	case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
		return fmt.Sprintf("Secret `%s` key `%s`", e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
	case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
		return "field `" + e.ValueFrom.FieldRef.FieldPath + "`"
	}
	return "`" + strings.ReplaceAll(e.Value, "|", "\\|") + "`"
}

func source(volumes map[string]corev1.Volume, name string) string {
	v, ok := volumes[name]
	switch {
	case !ok:
		return "the pod's own"
	case v.Secret != nil:
		return fmt.Sprintf("Secret `%s`, mode %#o, optional", v.Secret.SecretName, *v.Secret.DefaultMode)
	case v.ConfigMap != nil:
		return fmt.Sprintf("ConfigMap `%s`, optional", v.ConfigMap.Name)
	case v.Projected != nil && len(v.Projected.Sources) > 0 && v.Projected.Sources[0].Secret != nil:
		// The Secrets differ from case to case; the row says what every case has in common.
		return fmt.Sprintf("projected store Secrets, optional, mode %#o, one file per standard variable name",
			*v.Projected.DefaultMode)
	case v.Projected != nil:
		return "projected ServiceAccount token"
	case v.EmptyDir != nil:
		return "emptyDir"
	}
	return "other"
}

func replaceBetween(t *testing.T, doc []byte, begin, table string) []byte {
	t.Helper()
	i := bytes.Index(doc, []byte(begin))
	if i < 0 {
		t.Fatalf("%s lacks the marker %q", mutationDoc, begin)
	}
	j := bytes.Index(doc[i:], []byte(endTable))
	if j < 0 {
		t.Fatalf("%s: no %q after %q", mutationDoc, endTable, begin)
	}
	var b bytes.Buffer
	b.Write(doc[:i+len(begin)])
	b.WriteString(table)
	b.Write(doc[i+j:])
	return b.Bytes()
}
