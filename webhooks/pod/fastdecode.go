package pod

import (
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
	d := podDecoder{Decoder: jsonscan.NewDecoder(raw)}
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
	var seen uint32
	end := jsonscan.ScanObject(raw, i, 1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "kind":
			return d.Field(&seen, 0, d.Text(start, &p.Kind))
		case "apiVersion":
			return d.Field(&seen, 1, d.Text(start, &p.APIVersion))
		case "metadata":
			return d.Field(&seen, 2, d.metadata(start, depth, &p.ObjectMeta, &s))
		case "spec":
			return d.Field(&seen, 3, d.spec(start, depth, &p.Spec, &s))
		}
		return d.Skip(key, start, depth)
	})
	if !d.OK || end < 0 || jsonscan.SkipSpace(raw, end) != len(raw) {
		return nil, Shape{}, false
	}
	return p, s, true
}

type podDecoder struct {
	jsonscan.Decoder
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

func (d *podDecoder) metadata(start, depth int, m *metav1.ObjectMeta, s *Shape) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	if d.B[start] != '{' {
		return d.Fail()
	}
	s.Metadata = true
	var seen uint32
	return jsonscan.ScanObject(d.B, start, depth+1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "name":
			return d.Field(&seen, 0, d.Text(start, &m.Name))
		case "namespace":
			return d.Field(&seen, 1, d.Text(start, &m.Namespace))
		case "labels":
			return d.Field(&seen, 2, d.TextMap(start, depth, &m.Labels, d.keep.labels))
		case "annotations":
			end := d.Field(&seen, 3, d.TextMap(start, depth, &m.Annotations, d.keep.annotations))
			s.Annotations = m.Annotations != nil
			return end
		}
		return d.Skip(key, start, depth)
	})
}

func (d *podDecoder) spec(start, depth int, sp *corev1.PodSpec, s *Shape) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	if d.B[start] != '{' {
		return d.Fail()
	}
	s.Spec = true
	var seen uint32
	return jsonscan.ScanObject(d.B, start, depth+1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "serviceAccountName":
			return d.Field(&seen, 0, d.Text(start, &sp.ServiceAccountName))
		case "initContainers":
			return d.Field(&seen, 1, d.names(start, depth, &s.InitContainers, func(n int) func(int) *string {
				sp.InitContainers = reslice(d.keep.initContainers, n)
				return func(i int) *string { return &sp.InitContainers[i].Name }
			}))
		case "containers":
			return d.Field(&seen, 2, d.names(start, depth, &s.Containers, func(n int) func(int) *string {
				sp.Containers = reslice(d.keep.containers, n)
				return func(i int) *string { return &sp.Containers[i].Name }
			}))
		case "volumes":
			return d.Field(&seen, 3, d.names(start, depth, &s.Volumes, func(n int) func(int) *string {
				sp.Volumes = reslice(d.keep.volumes, n)
				return func(i int) *string { return &sp.Volumes[i].Name }
			}))
		}
		return d.Skip(key, start, depth)
	})
}

// names reads an array of objects, or null, keeping only each one's name. The names are collected first,
// since the slice to fill (from alloc, given the length) holds large structs.
func (d *podDecoder) names(start, depth int, present *bool, alloc func(n int) func(int) *string) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	if d.B[start] != '[' || depth+1 > jsonscan.MaxDepth {
		return d.Fail()
	}
	var buf [8]string
	names := buf[:0]
	i := jsonscan.SkipSpace(d.B, start+1)
	if i < len(d.B) && d.B[i] == ']' {
		i++
	} else {
		for {
			i = jsonscan.SkipSpace(d.B, i)
			if i >= len(d.B) || d.B[i] != '{' {
				return d.Fail()
			}
			var name string
			var seen uint32
			i = jsonscan.ScanObject(d.B, i, depth+2, func(key []byte, start, depth int) int {
				if string(key) == "name" {
					return d.Field(&seen, 0, d.Text(start, &name))
				}
				return d.Skip(key, start, depth)
			})
			if i < 0 {
				return d.Fail()
			}
			names = append(names, name)
			i = jsonscan.SkipSpace(d.B, i)
			if i >= len(d.B) {
				return d.Fail()
			}
			if d.B[i] == ']' {
				i++
				break
			}
			if d.B[i] != ',' {
				return d.Fail()
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
