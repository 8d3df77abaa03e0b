package admission

// A small validating JSON scanner that finds where values start and end without decoding them. It lets
// fastReview decode a review's envelope in one pass that leaves the two embedded objects in place
// (encoding/json validates a whole input before decoding it, then scans each raw object once more to
// copy it out), and lets DecodeObject drop metadata.managedFields before the typed decode. Whenever the
// input is not what the fast path expects, callers fall back to the plain decoder, whose errors are the
// ones users see; FuzzDecodeReview checks that both paths agree.

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

// member is called for each member of an object with its raw key (between the quotes, escapes as
// written) and where its value starts; it scans the value (skipValue, or something that also decodes it)
// and returns where the value ends, or -1 if it is invalid.
type member func(key []byte, start, depth int) int

// scanObject checks the object starting at b[i] == '{', hands each member's value to visit (or skips it
// when visit is nil), and returns the index just past the object, or -1.
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
		if start >= len(b) {
			return -1
		}
		if visit != nil {
			i = visit(key, start, depth)
		} else {
			i = skipValue(b, start, depth)
		}
		if i < 0 {
			return -1
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
