package codectest

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Field is one JSON field of a type, reached from its root; "[]" in Path marks a list element.
type Field struct {
	Path  string
	steps []step
}

// step is one struct field on the way to a Field, with what to make on the way down: the pointer it is
// or the one element of the list it is.
type step struct {
	index int
}

var marshaler = reflect.TypeFor[json.Marshaler]()

// Fields lists every JSON field under root (a struct type), parents before their members. A field whose
// type encodes itself (metav1.Time, resource.Quantity) is a leaf, and so is one for which opaque (given
// the field's path) is true: the codec hands such values to encoding/json whole.
func Fields(root reflect.Type, opaque func(path string) bool) []Field {
	var out []Field
	var walk func(t reflect.Type, prefix string, steps []step, depth int)
	walk = func(t reflect.Type, prefix string, steps []step, depth int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			here := append(steps[:len(steps):len(steps)], step{index: i})
			if sf.Anonymous && name == "" {
				walk(deref(sf.Type), prefix, here, depth)
				continue
			}
			if name == "" {
				name = sf.Name
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			out = append(out, Field{Path: path, steps: here})
			inner := deref(sf.Type)
			if inner.Kind() == reflect.Slice {
				inner = deref(inner.Elem())
				path += "[]"
			}
			if inner.Kind() == reflect.Struct && depth < 10 && !encodesItself(inner) && !opaque(path) {
				walk(inner, path, here, depth+1)
			}
		}
	}
	walk(root, "", nil, 0)
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func encodesItself(t reflect.Type) bool {
	return t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler)
}

// Set makes root (a pointer to the struct Fields walked) hold a value at f, creating the pointers and the
// one list element on the way, and lets fill write the field itself.
func (f Field) Set(root any, fill func(field reflect.Value)) {
	v := reflect.ValueOf(root).Elem()
	for i, s := range f.steps {
		v = v.Field(s.index)
		if i == len(f.steps)-1 {
			break
		}
		v = into(v)
	}
	fill(v)
}

// into descends from v to the struct it holds, making a pointer or a one-element list as needed.
func into(v reflect.Value) reflect.Value {
	for {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		case reflect.Slice:
			if v.Len() == 0 {
				v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			}
			v = v.Index(0)
		default:
			return v
		}
	}
}
