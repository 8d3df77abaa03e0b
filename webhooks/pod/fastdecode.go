package pod

import (
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
)

// decodeFast is Decode in one validating pass that skips, without decoding, everything injection does
// not read (for a pod with thousands of env vars, nearly all of it). It takes the pod as the API server
// writes it: keys unescaped and once per object, each value read of its field's JSON type. Anything else
// makes it give up with ok false, and Decode uses the plain decoder, whose result or error stands.
// FuzzDecode holds the two to the same result.
//
// With reuse not nil the pod is decoded into it, and into the slices and maps it holds (see workspace).
func decodeFast(raw []byte, reuse *corev1.Pod) (p *corev1.Pod, s Shape, ok bool) {
	d := podDecoder{b: raw, ok: true}
	if reuse != nil {
		sp, m := &reuse.Spec, &reuse.ObjectMeta
		d.keep = kept{sp.InitContainers, sp.Containers, sp.Volumes, m.Labels, m.Annotations}
		*reuse = corev1.Pod{}
		p = reuse
	} else {
		p = &corev1.Pod{}
	}
	i := jsonscan.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, Shape{}, false
	}
	var seen uint8
	end := jsonscan.ScanObject(raw, i, 1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "kind":
			return d.once(&seen, 0, d.text(start, &p.Kind))
		case "apiVersion":
			return d.once(&seen, 1, d.text(start, &p.APIVersion))
		case "metadata":
			return d.once(&seen, 2, d.metadata(start, depth, &p.ObjectMeta, &s))
		case "spec":
			return d.once(&seen, 3, d.spec(start, depth, &p.Spec, &s))
		}
		return d.skip(key, start, depth)
	})
	if !d.ok || end < 0 || jsonscan.SkipSpace(raw, end) != len(raw) {
		return nil, Shape{}, false
	}
	return p, s, true
}

type podDecoder struct {
	b    []byte
	ok   bool
	keep kept
}

// kept is the memory of a reused pod, filled again where the new pod has the same fields.
type kept struct {
	initContainers, containers []corev1.Container
	volumes                    []corev1.Volume
	labels, annotations        map[string]string
}

// reslice is make([]T, n), reusing s when it is large enough.
func reslice[T any](s []T, n int) []T {
	if s == nil || cap(s) < n {
		return make([]T, n) // not nil, even for n = 0: "[]" is not an absent array
	}
	s = s[:n]
	clear(s)
	return s
}

func (d *podDecoder) fail() int {
	d.ok = false
	return -1
}

// once records a key in seen and passes the end of its value through, or gives up on a key seen before
// in the same object, since the plain decoder merges duplicates.
func (d *podDecoder) once(seen *uint8, bit uint, end int) int {
	if *seen&(1<<bit) != 0 {
		return d.fail()
	}
	*seen |= 1 << bit
	return end
}

// skip passes over a member no field reads, unless its key has escapes or bytes outside ASCII: it might
// then spell a known key.
func (d *podDecoder) skip(key []byte, start, depth int) int {
	if !plainKey(key) {
		return d.fail()
	}
	return jsonscan.SkipValue(d.b, start, depth)
}

func plainKey(key []byte) bool {
	for _, c := range key {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (d *podDecoder) isNull(start int) bool { return d.b[start] == 'n' }

// text reads a string without escapes in valid UTF-8, or null.
func (d *podDecoder) text(start int, into *string) int {
	if d.isNull(start) {
		return jsonscan.SkipLiteral(d.b, start, "null")
	}
	if d.b[start] != '"' {
		return d.fail()
	}
	end := jsonscan.SkipString(d.b, start)
	if end < 0 {
		return -1
	}
	s := d.b[start+1 : end-1]
	for _, c := range s {
		if c == '\\' {
			return d.fail()
		}
	}
	if !utf8.Valid(s) {
		return d.fail()
	}
	*into = string(s)
	return end
}

func (d *podDecoder) metadata(start, depth int, m *metav1.ObjectMeta, s *Shape) int {
	if d.isNull(start) {
		return jsonscan.SkipLiteral(d.b, start, "null")
	}
	if d.b[start] != '{' {
		return d.fail()
	}
	s.Metadata = true
	var seen uint8
	return jsonscan.ScanObject(d.b, start, depth+1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "name":
			return d.once(&seen, 0, d.text(start, &m.Name))
		case "namespace":
			return d.once(&seen, 1, d.text(start, &m.Namespace))
		case "labels":
			return d.once(&seen, 2, d.textMap(start, depth, &m.Labels, d.keep.labels))
		case "annotations":
			end := d.once(&seen, 3, d.textMap(start, depth, &m.Annotations, d.keep.annotations))
			s.Annotations = m.Annotations != nil
			return end
		}
		return d.skip(key, start, depth)
	})
}

// textMap reads an object of strings, or null, into keep if it is not nil.
func (d *podDecoder) textMap(start, depth int, into *map[string]string, keep map[string]string) int {
	if d.isNull(start) {
		return jsonscan.SkipLiteral(d.b, start, "null")
	}
	if d.b[start] != '{' {
		return d.fail()
	}
	m := keep
	if m == nil {
		m = map[string]string{}
	}
	clear(m)
	*into = m
	return jsonscan.ScanObject(d.b, start, depth+1, func(key []byte, start, depth int) int {
		if !plainKey(key) || d.b[start] != '"' {
			return d.fail()
		}
		if _, dup := m[string(key)]; dup {
			return d.fail()
		}
		var v string
		end := d.text(start, &v)
		m[string(key)] = v
		return end
	})
}

func (d *podDecoder) spec(start, depth int, sp *corev1.PodSpec, s *Shape) int {
	if d.isNull(start) {
		return jsonscan.SkipLiteral(d.b, start, "null")
	}
	if d.b[start] != '{' {
		return d.fail()
	}
	s.Spec = true
	var seen uint8
	return jsonscan.ScanObject(d.b, start, depth+1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "serviceAccountName":
			return d.once(&seen, 0, d.text(start, &sp.ServiceAccountName))
		case "initContainers":
			return d.once(&seen, 1, d.names(start, depth, &s.InitContainers, func(n int) func(int) *string {
				sp.InitContainers = reslice(d.keep.initContainers, n)
				return func(i int) *string { return &sp.InitContainers[i].Name }
			}))
		case "containers":
			return d.once(&seen, 2, d.names(start, depth, &s.Containers, func(n int) func(int) *string {
				sp.Containers = reslice(d.keep.containers, n)
				return func(i int) *string { return &sp.Containers[i].Name }
			}))
		case "volumes":
			return d.once(&seen, 3, d.names(start, depth, &s.Volumes, func(n int) func(int) *string {
				sp.Volumes = reslice(d.keep.volumes, n)
				return func(i int) *string { return &sp.Volumes[i].Name }
			}))
		}
		return d.skip(key, start, depth)
	})
}

// names reads an array of objects, or null, keeping only each one's name. The names are collected first,
// since the slice to fill (from alloc, given the length) holds large structs.
func (d *podDecoder) names(start, depth int, present *bool, alloc func(n int) func(int) *string) int {
	if d.isNull(start) {
		return jsonscan.SkipLiteral(d.b, start, "null")
	}
	if d.b[start] != '[' || depth+1 > jsonscan.MaxDepth {
		return d.fail()
	}
	var buf [8]string
	names := buf[:0]
	i := jsonscan.SkipSpace(d.b, start+1)
	if i < len(d.b) && d.b[i] == ']' {
		i++
	} else {
		for {
			i = jsonscan.SkipSpace(d.b, i)
			if i >= len(d.b) || d.b[i] != '{' {
				return d.fail()
			}
			var name string
			var seen uint8
			i = jsonscan.ScanObject(d.b, i, depth+2, func(key []byte, start, depth int) int {
				if string(key) == "name" {
					return d.once(&seen, 0, d.text(start, &name))
				}
				return d.skip(key, start, depth)
			})
			if i < 0 {
				return d.fail()
			}
			names = append(names, name)
			i = jsonscan.SkipSpace(d.b, i)
			if i >= len(d.b) {
				return d.fail()
			}
			if d.b[i] == ']' {
				i++
				break
			}
			if d.b[i] != ',' {
				return d.fail()
			}
			i++
		}
	}
	*present = true
	at := alloc(len(names))
	for j, n := range names {
		*at(j) = n
	}
	return i
}
