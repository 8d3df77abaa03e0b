package crdcheck

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Fields lists the field paths of one version's openAPIV3Schema with their types, e.g.
// "spec.configuration.s3Credentials.region": "string". Array items are written "[]" and map values "*".
// Paths under x-kubernetes-preserve-unknown-fields are not listed (anything is kept there); the map
// from such a path to "preserve" says where they start.
func Fields(crd []byte, version string) (map[string]string, error) {
	var obj struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Served bool   `json:"served"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(crd, &obj); err != nil {
		return nil, fmt.Errorf("reading the CRD: %w", err)
	}
	for _, v := range obj.Spec.Versions {
		if v.Name != version {
			continue
		}
		if !v.Served {
			return nil, fmt.Errorf("%s does not serve version %s", obj.Metadata.Name, version)
		}
		if v.Schema.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("%s version %s has no openAPIV3Schema", obj.Metadata.Name, version)
		}
		out := map[string]string{}
		walk(out, "", v.Schema.OpenAPIV3Schema)
		return out, nil
	}
	return nil, fmt.Errorf("%s has no version %s", obj.Metadata.Name, version)
}

const preserve = "preserve"

func walk(out map[string]string, path string, s map[string]any) {
	if path != "" {
		if p, _ := s["x-kubernetes-preserve-unknown-fields"].(bool); p {
			out[path] = preserve
			return
		}
		t, _ := s["type"].(string)
		if t == "" {
			// int-or-string and embedded resources carry no type.
			if ios, _ := s["x-kubernetes-int-or-string"].(bool); ios {
				t = "int-or-string"
			}
		}
		out[path] = t
	}
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for name, sub := range props {
			if m, ok := sub.(map[string]any); ok {
				walk(out, join(name), m)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		walk(out, path+"[]", items)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		walk(out, path+".*", ap)
	}
}

// Missing lists what installed lacks of want: paths it does not have (and no preserve-unknown-fields
// ancestor keeps), and paths whose type differs, described as "PATH (TYPE here, TYPE installed)". Only
// the top of a missing subtree is listed. The result is sorted.
func Missing(want, installed map[string]string) []string {
	var out []string
	gone := map[string]bool{}
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if underAny(p, gone) || preserved(p, installed) {
			continue
		}
		got, ok := installed[p]
		switch {
		case !ok:
			gone[p] = true
			out = append(out, p)
		case want[p] != preserve && got != want[p] && got != preserve:
			gone[p] = true
			out = append(out, fmt.Sprintf("%s (%s here, %s installed)", p, want[p], got))
		}
	}
	return out
}

// underAny says whether p lies below a path already reported.
func underAny(p string, tops map[string]bool) bool {
	for i := range len(p) {
		if (p[i] == '.' || p[i] == '[') && tops[p[:i]] {
			return true
		}
	}
	return false
}

// preserved says whether the installed schema keeps unknown fields at p or above it.
func preserved(p string, installed map[string]string) bool {
	for i := range len(p) + 1 {
		if (i == len(p) || p[i] == '.' || p[i] == '[') && installed[p[:i]] == preserve {
			return true
		}
	}
	return false
}

// Describe lists up to n paths and says how many more there are.
func Describe(paths []string, n int) string {
	if len(paths) <= n {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:n], ", "), len(paths)-n)
}
