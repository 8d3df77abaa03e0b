package addpatch

import (
	"maps"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
)

// Entries returns the add operations that put entries into the string map at path, where the first
// present elements of path exist. When the map exists, one add per key, in key order; otherwise a single
// add of the first missing element holding everything below it.
func Entries(path []string, present int, entries map[string]string) []jsonpatch.Operation {
	keys := slices.Sorted(maps.Keys(entries))
	if present >= len(path) {
		ops := make([]jsonpatch.Operation, 0, len(keys))
		for _, k := range keys {
			ops = append(ops, jsonpatch.NewOperation("add", Pointer(append(path[:len(path):len(path)], k)...), entries[k]))
		}
		return ops
	}
	var value any = maps.Clone(entries)
	for i := len(path) - 1; i > present; i-- {
		value = map[string]any{path[i]: value}
	}
	return []jsonpatch.Operation{jsonpatch.NewOperation("add", Pointer(path[:present+1]...), value)}
}

// Items appends to ops the adds that put items at the end of the array at path (a JSON pointer): the
// whole array when it does not exist, else one "/-" add per item.
func Items[T any](ops []jsonpatch.Operation, path string, exists bool, items []T) []jsonpatch.Operation {
	if len(items) == 0 {
		return ops
	}
	if !exists {
		return append(ops, jsonpatch.NewOperation("add", path, items))
	}
	for _, item := range items {
		ops = append(ops, jsonpatch.NewOperation("add", path+"/-", item))
	}
	return ops
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Pointer builds a JSON pointer (RFC 6901) from unescaped reference tokens.
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(t))
	}
	return b.String()
}
