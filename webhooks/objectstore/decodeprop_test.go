package objectstore_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/randfill"

	"github.com/objectstore-webhook/objectstore-webhook/internal/codectest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/objectstore"
)

// storeFiller makes ObjectStores as the API server writes them: the fast path declines, by design, keys
// it would have to unescape and integers beyond 18 digits, so strings are label-like and integers small;
// times have whole seconds, as RFC 3339 in JSON carries them.
func storeFiller(seed int64) *randfill.Filler {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/"
	return randfill.NewWithSeed(seed).NilChance(0.2).NumElements(1, 3).Funcs(
		func(s *string, c randfill.Continue) {
			b := make([]byte, c.Intn(12))
			for i := range b {
				b[i] = alphabet[c.Intn(len(alphabet))]
			}
			*s = string(b)
		},
		func(n *int, c randfill.Continue) { *n = c.Intn(4001) - 2000 },
		func(n *int32, c randfill.Continue) { *n = int32(c.Intn(4001) - 2000) },
		func(n *int64, c randfill.Continue) { *n = int64(c.Intn(4001) - 2000) },
		func(tm *metav1.Time, c randfill.Continue) { *tm = metav1.Unix(int64(c.Intn(1<<31)), 0) },
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(int64(c.Intn(1<<20)), resource.DecimalSI)
		},
		func(m *[]metav1.ManagedFieldsEntry, c randfill.Continue) {
			*m = []metav1.ManagedFieldsEntry{{Manager: "m", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{}}`)}}}
		},
	)
}

// checkFastStore requires raw to take the fast path and decode as the plain decoder does; it returns what
// is wrong, or "".
func checkFastStore(raw []byte) string {
	fast, ok := objectstore.FastDecode(raw)
	if !ok {
		return "the fast decoder does not take it"
	}
	plain := &v1.ObjectStore{}
	if err := jsonscan.Unmarshal(jsonscan.WithoutManagedFields(raw), plain); err != nil {
		return "the plain decoder refuses it: " + err.Error()
	}
	if !reflect.DeepEqual(fast, plain) {
		return "the fast and plain decodes differ"
	}
	return ""
}

// TestRandomStoresTakeTheFastPath: random ObjectStores, every field filled or not at random and written by
// encoding/json, take the fast decoder and decode exactly as the plain one does.
func TestRandomStoresTakeTheFastPath(t *testing.T) {
	for seed := range int64(2000) {
		o := &v1.ObjectStore{}
		storeFiller(seed).Fill(o)
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkFastStore(raw); msg != "" {
			t.Fatalf("seed %d: %s:\n%s", seed, msg, raw)
		}
	}
}

// storePlainFields are the fields the fast decoder hands to the plain decoder whole (or skips, for
// managedFields): what is under them needs no key of its own.
var storePlainFields = map[string]bool{
	"status": true, "metadata.managedFields[]": true, "metadata.ownerReferences[]": true,
	"spec.instanceSidecarConfiguration.env[]": true, "spec.instanceSidecarConfiguration.resources": true,
}

// TestFastStoreDecoderKnowsEveryField sets each field of the ObjectStore type alone, found by reflection:
// a field added to schema/barmancloud/v1 (or to ObjectMeta by a k8s.io/apimachinery bump) that the fast
// decoder does not know sends every store that sets it down the slow path, and fails here by its name.
func TestFastStoreDecoderKnowsEveryField(t *testing.T) {
	fields := codectest.Fields(reflect.TypeFor[v1.ObjectStore](), func(path string) bool { return storePlainFields[path] })
	if len(fields) < 60 {
		t.Fatalf("only %d fields found in ObjectStore", len(fields))
	}
	for i, f := range fields {
		o := &v1.ObjectStore{}
		filler := storeFiller(int64(i))
		f.Set(o, func(v reflect.Value) {
			for try := 0; try < 20 && v.IsZero(); try++ {
				filler.Fill(v.Addr().Interface())
			}
		})
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkFastStore(raw); msg != "" {
			t.Errorf("%s: %s; teach webhooks/admission/storespec.go (or storedecode.go) the key; the store:\n%s", f.Path, msg, raw)
		}
	}
}
