package admission

// A small validating JSON scanner that finds where values start and end without decoding them. It lets
// DecodeReview decode the review's envelope without passing over the two embedded objects again and
// again (encoding/json validates a whole input before decoding it, then scans each raw object once more
// to copy it out), and lets DecodeObject drop metadata.managedFields before the typed decode. Whenever
// the input is not what the fast path expects, callers fall back to the plain decoder, whose errors are
// the ones users see; FuzzDecodeReview checks that both paths agree.

// maxDepth matches encoding/json's nesting limit.
const maxDepth = 10000

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index just past the value starting at b[i] (leading space allowed), or -1.
func skipValue(b []byte, i, depth int) int {
	i = skipSpace(b, i)
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '{':
		return scanObject(b, i, depth+1, nil)
	case c == '[':
		return skipArray(b, i, depth+1)
	case c == '"':
		return skipString(b, i)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	}
	return -1
}

// member is called for each member of an object: its raw key (between the quotes, escapes as written)
// and where its value starts and ends.
type member func(key []byte, start, end int)

// scanObject checks the object starting at b[i] == '{', calls visit for each member if not nil, and
// returns the index just past it, or -1.
func scanObject(b []byte, i, depth int, visit member) int {
	if depth > maxDepth {
		return -1
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		keyStart := i
		if i = skipString(b, i); i < 0 {
			return -1
		}
		key := b[keyStart+1 : i-1]
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		start := skipSpace(b, i+1)
		if i = skipValue(b, start, depth); i < 0 {
			return -1
		}
		if visit != nil {
			visit(key, start, i)
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '}':
			return i + 1
		case ',':
			i++
		default:
			return -1
		}
	}
}

func skipArray(b []byte, i, depth int) int {
	if depth > maxDepth {
		return -1
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i = skipValue(b, i, depth); i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case ']':
			return i + 1
		case ',':
			i++
		default:
			return -1
		}
	}
}

func skipString(b []byte, i int) int {
	for i++; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return -1
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		default:
			i++
		}
	}
	return -1
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipNumber follows the JSON grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func skipNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// span is a value's place in its input.
type span struct{ start, end int }

// splitReview finds request.object and request.oldObject in a review and returns a copy of the review
// with both replaced by null, plus their spans in body. ok is false when body is not valid JSON or has a
// shape the fast path does not handle (duplicate keys, a request that is not an object): the caller then
// decodes body as a whole.
func splitReview(body []byte) (rest []byte, object, oldObject span, ok bool) {
	var request span
	requests := 0
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, span{}, span{}, false
	}
	end := scanObject(body, i, 1, func(key []byte, start, end int) {
		if string(key) == "request" {
			requests++
			request = span{start, end}
		}
	})
	if end < 0 || skipSpace(body, end) != len(body) || requests != 1 || body[request.start] != '{' {
		return nil, span{}, span{}, false
	}
	objects, olds := 0, 0
	scanObject(body, request.start, 2, func(key []byte, start, end int) {
		switch string(key) {
		case "object":
			objects++
			object = span{start, end}
		case "oldObject":
			olds++
			oldObject = span{start, end}
		}
	})
	if objects > 1 || olds > 1 || objects+olds == 0 {
		return nil, span{}, span{}, false
	}
	rest = make([]byte, 0, len(body)-(object.end-object.start)-(oldObject.end-oldObject.start)+8)
	first, second := object, oldObject
	if objects == 0 || (olds == 1 && oldObject.start < object.start) {
		first, second = oldObject, object
	}
	pos := 0
	for _, s := range []span{first, second} {
		if s.end == 0 {
			continue
		}
		rest = append(rest, body[pos:s.start]...)
		rest = append(rest, "null"...)
		pos = s.end
	}
	rest = append(rest, body[pos:]...)
	return rest, object, oldObject, true
}

// withoutManagedFields returns obj with metadata.managedFields set to null, or obj itself when it has
// none or an unexpected shape. Only the first metadata member is looked at; a duplicate, which the decoder
// would let win, is decoded in full, which is merely slower.
func withoutManagedFields(obj []byte) []byte {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return obj
	}
	var meta, managed span
	end := scanObject(obj, i, 1, func(key []byte, start, end int) {
		if meta.end == 0 && string(key) == "metadata" && obj[start] == '{' {
			meta = span{start, end}
		}
	})
	// Invalid JSON goes to the decoder untouched, so that its error points into what was sent.
	if end < 0 || meta.end == 0 {
		return obj
	}
	scanObject(obj, meta.start, 2, func(key []byte, start, end int) {
		if managed.end == 0 && string(key) == "managedFields" {
			managed = span{start, end}
		}
	})
	if managed.end == 0 {
		return obj
	}
	out := make([]byte, 0, len(obj)-(managed.end-managed.start)+4)
	out = append(out, obj[:managed.start]...)
	out = append(out, "null"...)
	return append(out, obj[managed.end:]...)
}
