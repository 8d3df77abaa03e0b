package addpatch

import (
	"encoding/json"
	"testing"

	jsonpatchapply "github.com/evanphx/json-patch/v5"
)

// apply applies ops to doc as the API server does.
func apply(t *testing.T, doc string, ops any) string {
	t.Helper()
	raw, _ := json.Marshal(ops) // operations of strings, maps and slices: always encodable
	p, err := jsonpatchapply.DecodePatch(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply([]byte(doc))
	if err != nil {
		t.Fatalf("applying %s to %s: %v", raw, doc, err)
	}
	return string(out)
}

func TestEntriesAddWhatIsMissingAndKeepTheRest(t *testing.T) {
	entries := map[string]string{"b/x": "2", "a~y": "1"}
	path := []string{"metadata", "annotations"}
	for name, tc := range map[string]struct {
		doc     string
		present int
		want    string
	}{
		"no metadata":    {`{"kind":"Pod"}`, 0, `{"kind":"Pod","metadata":{"annotations":{"a~y":"1","b/x":"2"}}}`},
		"no annotations": {`{"metadata":{"name":"p","future":1}}`, 1, `{"metadata":{"annotations":{"a~y":"1","b/x":"2"},"future":1,"name":"p"}}`},
		"annotations":    {`{"metadata":{"annotations":{"keep":"me"}}}`, 2, `{"metadata":{"annotations":{"a~y":"1","b/x":"2","keep":"me"}}}`},
	} {
		t.Run(name, func(t *testing.T) {
			ops := Entries(path, tc.present, entries)
			for _, op := range ops {
				if op.Operation != "add" {
					t.Fatalf("operation %q: only adds are allowed", op.Operation)
				}
			}
			if got := normalize(t, apply(t, tc.doc, ops)); got != normalize(t, tc.want) {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestItemsAppendWithoutReplacing(t *testing.T) {
	if got := apply(t, `{"a":[{"n":0,"unknown":true}]}`, Items(nil, "/a", true, []map[string]int{{"n": 1}, {"n": 2}})); normalize(t, got) != normalize(t, `{"a":[{"n":0,"unknown":true},{"n":1},{"n":2}]}`) {
		t.Errorf("existing array: %s", got)
	}
	if got := apply(t, `{"b":1}`, Items(nil, "/a", false, []int{1, 2})); normalize(t, got) != `{"a":[1,2],"b":1}` {
		t.Errorf("missing array: %s", got)
	}
	if ops := Items[int](nil, "/a", true, nil); len(ops) != 0 {
		t.Errorf("no items made %d operations", len(ops))
	}
}

func TestPointerEscapes(t *testing.T) {
	if got := Pointer("metadata", "annotations", "a/b~c"); got != "/metadata/annotations/a~1b~0c" {
		t.Errorf("got %s", got)
	}
}

func normalize(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
