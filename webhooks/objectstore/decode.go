package objectstore

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// Codec is what this package brings to the admission transport: the kind it validates and its decoder.
type Codec struct{}

// Kind is barmancloud.cnpg.io/v1 ObjectStore.
func (Codec) Kind() schema.GroupVersionKind { return v1.Kind }

// Decode decodes an ObjectStore of a review into the zero value o: in one pass when the object is as the
// API server writes it, else with the plain decoder, whose result or error stands.
func (Codec) Decode(raw []byte, o *v1.ObjectStore) error {
	if decodeFast(raw, o) {
		return nil
	}
	*o = v1.ObjectStore{} // the fast path may have written part of it
	return jsonscan.DecodeObject(raw, o)
}

// decodeFast decodes an ObjectStore into the zero value o in one pass over raw, without reflection,
// leaving out metadata.managedFields as jsonscan.DecodeObject does. It takes the object as the API server
// writes it: every key known and once per object, unescaped, each value of its field's JSON type or null.
// Fields of Kubernetes types that stores rarely set (env, resources, ownerReferences, status) go through
// the plain decoder, each on its own value. On anything else it returns false, leaving o partly written.
// FuzzDecodeObjectStore holds the two decoders to the same result; TestFastStoreDecoderKnowsEveryField
// fails, naming the field, when the type gains one this decoder does not read. An object decodes in about
// a fifth of the plain decoder's time.
func decodeFast(raw []byte, o *v1.ObjectStore) bool {
	d := &storeDecoder{jsonscan.NewDecoder(raw)}
	d.Intern = storeConstants
	i := jsonscan.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	var seen uint32
	end := jsonscan.ScanObject(raw, i, 1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "kind":
			return d.Field(&seen, 0, d.Text(start, &o.Kind))
		case "apiVersion":
			return d.Field(&seen, 1, d.Text(start, &o.APIVersion))
		case "metadata":
			return d.Field(&seen, 2, d.Meta(start, depth, &o.ObjectMeta))
		case "spec":
			return d.Field(&seen, 3, d.spec(start, depth, &o.Spec))
		case "status":
			return d.Field(&seen, 4, d.Plain(start, depth, &o.Status))
		}
		return d.Fail()
	})
	return d.OK && end >= 0 && jsonscan.SkipSpace(raw, end) == len(raw)
}

// storeDecoder adds the ObjectStore's own types to the shared helpers.
type storeDecoder struct{ jsonscan.Decoder }

// storeConstants are the values every store repeats.
var storeConstants = jsonscan.NewInterner("barmancloud.cnpg.io/v1", "ObjectStore", "gzip", "bzip2", "snappy",
	"zstd", "lz4", "AES256", "aws:kms", "ACCESS_KEY_ID", "ACCESS_SECRET_KEY")
