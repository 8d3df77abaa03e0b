package admission

import (
	"math"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// fastObjectStore decodes an ObjectStore into the zero value o in one pass over raw, without reflection,
// leaving out metadata.managedFields as DecodeObject does. It takes the object as the API server writes
// it: every key known and once per object, unescaped, each value of its field's JSON type or null. Fields
// of Kubernetes types that stores rarely set (env, resources, ownerReferences, status) go through the
// plain decoder, each on its own value. On anything else it returns false, leaving o partly written, and
// the caller decodes raw again with the plain decoder, whose result or error stands. FuzzDecodeObjectStore
// holds the two to the same result. An object decodes in about a fifth of the plain decoder's time.
func fastObjectStore(raw []byte, o *v1.ObjectStore) bool {
	d := &envelope{b: raw, ok: true}
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	var seen uint32
	end := scanObject(raw, i, 1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "kind":
			return d.field(&seen, 0, d.text(start, &o.Kind))
		case "apiVersion":
			return d.field(&seen, 1, d.text(start, &o.APIVersion))
		case "metadata":
			return d.field(&seen, 2, d.meta(start, depth, &o.ObjectMeta))
		case "spec":
			return d.field(&seen, 3, d.spec(start, depth, &o.Spec))
		case "status":
			return d.field(&seen, 4, d.plain(start, depth, &o.Status))
		}
		return d.fail()
	})
	return d.ok && end >= 0 && skipSpace(raw, end) == len(raw)
}

// isNull reports whether a null starts at start; null leaves a fresh field at its zero value, as the
// plain decoder does.
func (d *envelope) isNull(start int) bool {
	return d.b[start] == 'n'
}

func (d *envelope) null(start int) int {
	return skipLiteral(d.b, start, "null")
}

// text decodes a string or null.
func (d *envelope) text(start int, into *string) int {
	if d.isNull(start) {
		return d.null(start)
	}
	return d.str(0, start, into)
}

func (d *envelope) boolean(start int, into *bool) int {
	switch d.b[start] {
	case 't':
		*into = true
		return skipLiteral(d.b, start, "true")
	case 'f':
		*into = false
		return skipLiteral(d.b, start, "false")
	case 'n':
		return d.null(start)
	}
	return d.fail()
}

// integer decodes a JSON integer within [lo, hi]; fractions, exponents and larger numbers are left to the
// plain decoder, which refuses or converts them by its own rules.
func (d *envelope) integer(start int, lo, hi int64, into func(int64)) int {
	if d.isNull(start) {
		return d.null(start)
	}
	c := d.b[start]
	if c != '-' && (c < '0' || c > '9') {
		return d.fail()
	}
	end := skipNumber(d.b, start)
	if end < 0 {
		return -1
	}
	digits := d.b[start:end]
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return d.fail()
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return d.fail()
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if n < lo || n > hi {
		return d.fail()
	}
	into(n)
	return end
}

// texts decodes an array of strings or null.
func (d *envelope) texts(start, depth int, into *[]string) int {
	if d.isNull(start) {
		return d.null(start)
	}
	return d.strings(start, depth, into)
}

// textMap decodes an object of strings or null. Keys must be plain: the plain decoder unescapes keys and
// replaces invalid UTF-8 in them.
func (d *envelope) textMap(start, depth int, into *map[string]string) int {
	if d.isNull(start) {
		return d.null(start)
	}
	if d.b[start] != '{' {
		return d.fail()
	}
	m := map[string]string{}
	*into = m
	return scanObject(d.b, start, depth+1, func(key []byte, start, depth int) int {
		if !plainText(key) || d.b[start] != '"' {
			return d.fail()
		}
		var v string
		end := d.str(0, start, &v)
		if _, dup := m[string(key)]; dup {
			return d.fail()
		}
		m[string(key)] = v
		return end
	})
}

// plainText reports whether a key needs neither unescaping nor UTF-8 repair.
func plainText(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// plain decodes one value with the plain decoder into a fresh field, which is what the decode of the
// whole object does for it.
func (d *envelope) plain(start, depth int, into any) int {
	end := skipValue(d.b, start, depth)
	if end < 0 {
		return -1
	}
	if unmarshal(d.b[start:end], into) != nil {
		return d.fail()
	}
	return end
}

// object decodes an object whose members member handles, failing on null (callers check it) or a
// duplicate key.
func (d *envelope) object(start, depth int, member func(key []byte, start, depth int, seen *uint32) int) int {
	if d.b[start] != '{' {
		return d.fail()
	}
	var seen uint32
	return scanObject(d.b, start, depth+1, func(key []byte, start, depth int) int {
		return member(key, start, depth, &seen)
	})
}

// field records a member's bit in seen and passes the end of its value through, or fails on a key seen
// before in the same object: the plain decoder merges duplicates, which is not worth copying.
func (d *envelope) field(seen *uint32, bit uint, end int) int {
	if *seen&(1<<bit) != 0 {
		return d.fail()
	}
	*seen |= 1 << bit
	return end
}

func (d *envelope) meta(start, depth int, m *metav1.ObjectMeta) int {
	if d.isNull(start) {
		return d.null(start)
	}
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "name":
			return d.field(seen, 0, d.text(start, &m.Name))
		case "generateName":
			return d.field(seen, 1, d.text(start, &m.GenerateName))
		case "namespace":
			return d.field(seen, 2, d.text(start, &m.Namespace))
		case "selfLink":
			return d.field(seen, 3, d.text(start, &m.SelfLink))
		case "uid":
			return d.field(seen, 4, d.text(start, (*string)(&m.UID)))
		case "resourceVersion":
			return d.field(seen, 5, d.text(start, &m.ResourceVersion))
		case "generation":
			return d.field(seen, 6, d.integer(start, math.MinInt64, math.MaxInt64, func(n int64) { m.Generation = n }))
		case "creationTimestamp":
			return d.field(seen, 7, d.time(start, depth, func() *metav1.Time { return &m.CreationTimestamp }))
		case "deletionTimestamp":
			return d.field(seen, 8, d.time(start, depth, func() *metav1.Time {
				m.DeletionTimestamp = &metav1.Time{}
				return m.DeletionTimestamp
			}))
		case "deletionGracePeriodSeconds":
			return d.field(seen, 9, d.integer(start, math.MinInt64, math.MaxInt64, func(n int64) { m.DeletionGracePeriodSeconds = &n }))
		case "labels":
			return d.field(seen, 10, d.textMap(start, depth, &m.Labels))
		case "annotations":
			return d.field(seen, 11, d.textMap(start, depth, &m.Annotations))
		case "ownerReferences":
			return d.field(seen, 12, d.plain(start, depth, &m.OwnerReferences))
		case "finalizers":
			return d.field(seen, 13, d.texts(start, depth, &m.Finalizers))
		case "managedFields":
			return d.field(seen, 14, skipValue(d.b, start, depth))
		}
		return d.fail()
	})
}

// time decodes a timestamp as metav1.Time does; at gives the field to fill, only when it is not null.
func (d *envelope) time(start, depth int, at func() *metav1.Time) int {
	if d.isNull(start) {
		return d.null(start)
	}
	end := skipValue(d.b, start, depth)
	if end < 0 || d.b[start] != '"' {
		return d.fail()
	}
	if s := d.b[start+1 : end-1]; plainText(s) {
		// What metav1.Time.UnmarshalJSON does once encoding/json has unquoted the string.
		pt, err := time.Parse(time.RFC3339, string(s))
		if err != nil {
			return d.fail()
		}
		at().Time = pt.Local()
		return end
	}
	if at().UnmarshalJSON(d.b[start:end]) != nil {
		return d.fail()
	}
	return end
}
