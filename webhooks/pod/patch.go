package pod

import (
	"encoding/json"
	"slices"

	"gomodules.xyz/jsonpatch/v2"

	"github.com/objectstore-webhook/objectstore-webhook/internal/addpatch"
)

// Patch writes Additions as JSON-patch add operations on the pod as submitted (described by its Shape):
// an absent array or map is added whole at its own path, an existing one is appended to (`/-`) or gets one
// escaped key per entry. Nothing is replaced or removed, so fields this build of k8s.io/api does not know
// survive (kops #16802, Azure WI #1751).
func Patch(s Shape, add Additions) []jsonpatch.Operation {
	if add.Empty() {
		return nil
	}
	ops := make([]jsonpatch.Operation, 0, 2+len(add.Annotations)+len(add.Volumes))
	if len(add.Annotations) > 0 {
		present := 0
		if s.Metadata {
			present = 1
			if s.Annotations {
				present = 2
			}
		}
		ops = append(ops, addpatch.Entries([]string{"metadata", "annotations"}, present, add.Annotations)...)
	}
	if !s.Spec && (len(add.InitContainers) > 0 || len(add.Containers) > 0 || len(add.Volumes) > 0) {
		spec := map[string]any{}
		if len(add.InitContainers) > 0 {
			spec["initContainers"] = add.InitContainers
		}
		if len(add.Containers) > 0 {
			spec["containers"] = add.Containers
		}
		if len(add.Volumes) > 0 {
			spec["volumes"] = add.Volumes
		}
		return append(ops, jsonpatch.NewOperation("add", "/spec", spec))
	}
	if e := add.encoded; e != nil {
		// The same values, already in JSON.
		one := []json.RawMessage{e.container}
		if len(add.InitContainers) > 0 {
			ops = addpatch.Items(ops, "/spec/initContainers", s.InitContainers, one)
		} else {
			ops = addpatch.Items(ops, "/spec/containers", s.Containers, one)
		}
		return addpatch.Items(ops, "/spec/volumes", s.Volumes, e.volumes)
	}
	ops = addpatch.Items(ops, "/spec/initContainers", s.InitContainers, add.InitContainers)
	ops = addpatch.Items(ops, "/spec/containers", s.Containers, add.Containers)
	return addpatch.Items(ops, "/spec/volumes", s.Volumes, add.Volumes)
}

// EncodePatch writes ops as the JSON array a review response carries. Values already in JSON (the sidecar
// and its volumes, encoded once for the hash) are copied as they are, where encoding/json would parse and
// compact them again: that was a third of the cost of a review.
func EncodePatch(ops []jsonpatch.Operation) ([]byte, error) {
	return AppendPatch(nil, ops)
}

// AppendPatch is EncodePatch appending to buf, so that the transport can lend its buffer.
func AppendPatch(buf []byte, ops []jsonpatch.Operation) ([]byte, error) {
	size := 2
	for _, op := range ops {
		size += 64 + len(op.Path)
		switch v := op.Value.(type) {
		case string:
			size += len(v) + len(v)/4 // room for escapes (the injected annotation is JSON in a string)
		case json.RawMessage:
			size += len(v)
		case []json.RawMessage:
			for _, raw := range v {
				size += len(raw) + 1
			}
		}
	}
	buf = slices.Grow(buf, size)
	buf = append(buf, '[')
	for i, op := range ops {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"op":`...)
		var err error
		if buf, err = appendJSON(buf, op.Operation); err != nil {
			return nil, err
		}
		buf = append(buf, `,"path":`...)
		if buf, err = appendJSON(buf, op.Path); err != nil {
			return nil, err
		}
		buf = append(buf, `,"value":`...)
		if raw, ok := op.Value.(json.RawMessage); ok && len(raw) > 0 {
			// Only Plan puts RawMessage values in ops, straight from json.Marshal.
			buf = append(buf, raw...)
		} else if raws, ok := op.Value.([]json.RawMessage); ok && allSet(raws) {
			// An array added whole: the same, element by element.
			buf = append(buf, '[')
			for i, raw := range raws {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, raw...)
			}
			buf = append(buf, ']')
		} else if buf, err = appendJSON(buf, op.Value); err != nil {
			return nil, err
		}
		buf = append(buf, '}')
	}
	return append(buf, ']'), nil
}

// allSet reports whether raws is an array json.Marshal writes as its elements joined, which it is when
// none is empty (json.Marshal refuses an empty RawMessage) and it is not nil (which is null).
func allSet(raws []json.RawMessage) bool {
	if raws == nil {
		return false
	}
	for _, raw := range raws {
		if len(raw) == 0 {
			return false
		}
	}
	return true
}

func appendJSON(buf []byte, v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return appendString(buf, s), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}
