package admission

import (
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fastReview decodes a review in one validating pass over body, the embedded objects taken as sub-slices
// rather than copied. It handles the review as the API server writes it: every key once, unescaped, each
// value of its field's JSON type. Anything else (duplicate keys, escaped keys, nulls, type mismatches, a
// response) makes it give up with ok false, and the caller decodes body with the plain decoder, whose
// result or error stands. FuzzDecodeReview holds the two to the same result.
func fastReview(body []byte) (review *admissionv1.AdmissionReview, ok bool) {
	d := envelope{b: body, ok: true}
	review = &admissionv1.AdmissionReview{}
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	end := scanObject(body, i, 1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "apiVersion":
			return d.str(1, start, &review.APIVersion)
		case "kind":
			return d.str(2, start, &review.Kind)
		case "request":
			if !d.once(3) || body[start] != '{' {
				return d.fail()
			}
			review.Request = &admissionv1.AdmissionRequest{}
			return scanObject(body, start, depth+1, func(key []byte, start, depth int) int {
				return d.request(review.Request, key, start, depth)
			})
		case "response":
			return d.fail() // not in a request; the plain decoder keeps it, as the fuzz target checks
		}
		return d.unknown(key, start, depth)
	})
	if !d.ok || end < 0 || skipSpace(body, end) != len(body) {
		return nil, false
	}
	return review, true
}

// envelope is the state of one fastReview: the input, whether the fast path still holds, and which
// fields were seen (a bit each), to give up on duplicates whose merging rules are the plain decoder's.
type envelope struct {
	b    []byte
	ok   bool
	seen uint64
}

func (d *envelope) fail() int {
	d.ok = false
	return -1
}

func (d *envelope) once(bit uint) bool {
	if d.seen&(1<<bit) != 0 {
		return false
	}
	d.seen |= 1 << bit
	return true
}

// unknown skips a member the review type does not have, as the plain decoder does, unless its key has
// escapes: it might then spell a known key.
func (d *envelope) unknown(key []byte, start, depth int) int {
	for _, c := range key {
		if c == '\\' {
			return d.fail()
		}
	}
	return skipValue(d.b, start, depth)
}

func (d *envelope) request(r *admissionv1.AdmissionRequest, key []byte, start, depth int) int {
	switch string(key) {
	case "uid":
		return d.str(4, start, (*string)(&r.UID))
	case "kind":
		return d.gvk(5, start, depth, &r.Kind)
	case "resource":
		return d.gvr(6, start, depth, &r.Resource)
	case "subResource":
		return d.str(7, start, &r.SubResource)
	case "requestKind":
		r.RequestKind = &metav1.GroupVersionKind{}
		return d.gvk(8, start, depth, r.RequestKind)
	case "requestResource":
		r.RequestResource = &metav1.GroupVersionResource{}
		return d.gvr(9, start, depth, r.RequestResource)
	case "requestSubResource":
		return d.str(10, start, &r.RequestSubResource)
	case "name":
		return d.str(11, start, &r.Name)
	case "namespace":
		return d.str(12, start, &r.Namespace)
	case "operation":
		return d.str(13, start, (*string)(&r.Operation))
	case "userInfo":
		return d.userInfo(14, start, depth, &r.UserInfo)
	case "object":
		return d.raw(15, start, depth, &r.Object.Raw)
	case "oldObject":
		return d.raw(16, start, depth, &r.OldObject.Raw)
	case "options":
		return d.raw(17, start, depth, &r.Options.Raw)
	case "dryRun":
		if !d.once(18) {
			return d.fail()
		}
		switch d.b[start] {
		case 't':
			v := true
			r.DryRun = &v
			return skipLiteral(d.b, start, "true")
		case 'f':
			v := false
			r.DryRun = &v
			return skipLiteral(d.b, start, "false")
		}
		return d.fail()
	}
	return d.unknown(key, start, depth)
}

// raw keeps a RawExtension's bytes as a sub-slice of the input; null leaves it empty, as
// RawExtension.UnmarshalJSON does.
func (d *envelope) raw(bit uint, start, depth int, into *[]byte) int {
	if !d.once(bit) {
		return d.fail()
	}
	end := skipValue(d.b, start, depth)
	if end > 0 && string(d.b[start:end]) != "null" {
		*into = d.b[start:end:end]
	}
	return end
}

// str decodes a JSON string without escapes and in valid UTF-8 directly; others, rare in a review, go
// through the plain decoder, which knows the escapes and replaces invalid bytes as the full decode would.
func (d *envelope) str(bit uint, start int, into *string) int {
	if (bit != 0 && !d.once(bit)) || d.b[start] != '"' {
		return d.fail()
	}
	end := skipString(d.b, start)
	if end < 0 {
		return -1
	}
	s := d.b[start+1 : end-1]
	plain := utf8.Valid(s)
	for _, c := range s {
		if c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		*into = intern(s)
	} else if err := unmarshal(d.b[start:end], into); err != nil {
		return d.fail()
	}
	return end
}

// fields decodes an object of three string members, which field maps to their place and number;
// unknown members are skipped and duplicates give up.
func (d *envelope) fields(start, depth int, field func(key []byte) (*string, int)) int {
	if d.b[start] != '{' {
		return d.fail()
	}
	var seen [3]bool
	return scanObject(d.b, start, depth+1, func(key []byte, start, depth int) int {
		into, n := field(key)
		if into == nil {
			return d.unknown(key, start, depth)
		}
		if seen[n] {
			return d.fail()
		}
		seen[n] = true
		return d.str(0, start, into)
	})
}

func (d *envelope) gvk(bit uint, start, depth int, into *metav1.GroupVersionKind) int {
	if !d.once(bit) {
		return d.fail()
	}
	return d.fields(start, depth, func(key []byte) (*string, int) {
		switch string(key) {
		case "group":
			return &into.Group, 0
		case "version":
			return &into.Version, 1
		case "kind":
			return &into.Kind, 2
		}
		return nil, 0
	})
}

func (d *envelope) gvr(bit uint, start, depth int, into *metav1.GroupVersionResource) int {
	if !d.once(bit) {
		return d.fail()
	}
	return d.fields(start, depth, func(key []byte) (*string, int) {
		switch string(key) {
		case "group":
			return &into.Group, 0
		case "version":
			return &into.Version, 1
		case "resource":
			return &into.Resource, 2
		}
		return nil, 0
	})
}

func (d *envelope) userInfo(bit uint, start, depth int, into *authenticationv1.UserInfo) int {
	if !d.once(bit) || d.b[start] != '{' {
		return d.fail()
	}
	var seen uint8
	return scanObject(d.b, start, depth+1, func(key []byte, start, depth int) int {
		var n uint8
		switch string(key) {
		case "username":
			n = 1
		case "uid":
			n = 2
		case "groups":
			n = 4
		case "extra":
			n = 8
		default:
			return d.unknown(key, start, depth)
		}
		if seen&n != 0 {
			return d.fail()
		}
		seen |= n
		switch n {
		case 1:
			return d.str(0, start, &into.Username)
		case 2:
			return d.str(0, start, &into.UID)
		case 4:
			return d.strings(start, depth, (*[]string)(&into.Groups))
		}
		// extra is rare (it carries credential IDs and the like) and has merging rules of its own: the
		// plain decoder does it.
		end := skipValue(d.b, start, depth)
		if end < 0 || unmarshal(d.b[start:end], &into.Extra) != nil {
			return d.fail()
		}
		return end
	})
}

func (d *envelope) strings(start, depth int, into *[]string) int {
	if d.b[start] != '[' {
		return d.fail()
	}
	if depth+1 > maxDepth {
		return d.fail()
	}
	out := []string{}
	i := skipSpace(d.b, start+1)
	if i < len(d.b) && d.b[i] == ']' {
		*into = out
		return i + 1
	}
	for {
		i = skipSpace(d.b, i)
		if i >= len(d.b) {
			return d.fail()
		}
		var s string
		if i = d.str(0, i, &s); i < 0 {
			return d.fail()
		}
		out = append(out, s)
		i = skipSpace(d.b, i)
		if i >= len(d.b) {
			return d.fail()
		}
		switch d.b[i] {
		case ']':
			*into = out
			return i + 1
		case ',':
			i++
		default:
			return d.fail()
		}
	}
}

// intern returns the values that recur in every review as constants, so that they cost no allocation;
// the compiler turns the switch on string(b) into comparisons without converting b.
func intern(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case "v1":
		return "v1"
	case "CREATE":
		return "CREATE"
	case "UPDATE":
		return "UPDATE"
	case "DELETE":
		return "DELETE"
	case "CONNECT":
		return "CONNECT"
	case "barmancloud.cnpg.io":
		return "barmancloud.cnpg.io"
	case "ObjectStore":
		return "ObjectStore"
	case "objectstores":
		return "objectstores"
	case "postgresql.cnpg.io":
		return "postgresql.cnpg.io"
	case "Cluster":
		return "Cluster"
	case "clusters":
		return "clusters"
	case "Pod":
		return "Pod"
	case "pods":
		return "pods"
	case "system:authenticated":
		return "system:authenticated"
	case "system:serviceaccounts":
		return "system:serviceaccounts"
	case "system:masters":
		return "system:masters"
	case "system:nodes":
		return "system:nodes"
	}
	return string(b)
}
