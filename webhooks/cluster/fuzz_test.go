package cluster

import (
	"context"
	"encoding/json"
	"testing"

	jsonpatch5 "github.com/evanphx/json-patch/v5"
)

// FuzzMutate feeds arbitrary JSON as the Cluster: what decodes gets a patch that applies to the original
// bytes, and mutating the result again adds nothing; nothing may panic.
//
//	go test ./webhooks/cluster -run '^$' -fuzz FuzzMutate -fuzztime 60s
func FuzzMutate(f *testing.F) {
	for _, seed := range []string{
		`{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"azure"}},"spec":{}}`,
		`{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"aws"}}}`,
		`{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"gcs"}},"spec":{"serviceAccountTemplate":{"metadata":{"annotations":null}}}}`,
		`{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"azure"}},"spec":{"inheritedMetadata":null,"serviceAccountTemplate":{}}}`,
		`{"metadata":{"name":"pg"},"spec":{"plugins":[{"name":"barman-cloud.cloudnative-pg.io","parameters":{"barmanObjectName":"aws"}}]}}`,
	} {
		f.Add([]byte(seed))
	}
	set := newSet(irsaStore, gkeStore, azureStore)
	f.Fuzz(func(t *testing.T, doc []byte) {
		ops, _, err := Mutate(context.Background(), set, "db", doc)
		if err != nil || len(ops) == 0 {
			return
		}
		b, err := json.Marshal(ops)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jsonpatch5.DecodePatch(b)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Apply(doc)
		if err != nil {
			t.Fatalf("patch %s does not apply to %s: %v", b, doc, err)
		}
		again, _, err := Mutate(context.Background(), set, "db", out)
		if err != nil || len(again) != 0 {
			t.Fatalf("second mutation: %v %v\nafter %s", again, err, out)
		}
	})
}
