package objectstore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/objectstore"
)

// fullStore sets every field of an ObjectStore, those the fast path hands to the plain decoder included.
const fullStore = `{"apiVersion":"barmancloud.cnpg.io/v1","kind":"ObjectStore",
"metadata":{"name":"s","generateName":"s-","namespace":"db","selfLink":"/x","uid":"u","resourceVersion":"1","generation":-7,
"creationTimestamp":"2026-08-01T10:00:00Z","deletionTimestamp":"2026-08-02T10:00:00+02:00","deletionGracePeriodSeconds":30,
"labels":{"a":"b","":""},"annotations":{"k":"caf\u00e9"},"finalizers":["f",""],
"ownerReferences":[{"apiVersion":"v1","kind":"Cluster","name":"c","uid":"x","controller":true}],
"managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}]},
"spec":{"retentionPolicy":"30d","configuration":{"destinationPath":"gs://b/p","serverName":"srv","endpointURL":"https://e",
"endpointCA":{"name":"ca","key":"ca.crt"},
"googleCredentials":{"applicationCredentials":{"name":"g","key":"k"},"gkeEnvironment":true},
"s3Credentials":{"accessKeyId":{"name":"a","key":"b"},"secretAccessKey":{"name":"a","key":"c"},"region":null,"sessionToken":{"name":"a","key":"d"},"inheritFromIAMRole":false},
"azureCredentials":{"connectionString":{"name":"z","key":"1"},"storageAccount":{"name":"z","key":"2"},"storageKey":{"name":"z","key":"3"},"storageSasToken":{"name":"z","key":"4"},"inheritFromAzureAD":true,"useDefaultAzureCredentials":false},
"wal":{"compression":"zstd","encryption":"aws:kms","maxParallel":8,"archiveAdditionalCommandArgs":["--a"],"restoreAdditionalCommandArgs":[]},
"data":{"compression":"gzip","encryption":"AES256","jobs":2,"immediateCheckpoint":true,"additionalCommandArgs":["--b"],"restoreAdditionalCommandArgs":null},
"tags":{"t":"1"},"historyTags":{}},
"instanceSidecarConfiguration":{"env":[{"name":"A","value":"1"}],"retentionPolicyIntervalSeconds":1800,
"resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"100m"}},"additionalContainerArgs":["-v"],"logLevel":"debug"}},
"status":{"serverRecoveryWindow":{"s":{"firstRecoverabilityPoint":"2026-08-01T10:00:00Z"}}}}`

// FuzzDecodeObjectStore holds the ObjectStore fast path to the plain decoder: whatever it takes, it
// decodes exactly as sigs.k8s.io/json does once managedFields is dropped.
func FuzzDecodeObjectStore(f *testing.F) {
	for _, s := range storeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := objectstore.FastDecode(body)
		if !ok {
			return
		}
		plain := &v1.ObjectStore{}
		if err := jsonscan.Unmarshal(jsonscan.WithoutManagedFields(body), plain); err != nil {
			t.Fatalf("fast path accepted what the plain decoder refuses (%v)", err)
		}
		if !reflect.DeepEqual(fast, plain) {
			t.Fatalf("fast and plain decodes differ:\nfast  %#v\nplain %#v", fast, plain)
		}
	})
}

// TestFastPathTakesRealStores: the stores people write, and the API server's rendering of them, take
// the fast path; otherwise it would be correct but pointless.
func TestFastPathTakesRealStores(t *testing.T) {
	stores := append(exampleStores(t), []byte(storeJSON), []byte(oldStoreJSON), []byte(fullStore))
	for i, s := range stores {
		if _, ok := objectstore.FastDecode(s); !ok {
			t.Errorf("store %d does not take the fast path: %s", i, s)
		}
	}
	if len(stores) < 10 {
		t.Fatalf("only %d stores found", len(stores))
	}
}

func TestFastPathDeclinesWhatItDoesNotCopy(t *testing.T) {
	for _, s := range []string{
		`{"spec":{"configuration":{"destinationPath":"a","destinationPath":"b"}}}`, // duplicate
		`{"metadata":{"labels":{"a\u0062":"x"}}}`,                                  // escaped key
		`{"metadata":{"labels":{"a":null}}}`,                                       // null map value
		`{"spec":{"configuration":{"wal":{"maxParallel":1.5}}}}`,                   // not an integer
		`{"spec":{"configuration":{"data":{"jobs":4294967296}}}}`,                  // out of range
		`{"spec":{"configuration":{"wal":{"archiveAdditionalCommandArgs":[null]}}}}`,
		`{"spec":{"unknown":1}}`,
		`{"spec":{}} x`,
		`{"metadata":{"creationTimestamp":"yesterday"}}`,
	} {
		if _, ok := objectstore.FastDecode([]byte(s)); ok {
			t.Errorf("fast path took %s", s)
		}
	}
}

func storeSeeds(tb testing.TB) [][]byte {
	seeds := append(exampleStores(tb), []byte(storeJSON), []byte(fullStore))
	for _, r := range [][2]string{
		{`"destinationPath":"s3://payments-backups/db"`, `"destinationPath":"s3:\/\/p\u00e9\ud83d\ude00"`},
		{`"maxParallel":4`, `"maxParallel":-0`},
		{`"maxParallel":4`, `"maxParallel":99999999999999999999`},
		{`"maxParallel":4`, `"maxParallel":1e2`},
		{`"maxParallel":4`, `"maxParallel":"4"`},
		{`"compression":"gzip"`, `"compression":null`},
		{`"labels":{`, `"labels":{"x":"\xff",`},
		{`"labels":{`, `"labels":{"x":"y","x":"z",`},
		{`"metadata":{`, `"metadata":{"deletionTimestamp":null,"finalizers":[],`},
		{`"metadata":{`, `"metadata":{"deletionTimestamp":"2026-08-01T10:00:00.5Z",`},
		{`"spec":{`, `"spec":{"retentionPolicy":1,`},
		{`"s3Credentials":{`, `"s3Credentials":{"inheritFromIAMRole":"true",`},
		{`"instanceSidecarConfiguration":{`, `"instanceSidecarConfiguration":{"env":{"name":1},`},
		{`{"apiVersion"`, `{"status":null,"apiVersion"`},
		{`{"apiVersion"`, `{"Kind":"x","apiVersion"`},
		{`"tags":{"team":"db"}`, `"tags":null`},
	} {
		seeds = append(seeds, []byte(strings.Replace(storeJSON, r[0], r[1], 1)))
	}
	return seeds
}

// exampleStores are the ObjectStores of examples/, as JSON.
func exampleStores(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no examples: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, doc := range bytes.Split(content, []byte("\n---")) {
			if !bytes.Contains(doc, []byte("kind: ObjectStore")) {
				continue
			}
			j, err := yaml.YAMLToJSON(doc)
			if err != nil {
				tb.Fatalf("%s: %v", f, err)
			}
			out = append(out, j)
		}
	}
	return out
}

// TestZeroMaxParallelIsToldFromAbsent: the CRD refuses wal.maxParallel: 0 (minimum 1), so the webhook must
// see the 0 rather than an absent field. Both decoders keep it, and the review is denied on that field.
func TestZeroMaxParallelIsToldFromAbsent(t *testing.T) {
	zero := strings.Replace(storeJSON, `"maxParallel":4`, `"maxParallel":0`, 1)
	fast, ok := objectstore.FastDecode([]byte(zero))
	if !ok {
		t.Fatal("a store with maxParallel: 0 does not take the fast path")
	}
	plain := &v1.ObjectStore{}
	if err := jsonscan.Unmarshal(jsonscan.WithoutManagedFields([]byte(zero)), plain); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]*v1.ObjectStore{"fast": fast, "plain": plain} {
		if p := o.Spec.Configuration.Wal.MaxParallel; p == nil || *p != 0 {
			t.Errorf("%s decoder: maxParallel %v, want an explicit 0", name, p)
		}
	}
	absent := strings.Replace(storeJSON, `,"maxParallel":4`, ``, 1)
	if o, ok := objectstore.FastDecode([]byte(absent)); !ok || o.Spec.Configuration.Wal.MaxParallel != nil {
		t.Errorf("an absent maxParallel decodes as %v (fast path %v), want nil", o.Spec.Configuration.Wal.MaxParallel, ok)
	}
	review := strings.Replace(storeReview, `"maxParallel":4`, `"maxParallel":0`, 1) // the new object only
	a := post(t, storeMux(t), []byte(review))
	st := a.Result
	if a.Allowed || st == nil || st.Details == nil || len(st.Details.Causes) != 1 ||
		st.Details.Causes[0].Field != "spec.configuration.wal.maxParallel" {
		t.Fatalf("want one denial on spec.configuration.wal.maxParallel, got %s", a.raw)
	}
}
