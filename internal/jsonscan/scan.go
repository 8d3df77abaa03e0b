package jsonscan

import "encoding/binary"

// MaxDepth matches encoding/json's nesting limit.
const MaxDepth = 10000

// SkipSpace returns the index of the first non-space byte at or after i.
func SkipSpace(b []byte, i int) int {
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

// SkipValue returns the index just past the value starting at b[i] (leading space allowed), or -1.
func SkipValue(b []byte, i, depth int) int {
	i = SkipSpace(b, i)
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '{':
		return ScanObject(b, i, depth+1, nil)
	case c == '[':
		return SkipArray(b, i, depth+1)
	case c == '"':
		return SkipString(b, i)
	case c == 't':
		return SkipLiteral(b, i, "true")
	case c == 'f':
		return SkipLiteral(b, i, "false")
	case c == 'n':
		return SkipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return SkipNumber(b, i)
	}
	return -1
}

// Member is called for each Member of an object with its raw key (between the quotes, escapes as
// written) and where its value starts; it scans the value (SkipValue, or something that also decodes it)
// and returns where the value ends, or -1 if it is invalid.
type Member func(key []byte, start, depth int) int

// ScanObject checks the object starting at b[i] == '{', hands each Member's value to visit (or skips it
// when visit is nil), and returns the index just past the object, or -1.
func ScanObject(b []byte, i, depth int, visit Member) int {
	if depth > MaxDepth {
		return -1
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		keyStart := i
		if i = SkipString(b, i); i < 0 {
			return -1
		}
		key := b[keyStart+1 : i-1]
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		start := SkipSpace(b, i+1)
		if start >= len(b) {
			return -1
		}
		if visit != nil {
			i = visit(key, start, depth)
		} else {
			i = SkipValue(b, start, depth)
		}
		if i < 0 {
			return -1
		}
		i = SkipSpace(b, i)
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

// SkipArray returns the index just past the array starting at b[i] == '[', or -1.
func SkipArray(b []byte, i, depth int) int {
	if depth > MaxDepth {
		return -1
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i = SkipValue(b, i, depth); i < 0 {
			return -1
		}
		i = SkipSpace(b, i)
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

// SkipString returns the index just past the string starting at b[i] == '"', or -1.
func SkipString(b []byte, i int) int {
	for i++; i < len(b); {
		// Most bytes of a string need no decision: skip them eight at a time, then one at a time.
		for i+8 <= len(b) && !special(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
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

// special reports whether any of the eight bytes in x is a quote, a backslash or a control character,
// with the bit tricks of "Bit Twiddling Hacks" (haszero, hasless): each expression has its byte's high bit
// set where a byte is below the bound (or zero after the XOR), and never for a word without such a byte.
func special(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	return ((x-ones*0x20)&^x|(quote-ones)&^quote|(backslash-ones)&^backslash)&highs != 0
}

// plain marks the bytes that a string may contain as they are: not a quote, a backslash or a control
// character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// SkipLiteral returns the index just past lit at b[i], or -1.
func SkipLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// SkipNumber follows the JSON grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func SkipNumber(b []byte, i int) int {
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
