package admission

import "github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"

// The scanner lives in package jsonscan, shared with webhooks/pod; these names keep the decoders here short.
// FuzzValid there and FuzzDecodeReview here check that it accepts exactly what json.Valid accepts.

const maxDepth = jsonscan.MaxDepth

func skipSpace(b []byte, i int) int               { return jsonscan.SkipSpace(b, i) }
func skipValue(b []byte, i, depth int) int        { return jsonscan.SkipValue(b, i, depth) }
func skipString(b []byte, i int) int              { return jsonscan.SkipString(b, i) }
func skipLiteral(b []byte, i int, lit string) int { return jsonscan.SkipLiteral(b, i, lit) }
func skipNumber(b []byte, i int) int              { return jsonscan.SkipNumber(b, i) }

func scanObject(b []byte, i, depth int, visit func(key []byte, start, depth int) int) int {
	return jsonscan.ScanObject(b, i, depth, visit)
}

// span is a value's place in its input; end 0 means absent.
type span struct{ start, end int }

// withoutManagedFields returns obj with metadata.managedFields set to null, or obj itself when it has
// none or an unexpected shape. Only the first metadata member is looked at; a duplicate, which the decoder
// would let win, is decoded in full, which is merely slower.
func withoutManagedFields(obj []byte) []byte {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return obj
	}
	var managed span
	seenMeta := false
	end := scanObject(obj, i, 1, func(key []byte, start, depth int) int {
		if seenMeta || string(key) != "metadata" || obj[start] != '{' {
			return skipValue(obj, start, depth)
		}
		seenMeta = true
		return scanObject(obj, start, depth+1, func(key []byte, start, depth int) int {
			end := skipValue(obj, start, depth)
			if managed.end == 0 && string(key) == "managedFields" {
				managed = span{start, end}
			}
			return end
		})
	})
	// Invalid JSON goes to the decoder untouched, so that its error points into what was sent.
	if end < 0 || managed.end <= 0 {
		return obj
	}
	out := make([]byte, 0, len(obj)-(managed.end-managed.start)+4)
	out = append(out, obj[:managed.start]...)
	out = append(out, "null"...)
	return append(out, obj[managed.end:]...)
}
