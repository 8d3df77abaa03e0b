package jsonscan

import (
	"fmt"
	"strings"

	kjson "sigs.k8s.io/json"
)

// Unmarshal is the plain decoder every fast path falls back to and is held equal to. It matches keys
// case-sensitively, as the API server does, so that "UID" cannot stand in for "uid"; unknown keys are
// ignored. sigs.k8s.io/json is encoding/json with that one change, maintained by Kubernetes.
func Unmarshal(data []byte, v any) error {
	return kjson.UnmarshalCaseSensitivePreserveInts(data, v)
}

// DecodeObject decodes an object of a review into into with Unmarshal. metadata.managedFields is left
// out: no admission decision depends on it, and it is often a third of an object. An empty raw is an
// error, since every CREATE and UPDATE carries its object.
func DecodeObject(raw []byte, into any) error {
	if len(raw) == 0 {
		return fmt.Errorf("the object is missing")
	}
	if err := Unmarshal(WithoutManagedFields(raw), into); err != nil {
		return fmt.Errorf("%s", ErrorText(err))
	}
	return nil
}

// ErrorText keeps a decoding error short: the position for a syntax error, else the decoder's words cut
// to a length that names the field without quoting a large value back.
func ErrorText(err error) string {
	if ok, offset := kjson.SyntaxErrorOffset(err); ok {
		return fmt.Sprintf("invalid JSON at byte %d", offset)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	const max = 200
	if len(msg) > max {
		msg = msg[:max] + "…"
	}
	return msg
}

// WithoutManagedFields returns obj with metadata.managedFields set to null, or obj itself when it has
// none or an unexpected shape. Only the first metadata member is looked at; a duplicate, which the decoder
// would let win, is decoded in full, which is merely slower.
func WithoutManagedFields(obj []byte) []byte {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return obj
	}
	var mStart, mEnd int
	seenMeta := false
	end := ScanObject(obj, i, 1, func(key []byte, start, depth int) int {
		if seenMeta || string(key) != "metadata" || obj[start] != '{' {
			return SkipValue(obj, start, depth)
		}
		seenMeta = true
		return ScanObject(obj, start, depth+1, func(key []byte, start, depth int) int {
			end := SkipValue(obj, start, depth)
			if mEnd == 0 && string(key) == "managedFields" {
				mStart, mEnd = start, end
			}
			return end
		})
	})
	// Invalid JSON goes to the decoder untouched, so that its error points into what was sent.
	if end < 0 || mEnd <= 0 {
		return obj
	}
	out := make([]byte, 0, len(obj)-(mEnd-mStart)+4)
	out = append(out, obj[:mStart]...)
	out = append(out, "null"...)
	return append(out, obj[mEnd:]...)
}
