package pod

import (
	"context"
	"encoding/json"
	"testing"

	jsonpatch5 "github.com/evanphx/json-patch/v5"
)

// FuzzInject feeds arbitrary JSON as the pod. Whatever decodes must yield a patch that applies to the
// original bytes, and injecting the result again must add nothing; nothing may panic.
//
//	go test ./webhooks/pod -run '^$' -fuzz FuzzInject -fuzztime 60s
func FuzzInject(f *testing.F) {
	raw, set := loadCase(f, "testdata/s3-keys.yaml")
	f.Add(raw)
	irsa, _ := loadCase(f, "testdata/unknown-field.yaml")
	f.Add(irsa)
	f.Add([]byte(`{"metadata":{"labels":{"cnpg.io/cluster":"pg","cnpg.io/podRole":"instance"}},"spec":{"volumes":[{"name":"pgdata"}]}}`))
	f.Add([]byte(`{"metadata":{"labels":{"cnpg.io/cluster":"pg","cnpg.io/podRole":"instance"},"annotations":null},"spec":{"volumes":[{"name":"pgdata"}],"initContainers":null}}`))
	f.Add([]byte(`{"metadata":{"labels":{"cnpg.io/cluster":"pg","cnpg.io/podRole":"instance"},"Annotations":{}},"spec":{"volumes":[{"name":"pgdata"},{"name":"pgdata"}]}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	injector := &Injector{Lookup: set, Options: testOptions("fuzz")}
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := injector.Inject(context.Background(), "db", doc)
		if err != nil || len(res.Patch) == 0 {
			return
		}
		patch, err := json.Marshal(res.Patch)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jsonpatch5.DecodePatch(patch)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Apply(doc)
		if err != nil {
			t.Fatalf("patch %s does not apply to %s: %v", patch, doc, err)
		}
		again, err := injector.Inject(context.Background(), "db", out)
		if err != nil {
			t.Fatalf("the injected pod does not decode: %v\n%s", err, out)
		}
		if len(again.Patch) != 0 {
			t.Fatalf("second injection not empty: %v\nafter %s", again.Patch, out)
		}
	})
}
