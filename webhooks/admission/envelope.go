package admission

import (
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
)

// fastReview decodes a review in one validating pass over body, the embedded objects taken as sub-slices
// rather than copied. It handles the review as the API server writes it: every key once, unescaped, each
// value of its field's JSON type. Anything else (duplicate keys, escaped keys, nulls, type mismatches, a
// response) makes it give up with ok false, and the caller decodes body with the plain decoder, whose
// result or error stands. FuzzDecodeReview holds the two to the same result.
func fastReview(body []byte, names *jsonscan.Interner) (review *admissionv1.AdmissionReview, ok bool) {
	d := envelope{Decoder: jsonscan.NewDecoder(body)}
	d.Intern = names
	review = &admissionv1.AdmissionReview{}
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	end := jsonscan.ScanObject(body, i, 1, func(key []byte, start, depth int) int {
		switch string(key) {
		case "apiVersion":
			return d.str(1, start, &review.APIVersion)
		case "kind":
			return d.str(2, start, &review.Kind)
		case "request":
			if !d.once(3) || body[start] != '{' {
				return d.Fail()
			}
			review.Request = &admissionv1.AdmissionRequest{}
			return jsonscan.ScanObject(body, start, depth+1, func(key []byte, start, depth int) int {
				return d.request(review.Request, key, start, depth)
			})
		case "response":
			return d.Fail() // not in a request; the plain decoder keeps it, as the fuzz target checks
		}
		return d.unknown(key, start, depth)
	})
	if !d.OK || end < 0 || jsonscan.SkipSpace(body, end) != len(body) {
		return nil, false
	}
	return review, true
}

// envelope is the state of one fastReview: the input, whether the fast path still holds, and which
// fields were seen (a bit each), to give up on duplicates whose merging rules are the plain decoder's.
type envelope struct {
	jsonscan.Decoder
	seen uint64
}

func (d *envelope) once(bit uint) bool {
	if d.seen&(1<<bit) != 0 {
		return false
	}
	d.seen |= 1 << bit
	return true
}

// unknown skips a member the review type does not have, as the plain decoder does, unless its key might
// spell a known one.
func (d *envelope) unknown(key []byte, start, depth int) int { return d.Skip(key, start, depth) }

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
			return d.Fail()
		}
		switch d.B[start] {
		case 't':
			v := true
			r.DryRun = &v
			return jsonscan.SkipLiteral(d.B, start, "true")
		case 'f':
			v := false
			r.DryRun = &v
			return jsonscan.SkipLiteral(d.B, start, "false")
		}
		return d.Fail()
	}
	return d.unknown(key, start, depth)
}

// raw keeps a RawExtension's bytes as a sub-slice of the input; null leaves it empty, as
// RawExtension.UnmarshalJSON does.
func (d *envelope) raw(bit uint, start, depth int, into *[]byte) int {
	if !d.once(bit) {
		return d.Fail()
	}
	end := jsonscan.SkipValue(d.B, start, depth)
	if end > 0 && string(d.B[start:end]) != "null" {
		*into = d.B[start:end:end]
	}
	return end
}

// str decodes a string, recording bit (unless 0) to give up on a duplicate.
func (d *envelope) str(bit uint, start int, into *string) int {
	if bit != 0 && !d.once(bit) {
		return d.Fail()
	}
	return d.Str(start, into)
}

// triple decodes a group/version/<third> object (a GroupVersionKind or GroupVersionResource) into its
// three strings; unknown members are skipped and duplicates give up.
func (d *envelope) triple(bit uint, start, depth int, third string, group, version, last *string) int {
	if !d.once(bit) || d.B[start] != '{' {
		return d.Fail()
	}
	var seen [3]bool
	return jsonscan.ScanObject(d.B, start, depth+1, func(key []byte, start, depth int) int {
		n, into := 0, group
		switch string(key) {
		case "group":
		case "version":
			n, into = 1, version
		case third:
			n, into = 2, last
		default:
			return d.unknown(key, start, depth)
		}
		if seen[n] {
			return d.Fail()
		}
		seen[n] = true
		return d.str(0, start, into)
	})
}

func (d *envelope) gvk(bit uint, start, depth int, into *metav1.GroupVersionKind) int {
	return d.triple(bit, start, depth, "kind", &into.Group, &into.Version, &into.Kind)
}

func (d *envelope) gvr(bit uint, start, depth int, into *metav1.GroupVersionResource) int {
	return d.triple(bit, start, depth, "resource", &into.Group, &into.Version, &into.Resource)
}

func (d *envelope) userInfo(bit uint, start, depth int, into *authenticationv1.UserInfo) int {
	if !d.once(bit) || d.B[start] != '{' {
		return d.Fail()
	}
	var seen uint8
	return jsonscan.ScanObject(d.B, start, depth+1, func(key []byte, start, depth int) int {
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
			return d.Fail()
		}
		seen |= n
		switch n {
		case 1:
			return d.str(0, start, &into.Username)
		case 2:
			return d.str(0, start, &into.UID)
		case 4:
			return d.Strings(start, depth, (*[]string)(&into.Groups))
		}
		// extra is rare (it carries credential IDs and the like) and has merging rules of its own: the
		// plain decoder does it.
		end := jsonscan.SkipValue(d.B, start, depth)
		if end < 0 || jsonscan.Unmarshal(d.B[start:end], &into.Extra) != nil {
			return d.Fail()
		}
		return end
	})
}

// reviewValues are the values that recur in every review, whatever its resource; a Mux adds the group,
// version and resource names of its routes.
var reviewValues = []string{"", "v1", "CREATE", "UPDATE", "DELETE", "CONNECT",
	"system:authenticated", "system:serviceaccounts", "system:masters", "system:nodes"}

var reviewConstants = jsonscan.NewInterner(reviewValues...)
