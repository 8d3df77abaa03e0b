package objectstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// TestRefused: each testdata/refused file is one ObjectStore refused for exactly one reason, named on its
// first line ("# deny: FIELD") and quoted on its second ("# error: MESSAGE", as kubectl prints it after
// 'The ObjectStore "NAME" is invalid: '). The end-to-end tests apply these files; -update refreshes the
// second line.
func TestRefused(t *testing.T) {
	files, err := filepath.Glob("testdata/refused/*.yaml")
	if err != nil || len(files) < 20 {
		t.Fatalf("%d refused manifests (%v), want at least 20", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitN(string(data), "\n", 3)
			path, ok := strings.CutPrefix(lines[0], "# deny: ")
			if !ok || len(lines) < 3 || !strings.HasPrefix(lines[1], "# error: ") {
				t.Fatalf("the file must start with '# deny: FIELD' and '# error: MESSAGE' lines")
			}
			var obj v1.ObjectStore
			if err := yaml.UnmarshalStrict(data, &obj); err != nil {
				t.Fatal(err)
			}
			errs, _ := Validate(context.Background(), nil, &obj, nil, Options{})
			if len(errs) != 1 || errs[0].Field != path {
				t.Fatalf("denials %v, want exactly one at %s", errs, path)
			}
			want := "# error: " + errs[0].Error()
			if lines[1] == want {
				return
			}
			if !*update {
				t.Fatalf("second line is %q, want %q (refresh with -update)", lines[1], want)
			}
			if err := os.WriteFile(f, []byte(lines[0]+"\n"+want+"\n"+lines[2]), 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}
