package jsonscan

import (
	"math"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Decoder holds the helpers every hand-written decoder shares: each reads one value of a field's JSON type
// at start and returns where it ends, or calls Fail on what the fast path does not copy (escaped keys,
// duplicate keys, a value of another type), after which the caller decodes the input again with
// Unmarshal, whose result or error stands. A failed Decoder keeps returning -1 up the scan.
type Decoder struct {
	B  []byte
	OK bool
	// Intern, if set, gives the strings values recurring in every input, so that they cost no allocation.
	Intern *Interner
}

// NewDecoder starts a decode of b.
func NewDecoder(b []byte) Decoder { return Decoder{B: b, OK: true} }

// Fail gives up on the fast path.
func (d *Decoder) Fail() int {
	d.OK = false
	return -1
}

// IsNull reports whether a null starts at start; null leaves a fresh field at its zero value, as the
// plain decoder does.
func (d *Decoder) IsNull(start int) bool { return d.B[start] == 'n' }

// Null skips the null at start.
func (d *Decoder) Null(start int) int { return SkipLiteral(d.B, start, "null") }

// Field records a member's bit in seen and passes the end of its value through, or fails on a key seen
// before in the same object: the plain decoder merges duplicates, which is not worth copying.
func (d *Decoder) Field(seen *uint32, bit uint, end int) int {
	if *seen&(1<<bit) != 0 {
		return d.Fail()
	}
	*seen |= 1 << bit
	return end
}

// Skip passes over a member no field reads, as the plain decoder does, unless its key has escapes or
// bytes outside ASCII: it might then spell a known key.
func (d *Decoder) Skip(key []byte, start, depth int) int {
	if !PlainText(key) {
		return d.Fail()
	}
	return SkipValue(d.B, start, depth)
}

// PlainText reports whether s needs neither unescaping nor UTF-8 repair.
func PlainText(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Str decodes a string (not null). One without escapes in valid UTF-8 is taken directly; others go
// through Unmarshal, which knows the escapes and replaces invalid bytes as the full decode would.
func (d *Decoder) Str(start int, into *string) int {
	if d.B[start] != '"' {
		return d.Fail()
	}
	end := SkipString(d.B, start)
	if end < 0 {
		return -1
	}
	s := d.B[start+1 : end-1]
	plain := utf8.Valid(s)
	for _, c := range s {
		if c == '\\' {
			plain = false
			break
		}
	}
	switch {
	case plain && d.Intern != nil:
		*into = d.Intern.String(s)
	case plain:
		*into = string(s)
	default:
		// Into a variable of this branch, so that into itself does not escape: the callers' strings stay on
		// their stacks on the common path.
		var unescaped string
		if Unmarshal(d.B[start:end], &unescaped) != nil {
			return d.Fail()
		}
		*into = unescaped
	}
	return end
}

// Text decodes a string or null.
func (d *Decoder) Text(start int, into *string) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	return d.Str(start, into)
}

// Boolean decodes true, false or null.
func (d *Decoder) Boolean(start int, into *bool) int {
	switch d.B[start] {
	case 't':
		*into = true
		return SkipLiteral(d.B, start, "true")
	case 'f':
		*into = false
		return SkipLiteral(d.B, start, "false")
	case 'n':
		return d.Null(start)
	}
	return d.Fail()
}

// Integer decodes a JSON integer within [lo, hi], or null; fractions, exponents and larger numbers are
// left to the plain decoder, which refuses or converts them by its own rules.
func (d *Decoder) Integer(start int, lo, hi int64, into func(int64)) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	c := d.B[start]
	if c != '-' && (c < '0' || c > '9') {
		return d.Fail()
	}
	end := SkipNumber(d.B, start)
	if end < 0 {
		return -1
	}
	digits := d.B[start:end]
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return d.Fail()
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return d.Fail()
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if n < lo || n > hi {
		return d.Fail()
	}
	into(n)
	return end
}

// Strings decodes an array of strings (not null) into a fresh slice, empty but not nil for [].
func (d *Decoder) Strings(start, depth int, into *[]string) int {
	if d.B[start] != '[' || depth+1 > MaxDepth {
		return d.Fail()
	}
	out := []string{}
	i := SkipSpace(d.B, start+1)
	if i < len(d.B) && d.B[i] == ']' {
		*into = out
		return i + 1
	}
	for {
		i = SkipSpace(d.B, i)
		if i >= len(d.B) {
			return d.Fail()
		}
		var s string
		if i = d.Str(i, &s); i < 0 {
			return d.Fail()
		}
		out = append(out, s)
		i = SkipSpace(d.B, i)
		if i >= len(d.B) {
			return d.Fail()
		}
		switch d.B[i] {
		case ']':
			*into = out
			return i + 1
		case ',':
			i++
		default:
			return d.Fail()
		}
	}
}

// Texts decodes an array of strings or null.
func (d *Decoder) Texts(start, depth int, into *[]string) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	return d.Strings(start, depth, into)
}

// TextMap decodes an object of strings or null, into reuse (cleared first) when it is not nil. Keys must
// be plain: the plain decoder unescapes keys and replaces invalid UTF-8 in them.
func (d *Decoder) TextMap(start, depth int, into *map[string]string, reuse map[string]string) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	if d.B[start] != '{' {
		return d.Fail()
	}
	m := reuse
	if m == nil {
		m = map[string]string{}
	}
	clear(m)
	*into = m
	return ScanObject(d.B, start, depth+1, func(key []byte, start, depth int) int {
		if !PlainText(key) || d.B[start] != '"' {
			return d.Fail()
		}
		if _, dup := m[string(key)]; dup {
			return d.Fail()
		}
		var v string
		end := d.Str(start, &v)
		m[string(key)] = v
		return end
	})
}

// Plain decodes one value with the plain decoder into a fresh field, which is what the decode of the
// whole object does for it.
func (d *Decoder) Plain(start, depth int, into any) int {
	end := SkipValue(d.B, start, depth)
	if end < 0 {
		return -1
	}
	if Unmarshal(d.B[start:end], into) != nil {
		return d.Fail()
	}
	return end
}

// Object decodes an object whose members member handles, failing on null (callers check it first).
// member gets the object's own seen bits, for Field.
func (d *Decoder) Object(start, depth int, member func(key []byte, start, depth int, seen *uint32) int) int {
	if d.B[start] != '{' {
		return d.Fail()
	}
	var seen uint32
	return ScanObject(d.B, start, depth+1, func(key []byte, start, depth int) int {
		return member(key, start, depth, &seen)
	})
}

// Meta decodes an ObjectMeta or null, skipping managedFields as DecodeObject does.
func (d *Decoder) Meta(start, depth int, m *metav1.ObjectMeta) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "name":
			return d.Field(seen, 0, d.Text(start, &m.Name))
		case "generateName":
			return d.Field(seen, 1, d.Text(start, &m.GenerateName))
		case "namespace":
			return d.Field(seen, 2, d.Text(start, &m.Namespace))
		case "selfLink":
			return d.Field(seen, 3, d.Text(start, &m.SelfLink))
		case "uid":
			return d.Field(seen, 4, d.Text(start, (*string)(&m.UID)))
		case "resourceVersion":
			return d.Field(seen, 5, d.Text(start, &m.ResourceVersion))
		case "generation":
			return d.Field(seen, 6, d.Integer(start, math.MinInt64, math.MaxInt64, func(n int64) { m.Generation = n }))
		case "creationTimestamp":
			return d.Field(seen, 7, d.Time(start, depth, func() *metav1.Time { return &m.CreationTimestamp }))
		case "deletionTimestamp":
			return d.Field(seen, 8, d.Time(start, depth, func() *metav1.Time {
				m.DeletionTimestamp = &metav1.Time{}
				return m.DeletionTimestamp
			}))
		case "deletionGracePeriodSeconds":
			return d.Field(seen, 9, d.Integer(start, math.MinInt64, math.MaxInt64, func(n int64) { m.DeletionGracePeriodSeconds = &n }))
		case "labels":
			return d.Field(seen, 10, d.TextMap(start, depth, &m.Labels, nil))
		case "annotations":
			return d.Field(seen, 11, d.TextMap(start, depth, &m.Annotations, nil))
		case "ownerReferences":
			return d.Field(seen, 12, d.Plain(start, depth, &m.OwnerReferences))
		case "finalizers":
			return d.Field(seen, 13, d.Texts(start, depth, &m.Finalizers))
		case "managedFields":
			return d.Field(seen, 14, SkipValue(d.B, start, depth))
		}
		return d.Fail()
	})
}

// Time decodes a timestamp as metav1.Time does, or null; at gives the field to fill, only when it is not
// null.
func (d *Decoder) Time(start, depth int, at func() *metav1.Time) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	end := SkipValue(d.B, start, depth)
	if end < 0 || d.B[start] != '"' {
		return d.Fail()
	}
	if s := d.B[start+1 : end-1]; PlainText(s) {
		// What metav1.Time.UnmarshalJSON does once encoding/json has unquoted the string.
		pt, err := time.Parse(time.RFC3339, string(s))
		if err != nil {
			return d.Fail()
		}
		at().Time = pt.Local()
		return end
	}
	if at().UnmarshalJSON(d.B[start:end]) != nil {
		return d.Fail()
	}
	return end
}
