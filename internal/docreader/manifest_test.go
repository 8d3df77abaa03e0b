package docreader

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const multiYAML = `# leading comment
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: db
stringData:
  KEY: value
--- # a comment after the separator
# only a comment
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: one}
- apiVersion: barmancloud.cnpg.io/v1
  kind: ObjectStore
  metadata: {name: two, namespace: other}
...
apiVersion: v1
kind: ConfigMap
metadata:
  name: last
`

const jsonStream = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"ConfigMapList","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}]}
`

type want struct {
	pos, kind, ns, name string
	line                int
}

func check(t *testing.T, docs []Document, wants []want) {
	t.Helper()
	if len(docs) != len(wants) {
		t.Fatalf("%d documents, want %d: %+v", len(docs), len(wants), docs)
	}
	for i, w := range wants {
		d := docs[i]
		if d.Position() != w.pos || d.Kind != w.kind || d.Namespace != w.ns || d.Name != w.name || d.Line != w.line {
			t.Errorf("document %d = %s %s %s/%s line %d, want %+v", i, d.Position(), d.Kind, d.Namespace, d.Name, d.Line, w)
		}
		if len(d.JSON) == 0 || d.JSON[0] != '{' {
			t.Errorf("document %d: JSON %q", i, d.JSON)
		}
	}
}

func TestParseYAML(t *testing.T) {
	docs, err := Parse("f.yaml", []byte(multiYAML))
	if err != nil {
		t.Fatal(err)
	}
	check(t, docs, []want{
		{"f.yaml:1", "Secret", "db", "creds", 3},
		{"f.yaml:2.1", "ConfigMap", "", "one", 13},
		{"f.yaml:2.2", "ObjectStore", "other", "two", 13},
		{"f.yaml:3", "ConfigMap", "", "last", 23},
	})
	if !strings.Contains(string(docs[0].JSON), `"stringData":{"KEY":"value"}`) {
		t.Errorf("Secret JSON: %s", docs[0].JSON)
	}
}

func TestParseJSONStream(t *testing.T) {
	docs, err := Parse("f.json", []byte(jsonStream))
	if err != nil {
		t.Fatal(err)
	}
	check(t, docs, []want{{"f.json:1", "ConfigMap", "", "a", 1}, {"f.json:2.1", "ConfigMap", "", "b", 2}})
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"yaml syntax":    "apiVersion: v1\nkind: [\n",
		"scalar":         "just a string\n",
		"sequence":       "- a\n- b\n",
		"json syntax":    `{"apiVersion": }`,
		"list item":      "apiVersion: v1\nkind: List\nitems:\n- 3\n",
		"empty item":     "apiVersion: v1\nkind: List\nitems:\n-\n",
		"json null item": `{"kind":"List","items":[null]}`,
		"bad separator":  "a: 1\n--- b: 2\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(in))
			var me *Error
			if !errors.As(err, &me) || me.File != "bad.yaml" || me.Index != 1 {
				t.Fatalf("error %v, want a *Error on bad.yaml document 1", err)
			}
		})
	}
}

func TestReadPathsDirectoriesAndStdin(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "kind: ConfigMap\nmetadata: {name: b}\n")
	write("a/x.json", `{"kind":"ConfigMap","metadata":{"name":"x"}}`)
	write("a/notes.txt", "not a manifest")
	write(".git/config.yaml", "kind: Hidden\n")
	write("explicit.txt", "kind: ConfigMap\nmetadata: {name: explicit}\n")
	stdin := strings.NewReader("kind: ConfigMap\nmetadata: {name: in}\n")
	docs, err := Read([]string{dir, "-", filepath.Join(dir, "explicit.txt")}, stdin)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.Name+"@"+filepath.Base(d.File))
	}
	if got, want := strings.Join(names, " "), "x@x.json b@b.yaml in@<stdin> explicit@explicit.txt"; got != want {
		t.Fatalf("read %s, want %s", got, want)
	}
}

func TestReadErrors(t *testing.T) {
	_, err := Read([]string{"/nonexistent/objectstores"}, nil)
	var me *Error
	if !errors.As(err, &me) || !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "/nonexistent/objectstores: ") {
		t.Fatalf("missing path: %v", err)
	}
	if _, err := Read([]string{"-", "-"}, strings.NewReader("")); err == nil {
		t.Fatal("stdin twice accepted")
	}
}

// FuzzParse: whatever the bytes, Parse returns documents holding JSON objects or an *Error; never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{multiYAML, jsonStream, "a: 1\n--- b: 2\n", "- a\n", "{}", "kind: List\nitems: [[]]\n", "\xef\xbb\xbfkind: X\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Parse("fuzz", data)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, d := range docs {
			if len(d.JSON) == 0 || d.JSON[0] != '{' || d.Index < 1 {
				t.Fatalf("document %+v", d)
			}
		}
	})
}
