package pod

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	jsonpatch5 "github.com/evanphx/json-patch/v5"
	corev1 "k8s.io/api/core/v1"
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
	podIdentity, _ := loadCase(f, "testdata/pod-identity-eks-webhook-first.yaml")
	f.Add(podIdentity)
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

// FuzzDecode holds the one-pass decoder to the plain one: whatever it takes, it reads exactly what
// sigs.k8s.io/json reads into the same pod and shape.
//
//	go test ./webhooks/pod -run '^$' -fuzz FuzzDecode$ -fuzztime 60s
func FuzzDecode(f *testing.F) {
	raw, _ := loadCase(f, "testdata/s3-keys.yaml")
	f.Add(raw)
	f.Add(bigPod(f, raw, 20, 3))
	unknown, _ := loadCase(f, "testdata/unknown-field.yaml")
	f.Add(unknown)
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"metadata":null,"spec":null}`,
		`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"n","labels":{},"annotations":null},"spec":{"containers":[],"volumes":null,"initContainers":[{"name":null},{}]}}`,
		`{"metadata":{"labels":{"a":"b","a":"c"}}}`,
		`{"metadata":{"labels":{"a\u0062":"x"},"Labels":{"c":"d"}}}`,
		`{"metadata":{"name":"caf\u00e9","annotations":{"k":"\xff"}}}`,
		`{"spec":{"containers":[{"name":"a","name":"b"}],"serviceAccountName":1}}`,
		`{"spec":{"containers":[null]},"status":{"phase":"Pending"}}`,
		`{"spec":{"volumes":[{"name":"pgdata","emptyDir":{}}],"volumes":[]}}`,
		`{"na\u006de":"x","spec":{"containers":{"name":"a"}}}`,
		`{"metadata":{"name":"a"}} {}`,
	} {
		f.Add([]byte(s))
	}
	big := bigPod(f, raw, 20, 3)
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, s, ok := decodeFast(doc, nil)
		if !ok {
			return
		}
		want, wantShape, err := decodePlain(doc)
		if err != nil {
			t.Fatalf("fast path accepted what the plain decoder refuses (%v)", err)
		}
		if !reflect.DeepEqual(p, want) || s != wantShape {
			t.Fatalf("fast and plain decodes differ:\nfast  %+v %+v\nplain %+v %+v", p, s, want, wantShape)
		}
		// Decoded into the memory of a pod decoded before (as the webhook does), nothing of that pod
		// may show.
		var reuse corev1.Pod
		if _, _, ok := decodeFast(big, &reuse); !ok {
			t.Fatal("the big pod does not take the fast path")
		}
		p, s, ok = decodeFast(doc, &reuse)
		if !ok || !reflect.DeepEqual(p, want) || s != wantShape {
			t.Fatalf("decoding into a used pod differs (ok %v):\nreused %+v %+v\nplain  %+v %+v", ok, p, s, want,
				wantShape)
		}
	})
}

// TestFastDecodeTakesInstancePods: the pods CloudNativePG creates take the one-pass decoder; otherwise it
// would be correct but pointless.
func TestFastDecodeTakesInstancePods(t *testing.T) {
	raw, _ := loadCase(t, "testdata/s3-keys.yaml")
	unknown, _ := loadCase(t, "testdata/unknown-field.yaml")
	for i, doc := range [][]byte{raw, unknown, bigPod(t, raw, 2000, 50)} {
		if _, _, ok := decodeFast(doc, nil); !ok {
			t.Errorf("pod %d does not take the fast path", i)
		}
	}
}
