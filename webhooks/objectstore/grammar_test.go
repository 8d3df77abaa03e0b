package objectstore

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/location"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// TestRulesReadDestinationsAsTheArchiver joins the two readers of a destinationPath: every store the
// rules accept (each accepted rule case and every example in examples/) and the settings of every golden
// sidecar of the pod webhook go through wal-archiver's own settings parsing, which must open them and
// find the bucket (or container), account and prefix the rules checked.
func TestRulesReadDestinationsAsTheArchiver(t *testing.T) {
	type destination struct{ from, path, provider string }
	var dests []destination
	add := func(from string, o *v1.ObjectStore) {
		if prov, n := credentialsProvider(&o.Spec.Configuration); n == 1 && o.Spec.Configuration.DestinationPath != "" {
			dests = append(dests, destination{from, o.Spec.Configuration.DestinationPath, prov.String()})
		}
	}
	for _, c := range allCases() {
		if errs, _ := c.run(); len(errs) == 0 && len(c.deny) == 0 {
			add("rule case "+c.rule+"/"+c.name, c.obj)
		}
	}
	for _, doc := range yamlDocuments(t, "../../examples/*.yaml") {
		var o v1.ObjectStore
		if yaml.Unmarshal(doc.body, &o) == nil && o.Kind == "ObjectStore" {
			if errs, _ := Validate(t.Context(), nil, &o, nil, Options{}); len(errs) > 0 {
				t.Errorf("%s: the example is refused: %v", doc.file, errs)
			}
			add(doc.file+" "+o.Name, &o)
		}
	}
	examples := len(dests)
	for _, doc := range yamlDocuments(t, "../pod/testdata/*.injected.yaml") {
		env := sidecarEnv(t, doc.body)
		s := storeconfig.SettingsFromEnv(func(k string) string { return env[k] })
		if s.DestinationPath != "" {
			dests = append(dests, destination{"golden " + doc.file, s.DestinationPath, s.Provider})
		}
	}
	if examples < 40 || len(dests)-examples < 5 {
		t.Fatalf("only %d stores and %d golden sidecars found", examples, len(dests)-examples)
	}
	t.Logf("%d accepted stores (rule cases and examples), %d golden sidecars", examples, len(dests)-examples)
	for _, d := range dests {
		loc, err := storeconfig.ParseDestination(d.path, d.provider)
		if err != nil {
			t.Errorf("%s: wal-archiver cannot open %q (%s): %v", d.from, d.path, d.provider, err)
			continue
		}
		account, bucket, prefix := location.Split(d.path)
		if loc.Bucket != bucket || loc.Prefix != strings.Trim(prefix, "/") || loc.Account != account {
			t.Errorf("%s: %q: wal-archiver reads account %q, bucket %q, prefix %q; the rules %q, %q, %q",
				d.from, d.path, loc.Account, loc.Bucket, loc.Prefix, account, bucket, strings.Trim(prefix, "/"))
		}
	}
}

type yamlDocument struct {
	file string
	body []byte
}

func yamlDocuments(t *testing.T, glob string) []yamlDocument {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s: %v", glob, err)
	}
	var out []yamlDocument
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(content, []byte("\n---")) {
			out = append(out, yamlDocument{filepath.Base(f), doc})
		}
	}
	return out
}

// sidecarEnv is the plain env of the wal-archiver container of an injected pod.
func sidecarEnv(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	var pod struct {
		Spec struct {
			InitContainers, Containers []struct {
				Env []struct{ Name, Value string }
			}
		}
	}
	if err := yaml.Unmarshal(doc, &pod); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "WAL_ARCHIVER_") || e.Name == contract.EnvAzureStorageAccount {
				env[e.Name] = e.Value
			}
		}
	}
	return env
}
